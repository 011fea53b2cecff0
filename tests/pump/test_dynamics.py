"""Real-time quantum dynamics of the pump (jaxmotor.pump.dynamics; docs/physics.md §1 "Real-time dynamics")."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sla

from jaxmotor.pump import PumpParams, _dynamics as dy, hamiltonian, make_basis
from jaxmotor.pump._observables import bond_currents as ed_bond_currents
from jaxmotor.pump._topology import pumped_charge_adiabatic

from .reference import fock_hamiltonian


def _random_state(rng, tables):
    psi = rng.normal(size=(tables.n_configs, tables.n_spin)) + 1j * rng.normal(size=(tables.n_configs, tables.n_spin))
    return jnp.asarray(psi / np.linalg.norm(psi))


@pytest.mark.parametrize("L,N,S", [(6, 3, 1), (8, 4, 1.5), (8, 3, 1)])
def test_matrix_free_h_equals_the_independent_fock_space_hamiltonian(L, N, S):
    """H·v from the gather tables (flux, disorder, Jordan-Wigner boundary sign (-1)^(N-1)) equals the
    2^L Fock-space construction of tests/pump/reference.py."""
    rng = np.random.default_rng(L + N)
    p = PumpParams(omega=0.3, eta=0.8, J=1.1, Delta=0.9, flux=0.37, disorder=rng.uniform(0, 0.5, L))
    tables = dy.make_hop_tables(L, N, S)
    H = fock_hamiltonian(L, N, S, omega=0.3, eta=0.8, J=1.1, Delta=0.9, flux=0.37, disorder=np.asarray(p.disorder))
    psi = _random_state(rng, tables)
    h_psi = dy.apply_hamiltonian_free(p, tables, psi)
    np.testing.assert_allclose(np.asarray(h_psi).ravel(), H @ np.asarray(psi).ravel(), atol=1e-13)


def test_bond_currents_and_mean_current_operator_match_the_ed_observable():
    rng = np.random.default_rng(3)
    L, N, S = 8, 4, 2
    p = PumpParams(omega=0.3, eta=0.7, flux=0.2, disorder=rng.uniform(0, 0.3, L))
    tables, basis = dy.make_hop_tables(L, N, S), make_basis(L, N, S)
    psi = _random_state(rng, tables)
    ref = np.asarray(ed_bond_currents(p, basis, psi))
    np.testing.assert_allclose(dy.bond_currents(p, tables, psi), ref, atol=1e-14)
    _, j_psi = dy.apply_hamiltonian_and_current(p, tables, psi)
    assert float(jnp.real(jnp.vdot(psi, j_psi))) == pytest.approx(ref.mean(), abs=1e-14)


def test_continuity_dn_dt_is_the_difference_of_the_bond_currents():
    """i⟨[H, n_j]⟩ = J_j - J_{j-1} (0-based bond j joins sites j, j+1; docs/physics.md's orientation)."""
    rng = np.random.default_rng(5)
    L, N, S = 6, 3, 2
    p = PumpParams(omega=0.3, eta=0.8, flux=0.2)
    tables, basis = dy.make_hop_tables(L, N, S), make_basis(L, N, S)
    psi = np.asarray(_random_state(rng, tables)).ravel()
    H = np.asarray(hamiltonian(p, basis))
    currents = np.asarray(dy.bond_currents(p, tables, jnp.asarray(psi.reshape(tables.n_configs, -1))))
    for j in range(L):
        n_j = np.kron(np.diag(np.asarray(basis.occupations)[:, j]), np.eye(tables.n_spin))
        rate = np.real(1j * np.vdot(psi, (H @ n_j - n_j @ H) @ psi))
        assert rate == pytest.approx(currents[j] - currents[j - 1], abs=1e-14)


@pytest.mark.parametrize("S", [0.5, 3, 10])
def test_coherent_spin_state_is_the_rotated_top_state(S):
    sx, sy, sz = _spin_matrices(S)
    theta, phi = 1.1, -0.4
    ref = sla.expm(-1j * phi * sz) @ sla.expm(-1j * theta * sy) @ np.eye(sz.shape[0])[0]
    state = np.asarray(dy.coherent_spin_state(S, theta, phi))
    np.testing.assert_allclose(state, ref, atol=1e-13)
    expected = S * np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])
    np.testing.assert_allclose([np.real(np.vdot(state, o @ state)) for o in (sx, sy, sz)], expected, atol=1e-12)


