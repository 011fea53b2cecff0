"""Spin correlations (Fig. 5): equal-time moments, sum rule, dense Heisenberg evolution, ω̃."""

import numpy as np
import pytest
import scipy.linalg

from jaxmotor.pump import PumpParams, make_basis, solve
from jaxmotor.pump._correlations import dominant_frequency, spin_correlations

from .reference import fock_hamiltonian, spin_ops


def _reference_state(L, S, omega, eta):
    """Independent dense construction: H in Fock space, min E' state, full-space S_x, S_y."""
    H = fock_hamiltonian(L, L // 2, S, omega, eta)
    sx, sy, sz = spin_ops(S)
    eye = np.eye(H.shape[0] // sx.shape[0])
    Sx, Sy, Sz = (np.kron(eye, s) for s in (sx, sy, sz))
    evals, evecs = np.linalg.eigh(H)
    e_prime = evals + omega * np.einsum("in,ij,jn->n", evecs.conj(), Sz, evecs).real
    order = np.argsort(e_prime)
    assert e_prime[order[1]] - e_prime[order[0]] > 1e-6  # a unique selected state
    return H, evecs[:, order[0]], Sx, Sy, Sz


@pytest.mark.parametrize("L,S,omega", [(4, 2, 0.7), (6, "3/2", 1.1)])
def test_time_series_is_the_dense_heisenberg_evolution(L, S, omega):
    times = np.array([0.0, 0.7, 3.1, 10.0])
    corr = spin_correlations(PumpParams(omega=omega, eta=0.9), make_basis(L, None, S), times)
    H, psi, Sx, Sy, _ = _reference_state(L, S, omega, 0.9)
    for k, t in enumerate(times):
        U = scipy.linalg.expm(-1j * H * t)
        heis = lambda A: U.conj().T @ A @ U  # noqa: E731  A(t) = e^{iHt} A e^{-iHt}
        assert corr.xx[k] == pytest.approx(psi.conj() @ heis(Sx) @ Sx @ psi, abs=1e-9)
        assert corr.yy[k] == pytest.approx(psi.conj() @ heis(Sy) @ Sy @ psi, abs=1e-9)
        assert corr.xy[k] == pytest.approx(psi.conj() @ heis(Sx) @ Sy @ psi, abs=1e-9)


def test_weights_sum_to_the_equal_time_moments():
    L, S, omega = 4, 3, np.array([0.4, 0.9, 1.5])
    params = PumpParams(omega=omega, eta=0.95)
    basis = make_basis(L, None, S)
    corr = spin_correlations(params, basis, np.array([0.0, 1.0]))
    obs = solve(params, basis)  # the sector pipeline: moments of the same selected state
    np.testing.assert_allclose(corr.weights_xx.sum(-1), obs.Sx2, atol=1e-9)
    np.testing.assert_allclose(corr.weights_yy.sum(-1), obs.Sy2, atol=1e-9)
    # ⟨S_x S_y⟩ = (⟨{S_x,S_y}⟩ + i⟨S_z⟩)/2 and ⟨{S_x,S_y}⟩ = 0 by the U symmetry (S_x,S_y → -S_x,-S_y)
    np.testing.assert_allclose(corr.weights_xy.sum(-1), 0.5j * obs.Sz, atol=1e-9)
    np.testing.assert_allclose(corr.xx[:, 0], obs.Sx2, atol=1e-9)
    np.testing.assert_allclose(corr.yy[:, 0], obs.Sy2, atol=1e-9)
    np.testing.assert_allclose(corr.xy[:, 0], 0.5j * obs.Sz, atol=1e-9)
    np.testing.assert_allclose(corr.omega_tilde, obs.omega_tilde, rtol=1e-9)
    for i, w in enumerate(omega):
        _, psi, Sx, Sy, _ = _reference_state(L, S, w, 0.95)
        assert corr.weights_xy[i].sum() == pytest.approx(psi.conj() @ Sx @ Sy @ psi, abs=1e-9)


def test_dominant_frequency_of_the_correlation_is_omega_tilde():
    """L=4, S=10, in the pumping phase: C_xx has two lines of nearly equal weight at about +ω̃ and
    -ω̃ (the beat note); the time series oscillates at their weighted mean ω̃ (docs/physics.md §1), near ω."""
    omega = np.array([0.6, 1.0])
    times = np.linspace(0.0, 300.0, 3001)
    corr = spin_correlations(PumpParams(omega=omega), make_basis(4, None, 10), times)
    dominant = dominant_frequency(times, corr.xx)
    for i in range(omega.size):
        w = corr.weights_xx[i].real
        up = np.argmax(np.where(corr.frequencies[i] > 0, w, 0))
        down = np.argmax(np.where(corr.frequencies[i] < 0, w, 0))
        splitting = abs(corr.frequencies[i, up] + corr.frequencies[i, down])
        assert (w[up] + w[down]) / w.sum() > 0.95  # the pair dominates the spectrum
        assert splitting < 0.05 * omega[i]
        assert dominant[i] == pytest.approx(corr.omega_tilde[i], abs=0.2 * splitting)
        assert corr.omega_tilde[i] == pytest.approx(omega[i], rel=0.05)


def test_dominant_frequency_recovers_a_known_line():
    t = np.linspace(0.0, 200.0, 2001)
    series = 2.0 * np.exp(-1.3j * t) + 0.5 * np.exp(0.4j * t)
    assert dominant_frequency(t, series) == pytest.approx(1.3, abs=1e-3)
    assert dominant_frequency(t, series.real) == pytest.approx(1.3, abs=1e-3)
    with pytest.raises(ValueError, match="times"):
        dominant_frequency(t[[0, 1, 3, 4, 5, 6, 7, 8]], series[:8])
