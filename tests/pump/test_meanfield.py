"""Mean-field dynamics of the pump (paper Sec. IV A, Eqs. 16-19; docs/physics.md §1 "Mean-field dynamics")."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.pump import MeanFieldConfig, MeanFieldSolver, PumpParams, lower_transition, make_basis, meanfield
from jaxmotor.pump._hamiltonian import hopping_factors, onsite_energies
from jaxmotor.pump._meanfield import bond_currents, energy, ground_state_density, single_particle_hamiltonian
from jaxmotor.pump._topology import chern_number, pumped_charge_adiabatic


def _random_state(key, L, N, S):
    """A random spin of length S and a random rank-N projector ρ (a Slater determinant)."""
    k1, k2 = jax.random.split(key)
    spin = jax.random.normal(k1, (3,))
    spin = S * spin / jnp.linalg.norm(spin)
    a = jax.random.normal(k2, (L, L)) + 1j * jax.random.normal(jax.random.fold_in(k2, 1), (L, L))
    return spin, ground_state_density(a + a.conj().T, N)


def test_single_particle_h_is_the_one_fermion_sector_of_the_many_body_h():
    """Same conventions as the ED: with N = 1 the many-body factors T₀, T_s, P are one-body matrices
    (no Jordan-Wigner sign for one particle); freezing the spin operators to numbers gives h(S)."""
    L, S = 6, 3
    params = PumpParams(omega=0.3, eta=0.8, J=1.2, Delta=0.7, flux=0.25, disorder=np.linspace(0, 0.5, L))
    basis = make_basis(L, 1, S)
    t0, ts = hopping_factors(params, basis)
    p, d_eps = onsite_energies(params, basis)
    spin = jnp.array([1.3, -2.1, 0.4])
    g = params.eta / S
    many_body = (-0.5 * params.J * t0 - 0.5 * params.J * g * ts * spin[0]
                 + jnp.diag(params.Delta * g * p * spin[1] + d_eps))
    np.testing.assert_allclose(single_particle_hamiltonian(params, L, S, spin), many_body, atol=1e-14)


def test_back_action_field_is_eq_18(getkey):
    """B = -∂E/∂S = (gJ⟨I⟩, gΔ⟨P⟩, ω) with ⟨I⟩ = ½Σ(-1)^j(⟨c†_j c_{j+1}⟩ + c.c.), ⟨P⟩ = Σ(-1)^{j+1}⟨n_j⟩."""
    L, N, S = 8, 4, 5.0
    params = PumpParams(omega=0.4, eta=0.9, J=1.1, Delta=0.8)
    spin, rho = _random_state(getkey(), L, N, S)
    field = -jax.grad(lambda s: energy(params, L, S, s, rho))(spin)
    g = params.eta / S
    stagger = (-1.0) ** np.arange(1, L + 1)
    hop = np.array([rho[(j + 1) % L, j] for j in range(L)])  # ⟨c†_j c_{j+1}⟩ = ρ_{j+1,j}
    current_imbalance = 0.5 * np.sum(stagger * 2 * hop.real)
    polarization = np.sum(-stagger * np.real(np.diag(rho)))
    np.testing.assert_allclose(field, [g * params.J * current_imbalance, g * params.Delta * polarization, 0.4],
                               atol=1e-13)


def test_bond_current_obeys_continuity(getkey):
    """dn_l/dt = J_l - J_{l-1} under dρ/dt = -i[h, ρ] (docs/physics.md's Eq. 3 orientation)."""
    L, S = 8, 4.0
    params = PumpParams(eta=0.95, J=1.0, Delta=1.3, flux=0.3)
    spin, rho = _random_state(getkey(), L, 4, S)
    h = single_particle_hamiltonian(params, L, S, spin)
    dn = np.real(np.diag(-1j * (h @ rho - rho @ h)))
    cur = np.asarray(bond_currents(params, L, S, spin, rho))
    np.testing.assert_allclose(dn, cur - np.roll(cur, 1), atol=1e-13)


@pytest.fixture(scope="module")
def energy_runs():
    """Self-consistent runs at the strong back-action point S = 10, ω = 0.25 (just above ω_min)."""
    runs = {}
    for order in (2, 4):
        for dt in (0.2, 0.1):
            cfg = MeanFieldConfig(S=10.0, periods=2, n_saved=100)
            runs[order, dt] = meanfield(PumpParams(omega=0.25), cfg, MeanFieldSolver(dt=dt, order=order))
    return runs


def test_spin_length_is_conserved_to_round_off(energy_runs):
    for res in energy_runs.values():
        assert float(res.norm_error) < 1e-11
        assert int(res.revolutions) >= 1  # the run really moves the spin around


@pytest.mark.parametrize("order", [2, 4])
def test_energy_is_conserved_to_the_order_of_the_integrator(energy_runs, order):
    coarse, fine = energy_runs[order, 0.2], energy_runs[order, 0.1]
    rate = np.log(float(coarse.energy_error) / float(fine.energy_error)) / np.log(float(coarse.dt) / float(fine.dt))
    assert rate == pytest.approx(order, abs=0.3)
    assert float(fine.energy_error) < (5e-3 if order == 2 else 2e-4)


def test_fixed_precession_pumps_the_chern_number_as_omega_goes_to_zero():
    """No back-action: the driven Rice-Mele ring. Charge per period → the finite-L Berry flux
    (1.0034 at L = 8), which is -C of the FHS Chern number up to the finite-L Riemann sum."""
    omega = np.array([0.4, 0.2, 0.1, 0.05])
    res = meanfield(PumpParams(omega=omega, eta=0.95), MeanFieldConfig(S=10.0, periods=6, back_action=False))
    dn = np.asarray(res.pumped_charge_per_period)
    assert np.all(np.asarray(res.revolutions) == 6)
    np.testing.assert_allclose(res.omega_tilde, omega, rtol=1e-9)  # forced precession: ω̃ = ω exactly
    adiabatic = float(pumped_charge_adiabatic(8, 0.95))
    deviation = np.abs(dn - adiabatic)
    assert np.all(np.diff(deviation) < 0)  # approaches the adiabatic limit monotonically
    assert deviation[-1] < 1e-3
    chern = float(chern_number(0.95).chern)
    assert dn[-1] == pytest.approx(-chern, abs=5e-3)


@pytest.mark.parametrize("S_small", [5.0])
def test_lower_transition_moves_as_one_over_S(S_small):
    """ω_min(S)/ω_min(2S) ≈ 2 (grid in ωS with step 0.04, i.e. ~2% resolution); docs/physics.md: ω_min S ≈ 1.87
    starting along +y (Eq. 20's bound ηN/S = 3.8/S is about 2x too high)."""
    x = np.arange(1.6, 2.2001, 0.04)
    S = np.array([[S_small], [2 * S_small]])
    res = meanfield(PumpParams(omega=x[None, :] / S), MeanFieldConfig(S=S, periods=4, n_saved=50))
    enc = np.asarray(res.encircles)
    x_min = lower_transition(x, enc)  # in units of ωS
    for row in enc:
        assert row[0] == 0 and np.all(np.diff(row.astype(int)) >= 0)  # one sharp transition
    omega_min = x_min / S[:, 0]
    assert omega_min[0] / omega_min[1] == pytest.approx(2.0, abs=0.1)
    assert np.all((x_min > 1.75) & (x_min < 2.0))
    assert np.all(np.isnan(np.asarray(res.pumped_charge_per_period)[~enc]))
    np.testing.assert_allclose(np.asarray(res.pumped_charge_per_period)[enc], 1.0, atol=0.05)


def test_batch_over_omega_and_eta_equals_single_runs(energy_runs):
    omega, eta = np.array([0.25, 0.5]), np.array([[0.7], [0.95]])
    batch = meanfield(PumpParams(omega=omega, eta=eta), MeanFieldConfig(S=10.0, periods=2, n_saved=100),
                      MeanFieldSolver(dt=0.1))
    assert batch.spin.shape == (2, 2, 101, 3) and batch.pumped_charge_per_period.shape == (2, 2)
    single = energy_runs[4, 0.1]  # ω = 0.25, η = 0.95; the smallest ω of the batch sets the same steps
    np.testing.assert_allclose(batch.spin[1, 0], single.spin, atol=1e-12)
    np.testing.assert_allclose(batch.charge[1, 0], single.charge, atol=1e-12)
    assert not np.allclose(batch.spin[0, 0], single.spin, atol=1e-3)  # η matters


def test_initial_state_is_the_filled_lower_band_with_the_spin_along_theta0():
    res = meanfield(PumpParams(omega=0.5), MeanFieldConfig(S=3.0, theta0=0.7, periods=1, n_saved=4))
    np.testing.assert_allclose(res.spin[0], 3.0 * np.array([np.cos(0.7), np.sin(0.7), 0.0]), atol=1e-15)
    params = PumpParams(omega=0.5)
    h = single_particle_hamiltonian(params, 8, 3.0, res.spin[0])
    ground = np.sum(np.linalg.eigvalsh(np.asarray(h))[:4])
    assert float(res.energy[0]) == pytest.approx(ground, abs=1e-12)  # S_z = 0: E = Tr[hρ]


@pytest.mark.parametrize("kwargs,name", [(dict(L=7), "L"), (dict(N=8), "N"), (dict(S=0.0), "S"),
                                         (dict(order=3), "order"), (dict(dt=-0.1), "dt"),
                                         (dict(theta0=np.nan), "theta0"), (dict(periods=0), "periods")])
def test_bad_config_raises_value_error_naming_the_parameter(kwargs, name):
    solver = {k: kwargs.pop(k) for k in ("order", "dt") if k in kwargs}
    with pytest.raises(ValueError, match=f"^{name}="):
        MeanFieldSolver(**solver) if solver else MeanFieldConfig(**kwargs)


def test_lower_transition_is_the_start_of_the_last_encircling_run():
    omega = np.array([0.1, 0.2, 0.3, 0.4])
    enc = np.array([[False, True, False, True], [False, False, False, False], [True, True, True, True]])
    np.testing.assert_array_equal(lower_transition(omega, enc), [0.4, np.nan, 0.1])


def test_zero_omega_is_rejected():
    with pytest.raises(ValueError, match="^omega="):
        meanfield(PumpParams(omega=np.array([0.2, 0.0])), MeanFieldConfig(periods=1))


_MANY_POINTS = """
import numpy as np
import jaxmotor
from jaxmotor.pump import MeanFieldConfig, PumpParams, meanfield
x = np.linspace(1.6, 2.2, 48)
out = meanfield(PumpParams(omega=x / 10.0, eta=0.95), MeanFieldConfig(S=10.0, periods=4, n_saved=4))
assert np.asarray(out.encircles).shape == (48,)
print("done")
"""


def test_batched_run_of_many_points_completes():
    """Regression: a batch of some tens of points (the notebook's ω grid) used to wedge XLA CPU's
    thread pool for good (all threads idle, the result never ready; most runs at 40 points): jaxlib's
    batched LAPACK kernels split a batch into tasks on the pool and wait for them, and two independent
    batched eigh calls in one program (h₀ and h_x) could each hold a pool thread waiting for tasks
    queued behind the other. The run now does one batched eigh. Run in a fresh process under a time
    limit, so that a regression fails instead of hanging."""
    import subprocess
    import sys

    for _ in range(2):
        try:
            run = subprocess.run([sys.executable, "-c", _MANY_POINTS], capture_output=True, text=True, timeout=240)
        except subprocess.TimeoutExpired:
            pytest.fail("the batched mean-field run did not finish in 240 s (wedged)")
        assert run.returncode == 0 and "done" in run.stdout, run.stderr[-2000:]