def _spin_matrices(S):
    from jaxmotor.pump import spin_matrices

    return tuple(np.asarray(a) for a in spin_matrices(S))


def test_coherent_spin_state_under_jit_vmap_grad():
    S = 5
    sx = _spin_matrices(S)[0]

    def mean_sx(theta, phi):
        v = dy.coherent_spin_state(S, theta, phi)
        return jnp.real(jnp.vdot(v, jnp.asarray(sx) @ v))

    thetas = jnp.array([0.0, 0.7, np.pi / 2, np.pi])
    np.testing.assert_allclose(jax.jit(jax.vmap(mean_sx, (0, None)))(thetas, 0.3),
                               S * np.sin(thetas) * np.cos(0.3), atol=1e-12)
    assert float(jax.grad(mean_sx)(0.7, 0.3)) == pytest.approx(S * np.cos(0.7) * np.cos(0.3), abs=1e-12)


@pytest.mark.parametrize("N,theta,phi", [(4, np.pi / 2, np.pi / 2), (4, 1.0, 0.3), (3, 2.0, -1.2), (4, np.pi / 2, 0.0)])
def test_slater_determinant_is_the_many_body_ground_state_with_the_classical_spin(N, theta, phi):
    """det Φ[j_b, a] (first quantization, periodic) equals the ground state of the many-body fermion H
    (Jordan-Wigner boundary sign (-1)^(N-1)) with S_x, S_y replaced by S sinθ cosφ, S sinθ sinφ."""
    L, S, eta = 8, 10, 0.95
    p = PumpParams(omega=0.3, eta=eta)
    tables, basis = dy.make_hop_tables(L, N, S), make_basis(L, N, S)
    spin = dy.classical_spin(S, theta, phi)
    amplitudes, gap = dy.slater_state(p, tables, spin)
    g = eta / S
    F0, Fs = np.asarray(basis.forward_uniform), np.asarray(basis.forward_staggered)
    P = np.diag(np.asarray(basis.occupations) @ np.asarray(basis.stagger))
    Hf = -0.5 * (F0 + F0.T) - 0.5 * g * float(spin[0]) * (Fs + Fs.T) + g * float(spin[1]) * P
    vals, vecs = np.linalg.eigh(Hf)
    assert vals[1] - vals[0] > 1e-6 and float(gap) > 1e-6
    a = np.asarray(amplitudes)
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-12)
    assert abs(np.vdot(vecs[:, 0], a)) == pytest.approx(1.0, abs=1e-12)
    assert np.real(np.vdot(a, Hf @ a)) == pytest.approx(vals[0], abs=1e-12)


def _run(method, L=6, S=2, omega=0.4, t_max=12.0, records=25, **kw):
    return dy.dynamics(PumpParams(omega=omega, **kw.pop("params", {})), L, None, S, t_max=t_max, records=records,
                       config=dy.DynamicsConfig(method=method), **kw)


@pytest.mark.parametrize("params", [{}, {"eta": 0.6, "flux": 0.1, "disorder": [0.0, 0.2, 0.1, 0.3, 0.05, 0.15]}],
                         ids=["clean-sectors", "disordered-dense"])
def test_krylov_and_exact_propagation_agree(params):
    kry = _run("krylov", params=dict(params), polar=1.2, azimuth=0.4)
    ex = _run("exact", params=dict(params), polar=1.2, azimuth=0.4)
    for key in ("Sx", "Sy", "Sz", "Sx2", "Sy2", "Sz2", "bond_currents", "charge", "entanglement_entropy", "energy",
                "norm"):
        np.testing.assert_allclose(getattr(kry, key), getattr(ex, key), atol=1e-8, err_msg=key)
    assert kry.error_bound <= 1e-10 and ex.error_bound <= 1e-10


