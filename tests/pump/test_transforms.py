"""The pump's pure one-point functions under jit, vmap and grad (as lineax tests its solvers).

Each function is checked against the host drivers (``solve``, ``spectrum``, ``spin_correlations``,
``meanfield``), which run the same physics through the batching driver, and its derivatives against
central finite differences. ``PumpParams`` is built inside the transformed functions from traced
values, as a user would.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.pump import (
    MeanFieldConfig,
    PumpParams,
    eigenvalues,
    hamiltonian,
    make_basis,
    meanfield,
    meanfield_run,
    observables,
    solve,
    spectrum,
    spin_correlations,
)
from jaxmotor.pump._correlations import spin_correlation

BASIS = make_basis(6, 3, 2)
FIELDS = ["E", "E_prime", "E_prime_margin", "spin_gap", "ph_gap_min", "current", "omega_tilde", "delta_n", "Sz2"]
DIFFERENTIABLE = ["E_prime", "spin_gap", "ph_gap_min", "current"]  # the list; others are checked too
X0 = jnp.array([0.7, 0.9, 1.0, 1.1])  # (ω, η, J, Δ)


def _params(x):
    return PumpParams(omega=x[0], eta=x[1], J=x[2], Delta=x[3])


@pytest.mark.parametrize("method", ["sectors", "full"])
def test_jit_gives_the_drivers_values(method):
    driver = solve(PumpParams(omega=0.7, eta=0.9, Delta=1.1), BASIS, method=method)
    point = jax.jit(lambda x: observables(_params(x), BASIS, method=method))(X0)
    assert point.method == driver.method == method
    for name in FIELDS + ["bond_currents", "ph_gap"]:
        np.testing.assert_allclose(getattr(point, name), getattr(driver, name), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("field", ["omega", "eta", "J", "Delta"])
def test_vmap_over_any_field_gives_the_batched_driver(field):
    values = {"omega": [0.3, 0.7, 1.4], "eta": [0.5, 0.8, 0.95], "J": [0.8, 1.0, 1.3], "Delta": [0.6, 1.0, 1.5]}[field]
    values = jnp.asarray(values)
    vmapped = jax.jit(jax.vmap(lambda v: observables(PumpParams(**{field: v}), BASIS)))(values)
    driver = solve(PumpParams(**{field: np.asarray(values)}), BASIS)
    for name in FIELDS:
        np.testing.assert_allclose(getattr(vmapped, name), getattr(driver, name), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", ["sectors", "full"])
@pytest.mark.parametrize("name", FIELDS)
def test_grad_in_omega_eta_J_delta_matches_central_differences(method, name):
    f = lambda x: getattr(observables(_params(x), BASIS, method=method), name)  # noqa: E731
    grad = jax.jit(jax.grad(f))(X0)
    h = 1e-5
    fd = np.array([(f(X0.at[i].add(h)) - f(X0.at[i].add(-h))) / (2 * h) for i in range(4)])
    np.testing.assert_allclose(grad, fd, rtol=2e-6, atol=2e-8)
    if name in DIFFERENTIABLE and name != "current":
        assert np.all(np.abs(fd) > 1e-6)  # every parameter really moves it: the comparison means something


def test_grads_are_finite_where_the_spectrum_is_degenerate_elsewhere():
    # At eta = 0 the spin decouples: many-fold degeneracies in the fermion spectrum (k and -k).
    x = jnp.array([0.7, 0.0, 1.0, 1.0])
    evals = np.linalg.eigvalsh(np.asarray(hamiltonian(PumpParams(omega=0.7, eta=0.0), BASIS)))
    assert np.min(np.diff(evals)) < 1e-10  # the degeneracy is really there
    for name in DIFFERENTIABLE:
        for method in ("sectors", "full"):
            g = jax.grad(lambda x: getattr(observables(_params(x), BASIS, method=method), name))(x)
            assert np.all(np.isfinite(g))

    def naive(x):  # what plain eigh differentiation does: NaN from the degenerate pairs
        H = hamiltonian(_params(x), BASIS)
        vec = jnp.linalg.eigh(H)[1][:, 0]
        return jnp.real(jnp.vdot(vec, H @ vec))

    assert not np.all(np.isfinite(jax.grad(naive)(x)))


def test_disorder_goes_through_the_full_path_under_vmap():
    eps = 0.3 * jax.random.uniform(jax.random.key(0), (3, BASIS.L))
    vmapped = jax.jit(jax.vmap(lambda e: observables(PumpParams(omega=0.5, disorder=e), BASIS)))(eps)
    assert vmapped.method == "full"
    driver = solve(PumpParams(omega=0.5, disorder=np.asarray(eps)), BASIS)
    np.testing.assert_allclose(vmapped.delta_n, driver.delta_n, rtol=1e-10)
    with pytest.raises(ValueError, match="^method="):
        jax.jit(lambda e: observables(PumpParams(disorder=e), BASIS, method="sectors"))(eps[0])


@pytest.mark.parametrize("method", ["sectors", "full"])
def test_eigenvalues_under_jit_and_vmap_give_the_spectrum_driver(method):
    omegas = jnp.array([0.2, 0.9])
    vmapped = jax.jit(jax.vmap(lambda w: eigenvalues(PumpParams(omega=w), BASIS, method=method)))(omegas)
    driver = spectrum(PumpParams(omega=np.asarray(omegas)), BASIS, method=method)
    np.testing.assert_allclose(vmapped, driver, atol=1e-10)
    dense = np.linalg.eigvalsh(np.asarray(hamiltonian(PumpParams(omega=0.9), BASIS)))  # independent: numpy
    np.testing.assert_allclose(vmapped[1], dense, atol=1e-10)


def test_spin_correlation_under_jit_vmap_and_grad():
    times = jnp.linspace(0.0, 10.0, 7)
    omegas = jnp.array([0.4, 0.8])
    driver = spin_correlations(PumpParams(omega=np.asarray(omegas)), BASIS, times)
    vmapped = jax.jit(jax.vmap(lambda w: spin_correlation(PumpParams(omega=w), BASIS, times)))(omegas)
    np.testing.assert_allclose(vmapped.xx, driver.xx, atol=1e-10)
    np.testing.assert_allclose(vmapped.xy, driver.xy, atol=1e-10)
    f = lambda w: jnp.real(spin_correlation(PumpParams(omega=w), BASIS, times).xy[-1])  # noqa: E731
    h = 1e-5
    assert float(jax.grad(f)(0.6)) == pytest.approx(float((f(0.6 + h) - f(0.6 - h)) / (2 * h)), rel=1e-6, abs=1e-9)


def test_meanfield_run_under_jit_vmap_and_grad():
    config = MeanFieldConfig(L=6, S=4.0, periods=1, n_saved=10)
    omegas = np.array([0.5, 0.8])
    driver = meanfield(PumpParams(omega=omegas[None, :]), MeanFieldConfig(L=6, S=np.array([[4.0]]), periods=1,
                                                                          n_saved=10))
    run = jax.jit(jax.vmap(lambda w: meanfield_run(PumpParams(omega=w), config, omega_ref=0.5)))
    vmapped = run(jnp.asarray(omegas))
    np.testing.assert_allclose(vmapped.charge, driver.charge[0], atol=1e-12)
    np.testing.assert_allclose(vmapped.spin, driver.spin[0], atol=1e-12)
    f = lambda x: meanfield_run(_params(x), config, omega_ref=0.7).charge_per_bare_period  # noqa: E731
    h = 1e-5
    fd = np.array([(f(X0.at[i].add(h)) - f(X0.at[i].add(-h))) / (2 * h) for i in range(4)])
    np.testing.assert_allclose(jax.jit(jax.grad(f))(X0), fd, rtol=1e-5, atol=1e-8)
    with pytest.raises(ValueError, match="^omega_ref="):
        jax.jit(lambda w: meanfield_run(PumpParams(omega=w), config).charge)(0.5)


def test_sector_tables_first_built_inside_a_trace_stay_usable_outside():
    from jaxmotor.pump import _sectors

    basis = make_basis(4, 1, 1)  # a size no other test builds first
    _sectors._CACHE.pop((basis.L, basis.N, basis.two_S), None)
    inside = jax.jit(lambda w: eigenvalues(PumpParams(omega=w), basis, method="sectors"))(0.4)
    outside = solve(PumpParams(omega=0.4), basis, method="sectors")  # reuses the cached tables
    np.testing.assert_allclose(inside, np.sort(np.linalg.eigvalsh(np.asarray(hamiltonian(PumpParams(omega=0.4),
                                                                                        basis)))), atol=1e-10)
    assert np.isfinite(outside.E)
