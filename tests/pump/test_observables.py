"""Observables of the selected (pumping) state: current, transport plateau, gaps, batching."""

import numpy as np
import pytest

from jaxmotor.pump import PumpParams, make_basis, solve
from jaxmotor.pump._hamiltonian import hamiltonian
from jaxmotor.pump._observables import particle_hole_gap

from .reference import annihilators, fock_hamiltonian, fock_states

# Fig. 3 of the pump paper (L=8, S=10, eta=0.95): solved once for the module.
FIG3_OMEGA = np.array([0.1, 0.15, 0.25, 0.5, 1.0, 1.5, 1.7, 1.85, 2.2])


@pytest.fixture(scope="module")
def fig3():
    return solve(PumpParams(omega=FIG3_OMEGA, eta=0.95), make_basis(8, 4, 10))


def test_current_is_the_same_on_every_bond_in_an_eigenstate(fig3):
    spread = np.ptp(fig3.bond_currents, axis=-1)
    assert np.all(spread < 1e-10 * np.maximum(1, np.abs(fig3.current)))


@pytest.mark.parametrize("L,N,S,omega", [(4, 2, 2, 0.6), (6, 3, "3/2", 0.8), (6, 2, 1, 0.5), (8, 4, 2, 0.7)])
def test_current_equals_minus_flux_derivative_of_the_energy(L, N, S, omega):
    """J_l = -(1/L) dE/dφ with φ the phase per bond: a second definition of the current."""
    basis = make_basis(L, N, S)
    obs = solve(PumpParams(omega=omega, eta=0.9), basis)
    n = int(obs.selected_index)
    h = 1e-5
    energies = [np.linalg.eigvalsh(np.asarray(hamiltonian(PumpParams(omega=omega, eta=0.9, flux=f), basis)))[n]
                for f in (h, -h)]
    derivative = (energies[0] - energies[1]) / (2 * h)
    assert abs(float(obs.current) - (-derivative / L)) < 1e-8
    assert abs(float(obs.current)) > 1e-4  # the check is not vacuous


def test_selected_state_minimizes_fermion_energy_over_the_spectrum():
    basis = make_basis(6, 3, 2)
    params = PumpParams(omega=0.7, eta=0.95)
    obs = solve(params, basis)
    evals, evecs = np.linalg.eigh(np.asarray(hamiltonian(params, basis)))
    m = np.real(np.diag(np.asarray(basis.sz)))
    sz = (np.abs(evecs.reshape(basis.n_configs, basis.n_spin, -1)) ** 2 * m[None, :, None]).sum((0, 1))
    e_prime = np.sort(evals + 0.7 * sz)
    assert abs(float(obs.E_prime) - e_prime[0]) < 1e-10
    assert abs(float(obs.E_prime_margin) - (e_prime[1] - e_prime[0])) < 1e-10


def test_transport_is_quantized_on_the_plateau(fig3):
    plateau = (FIG3_OMEGA >= 0.25) & (FIG3_OMEGA <= 1.5)
    np.testing.assert_allclose(fig3.delta_n[plateau], 1.0, atol=0.03)


def test_no_transport_below_the_lower_transition(fig3):
    assert np.all(np.abs(fig3.delta_n[FIG3_OMEGA <= 0.15]) < 0.02)


def test_plateau_ends_between_1p7_and_1p85(fig3):
    # Transport is still nearly quantized at 1.7 (Δn ≈ 0.95: the plateau's rounded shoulder) and
    # has collapsed by 1.85 (the jump is between 1.75 and 1.8, Δn ≈ 0.92 → 0.29).
    at = dict(zip(FIG3_OMEGA, fig3.delta_n))
    assert at[1.7] > 0.9
    assert at[1.85] < 0.5 and at[2.2] < 0.5


def test_spin_gap_changes_sign_at_both_transitions(fig3):
    gap = dict(zip(FIG3_OMEGA, fig3.spin_gap))
    assert gap[0.1] > 0 and gap[0.15] > 0
    assert all(gap[w] < 0 for w in (0.25, 0.5, 1.0, 1.5, 1.7))
    assert gap[1.85] > 0 and gap[2.2] > 0


def test_particle_hole_excitations_are_gapped_and_spin_plane_moments_vanish(fig3):
    assert np.all(fig3.ph_gap_min > 0)
    assert np.all(fig3.ph_gap_max >= fig3.ph_gap_min)
    # <S_x> = <S_y> = 0 by the T1 e^{i pi S_z} symmetry; on the plateau <S_x^2> ~ S^2/2 (docs/physics.md)
    assert np.all(np.abs(fig3.Sx) < 1e-7) and np.all(np.abs(fig3.Sy) < 1e-7)
    plateau = (FIG3_OMEGA >= 0.25) & (FIG3_OMEGA <= 1.5)
    np.testing.assert_allclose(fig3.Sx2[plateau], 50.0, rtol=0.25)
    # sum rule: <S^2> = S(S+1)
    np.testing.assert_allclose(fig3.Sx2 + fig3.Sy2 + fig3.Sz2, 110.0, rtol=1e-12)