def test_exact_method_matches_scipy_expm_of_the_dense_hamiltonian():
    L, S, T = 6, 2, 5.0
    p = PumpParams(omega=0.4)
    res = dy.dynamics(p, L, None, S, t_max=T, records=3, config=dy.DynamicsConfig(method="exact"))
    tables, basis = dy.make_hop_tables(L, None, S), make_basis(L, None, S)
    psi0 = np.asarray(dy.coherent_initial_state(p, tables)).ravel()
    psi_t = sla.expm(-1j * T * np.asarray(hamiltonian(p, basis))) @ psi0
    sz = np.kron(np.eye(tables.n_configs), _spin_matrices(S)[2])
    assert res.Sz[-1] == pytest.approx(np.real(np.vdot(psi_t, sz @ psi_t)), abs=1e-11)


def test_energy_and_norm_are_conserved():
    for method in ("krylov", "exact"):
        res = _run(method, S=3, t_max=30.0, records=31)
        assert np.ptp(res.energy) < 1e-10 and np.max(np.abs(res.norm - 1)) < 1e-11, method


def test_eigenstate_is_stationary_and_pumps_its_current_linearly():
    """From an eigenstate every observable is constant and Q(t) = ⟨J̄⟩ t (the charge integration of
    both methods against the closed form)."""
    L, S = 6, 2
    p = PumpParams(omega=0.5)
    basis, tables = make_basis(L, None, S), dy.make_hop_tables(L, None, S)
    psi = dy.eigenstate(p, basis, 7)
    mean_current = float(np.mean(dy.bond_currents(p, tables, psi)))
    for method in ("krylov", "exact"):
        res = dy.dynamics(p, L, None, S, t_max=20.0, records=11, initial=psi, config=dy.DynamicsConfig(method=method))
        np.testing.assert_allclose(res.charge, mean_current * res.time, atol=1e-10)
        assert np.ptp(res.Sx) < 1e-10 and np.ptp(res.entanglement_entropy) < 1e-9
        np.testing.assert_allclose(res.bond_currents, mean_current, atol=1e-10)  # same on every bond


def test_krylov_step_error_stays_below_the_a_priori_bound():
    """One long Lanczos step against scipy's expm: the error obeys the Hochbruck-Lubich bound."""
    L, S = 6, 2
    p = PumpParams(omega=0.4)
    tables, basis = dy.make_hop_tables(L, None, S), make_basis(L, None, S)
    psi0 = dy.coherent_initial_state(p, tables).astype(complex)
    width = dy.spectral_width_bound(p, L, 3, S)
    H = np.asarray(hamiltonian(p, basis))
    spread = np.ptp(np.linalg.eigvalsh(H))
    assert spread <= width
    for m, tau in ((12, 0.8), (20, 1.5), (20, 0.5)):
        new, _, _ = dy.krylov_step(p, tables, psi0, tau, m)
        exact = sla.expm(-1j * tau * H) @ np.asarray(psi0).ravel()
        err = np.linalg.norm(np.asarray(new).ravel() - exact)
        assert err <= dy.lanczos_error_bound(m, width / 4 * tau) + 1e-13


def test_bessel_recurrence_behind_the_chebyshev_bound_matches_scipy():
    from scipy.special import jv

    for z in (0.3, 7.0, 33.0):
        np.testing.assert_allclose(dy._bessel_j(90, z), jv(np.arange(91), z), rtol=1e-11, atol=1e-300)


def test_fixed_precession_charge_tends_to_the_chern_number():
    """No back-action (the driven Rice-Mele ring): charge per period → 1.0034 (finite-L Berry flux,
    topology.pumped_charge_adiabatic) as ω → 0, the deviation shrinking with ω."""
    adiabatic = float(pumped_charge_adiabatic(8, 0.95))
    dev = [abs(float(dy.fixed_precession_charge(PumpParams(omega=w), 8, 4, 10, periods=2)) - adiabatic)
           for w in (0.2, 0.1, 0.05)]
    assert dev[0] > dev[1] > dev[2] and dev[2] < 1e-3


