"""Disorder (Sec. V, Fig. 6): reproducible realizations from explicit keys, topological robustness."""

import jax
import numpy as np
import pytest

from jaxmotor.pump import PumpParams, make_basis, solve
from jaxmotor.pump._disorder import disorder_average, disorder_realizations


def test_realizations_do_not_depend_on_the_batch_size():
    key = jax.random.key(7)
    few = np.asarray(disorder_realizations(key, 0.5, 3, 8))
    many = np.asarray(disorder_realizations(key, [0.5, 1.0], 10, 8))
    np.testing.assert_array_equal(few, many[0, :3])
    np.testing.assert_allclose(many[1], 2 * many[0], rtol=1e-15)  # the same u_r for every ε₀
    assert not np.allclose(few, np.asarray(disorder_realizations(jax.random.key(8), 0.5, 3, 8)))

    basis = make_basis(4, None, 2)
    small = disorder_average(PumpParams(omega=0.5), basis, key, [0.3], 2)
    large = disorder_average(PumpParams(omega=0.5), basis, key, [0.1, 0.3], 5)
    np.testing.assert_array_equal(small.disorder[0], large.disorder[1, :2])
    np.testing.assert_allclose(small.delta_n[0], large.delta_n[1, :2], atol=1e-12)


def test_on_site_energies_are_uniform_on_zero_to_eps0():
    eps = np.asarray(disorder_realizations(jax.random.key(0), 0.8, 4000, 6)).reshape(-1)
    assert eps.min() >= 0.0 and eps.max() <= 0.8
    sigma = 0.8 / np.sqrt(12 * eps.size)  # standard error of the mean of U[0, 0.8]
    assert abs(eps.mean() - 0.4) < 5 * sigma
    assert abs(np.mean(eps < 0.2) - 0.25) < 5 * np.sqrt(0.25 * 0.75 / eps.size)
    with pytest.raises(ValueError, match="eps0"):
        disorder_realizations(jax.random.key(0), -0.1, 3, 6)
    with pytest.raises(ValueError, match="realizations"):
        disorder_realizations(jax.random.key(0), 0.1, 0, 6)


def test_a_uniform_potential_changes_no_transport():
    """ε_j = c on every site adds N·c, which commutes with everything: Δn and ω̃ are unchanged."""
    basis = make_basis(6, None, 3)
    clean = solve(PumpParams(omega=0.6), basis)
    shifted = disorder_average(PumpParams(omega=0.6, disorder=np.full(6, 0.37)), basis, jax.random.key(0), 0.0, 2)
    np.testing.assert_allclose(shifted.delta_n, float(clean.delta_n), atol=1e-9)
    np.testing.assert_allclose(shifted.omega_tilde, float(clean.omega_tilde), rtol=1e-9)
    assert shifted.delta_n_std[0] == pytest.approx(0.0, abs=1e-9)


def test_weak_disorder_keeps_quantized_transport_and_strong_disorder_destroys_it():
    """L=6, S=3, ω=0.6 (Δn ≈ 1 clean): transport is topologically protected for ε₀ ≪ J and lost
    for ε₀ ≫ J; the statistics are those of the stored realizations."""
    basis = make_basis(6, None, 3)
    result = disorder_average(PumpParams(omega=0.6), basis, jax.random.key(1), [0.1, 6.0], 5)
    clean = float(solve(PumpParams(omega=0.6), basis).delta_n)
    assert abs(clean - 1) < 0.02
    assert np.all(np.abs(result.delta_n[0] - clean) < 0.02)
    assert result.failed_fraction[0] == 0.0
    assert result.failed_fraction[1] > 0.5
    np.testing.assert_allclose(result.delta_n_mean, result.delta_n.mean(-1))
    np.testing.assert_allclose(result.delta_n_std, result.delta_n.std(-1, ddof=1))
    np.testing.assert_allclose(result.failed_fraction, np.mean(np.abs(result.delta_n) < 0.5, -1))