def test_particle_hole_matrix_is_undefined_exactly_on_the_diagonal_at_half_filling(fig3):
    ph = fig3.ph_gap[3]
    assert np.all(np.isnan(np.diag(ph)))
    off = ~np.eye(8, dtype=bool)
    assert np.all(np.isfinite(ph[off]))
    assert float(fig3.ph_gap_min[3]) == np.nanmin(ph)


def test_renormalized_frequency_is_close_to_omega_deep_in_the_plateau(fig3):
    at = dict(zip(FIG3_OMEGA, fig3.omega_tilde))
    assert abs(at[1.0] - 1.0) < 0.02
    np.testing.assert_allclose(fig3.delta_omega, fig3.omega_tilde - FIG3_OMEGA, atol=1e-15)
    np.testing.assert_allclose(fig3.delta_n_bare, fig3.current * 2 * np.pi / FIG3_OMEGA, rtol=1e-12)


def test_batched_results_keep_the_batch_shape_and_match_single_points():
    basis = make_basis(4, 2, "3/2")
    omega = np.array([[0.3, 0.6, 0.9], [1.2, 1.5, 1.8]])
    eta = np.array([[0.9], [0.7]])
    batched = solve(PumpParams(omega=omega, eta=eta), basis)
    assert batched.delta_n.shape == (2, 3) and batched.ph_gap.shape == (2, 3, 4, 4)
    for i in range(2):
        for j in range(3):
            single = solve(PumpParams(omega=omega[i, j], eta=eta[i, 0]), basis)
            np.testing.assert_allclose(batched.E[i, j], single.E, atol=1e-12)
            np.testing.assert_allclose(batched.delta_n[i, j], single.delta_n, atol=1e-9)
            np.testing.assert_allclose(batched.spin_gap[i, j], single.spin_gap, atol=1e-9)


def test_results_do_not_depend_on_the_chunk_size():
    basis = make_basis(6, 3, 1)
    params = PumpParams(omega=np.linspace(0.2, 2.0, 7), eta=0.95, disorder=np.linspace(0, 0.2, 6))
    whole = solve(params, basis)
    one_at_a_time = solve(params, basis, memory_budget=1.5 * _point_bytes(basis))  # chunks of 1
    three = solve(params, basis, memory_budget=3.5 * _point_bytes(basis))
    for other in (one_at_a_time, three):
        np.testing.assert_allclose(other.E, whole.E, atol=1e-12)
        np.testing.assert_allclose(other.delta_n, whole.delta_n, atol=1e-9)
        np.testing.assert_allclose(other.ph_gap, whole.ph_gap, atol=1e-9)


def test_a_budget_below_one_point_is_refused_up_front():
    basis = make_basis(6, 3, 1)
    with pytest.raises(ValueError, match="L=6 is not allowed.*memory budget"):
        solve(PumpParams(omega=0.3), basis, method="full", memory_budget=0.5 * _point_bytes(basis))


def _point_bytes(basis):
    from jaxmotor.pump._solve import point_bytes

    return point_bytes(basis)


@pytest.mark.parametrize("L,N,S", [(4, 1, "1/2"), (6, 3, "3/2"), (6, 2, 1), (8, 4, 2)])
def test_particle_hole_gaps_equal_the_fock_space_excitations(L, N, S):
    """ΔE_{l,m} against φ = c†_m c_l ψ built from Jordan-Wigner matrices and ⟨φ|H|φ⟩ with the
    Fock-space H (random ψ, flux, disorder, Δ ≠ 1: every term of H and every pair (l, m))."""
    rng = np.random.default_rng(L + N)
    basis = make_basis(L, N, S)
    psi = rng.normal(size=(basis.n_configs, basis.n_spin)) + 1j * rng.normal(size=(basis.n_configs, basis.n_spin))
    psi /= np.linalg.norm(psi)
    eps = rng.normal(size=L)
    params = PumpParams(omega=0.37, eta=0.8, J=1.3, Delta=0.6, flux=0.21, disorder=eps)
    gaps = np.asarray(particle_hole_gap(params, basis, psi, 0.1))
    H = fock_hamiltonian(L, N, S, 0.37, 0.8, 1.3, 0.6, eps, flux=0.21)
    c, keep = annihilators(L), fock_states(L, N)
    expected = np.full((L, L), np.nan)
    for l in range(L):
        for m in range(L):
            pair = (c[m].T @ c[l])[np.ix_(keep, keep)]
            phi = np.kron(pair, np.eye(basis.n_spin)) @ psi.reshape(-1)
            norm = np.vdot(phi, phi).real
            if l != m and norm > 1e-12:
                expected[l, m] = np.vdot(phi, H @ phi).real / norm - 0.1
    np.testing.assert_array_equal(np.isnan(gaps), np.isnan(expected))
    np.testing.assert_allclose(gaps, expected, rtol=1e-12, atol=1e-12)