def test_batch_over_angles_and_omega_equals_single_runs():
    res = dy.dynamics(PumpParams(omega=np.array([0.3, 0.6])[:, None]), 6, None, 2,
                      polar=np.array([np.pi / 2, 1.0]), t_max=8.0, records=9, batch_dims=("omega", "polar"))
    assert res.charge.shape == (2, 2, 9) and res.bond_currents.shape == (2, 2, 9, 6)
    one = dy.dynamics(PumpParams(omega=0.6), 6, None, 2, polar=1.0, t_max=8.0, records=9)
    np.testing.assert_allclose(res.charge[1, 1], one.charge, atol=1e-13)
    ds = res.to_dataset(coords={"omega": [0.3, 0.6], "polar": [np.pi / 2, 1.0]})
    assert ds["bond_currents"].dims == ("omega", "polar", "time", "bond")
    assert ds["charge_per_revolution"].dims == ("omega", "polar")


def test_pumped_charge_gradient_matches_finite_differences_and_the_exact_method():
    """d Q(T)/d(ω, η) through the Krylov propagator (jit + grad) equals central differences, and the
    exact method's Q(T) agrees."""
    L, N, S, T = 6, 3, 2, 6.0
    tables = dy.make_hop_tables(L, N, S)
    base = PumpParams(omega=0.4, eta=0.9)
    plan = dy.make_plan(base, L, N, S, T, 7, dy.DynamicsConfig(method="krylov"))

    def charge(omega, eta):
        return dy.pumped_charge(PumpParams(omega=omega, eta=eta), tables, plan)

    q, (dw, de) = jax.jit(jax.value_and_grad(charge, argnums=(0, 1)))(0.4, 0.9)
    h = 1e-5
    assert float(dw) == pytest.approx((float(charge(0.4 + h, 0.9)) - float(charge(0.4 - h, 0.9))) / (2 * h), abs=1e-7)
    assert float(de) == pytest.approx((float(charge(0.4, 0.9 + h)) - float(charge(0.4, 0.9 - h))) / (2 * h), abs=1e-7)
    basis = make_basis(L, N, S)
    from jaxmotor.pump._sectors import make_sectors

    exact_plan = dy.make_plan(base, L, N, S, T, 7, dy.DynamicsConfig(method="exact"))
    q_exact = dy.pumped_charge(base, tables, exact_plan, basis=basis, sectors=make_sectors(basis))
    assert float(q) == pytest.approx(float(q_exact), abs=1e-9)
    res = dy.dynamics(base, L, N, S, t_max=T, records=7)
    assert float(q) == pytest.approx(res.charge[-1], abs=1e-9)


def test_charge_per_revolution_counts_like_the_mean_field():
    """A spin turning clockwise at ω̃ with Q(t) = t: the helper finds K revolutions, ω̃ and charge 2π/ω̃."""
    t = np.linspace(0, 30, 301)
    w = 0.7
    t_ = jnp.asarray(t)
    per, k, winding, omega_tilde = dy.revolution_charge(t_, jnp.cos(-w * t_), jnp.sin(-w * t_), t_)
    assert int(k) == int(w * 30 / (2 * np.pi))
    assert float(omega_tilde) == pytest.approx(w, rel=1e-9) and float(per) == pytest.approx(2 * np.pi / w, rel=1e-9)
    assert float(winding) == pytest.approx(w * 30 / (2 * np.pi), rel=1e-9)


@pytest.mark.parametrize("kwargs,name", [({"L": 7}, "L"), ({"S": -1}, "S"), ({"t_max": 0.0}, "t_max"),
                                          ({"records": 1}, "records"), ({"polar": np.nan}, "polar")])
def test_bad_input_names_the_parameter(kwargs, name):
    args = dict(L=6, S=2, t_max=2.0, records=3) | kwargs
    with pytest.raises(ValueError, match=f"^{name}="):
        dy.dynamics(PumpParams(omega=0.3), args.pop("L"), None, args.pop("S"), **args)


def test_exact_method_refuses_large_rings():
    with pytest.raises(ValueError, match="^method="):
        dy.dynamics(PumpParams(), 12, None, 1, t_max=1.0, records=2, config=dy.DynamicsConfig(method="exact"))
