"""The pump's eigh: one-matrix-per-call batching (several CPU devices), solver choice, NaN guard."""

import importlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor import batching
from jaxmotor.pump import EighSolver, PumpParams, _linalg as linalg, make_basis, solve

spectrum_module = importlib.import_module("jaxmotor.pump._solve")  # the batched drivers


def test_one_matrix_per_call_equals_batched_eigh_under_nested_vmap():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 2, 5, 5)) + 1j * rng.normal(size=(3, 2, 5, 5))
    h = jnp.asarray(a + np.conj(np.swapaxes(a, -1, -2)))
    vals, vecs = jax.jit(jax.vmap(jax.vmap(linalg._one_matrix_per_call("lapack", False))))(h)
    ref_vals = np.linalg.eigvalsh(np.asarray(h))
    np.testing.assert_allclose(vals, ref_vals, atol=1e-12)
    np.testing.assert_allclose(h @ vecs, vecs * vals[..., None, :], atol=1e-11)  # H v = λ v
    only = jax.vmap(linalg._one_matrix_per_call("lapack", True), in_axes=None, axis_size=2)(h[0, 0])
    np.testing.assert_allclose(only, np.broadcast_to(ref_vals[0, 0], (2, 5)), atol=1e-12)


def test_each_backend_refuses_solvers_it_does_not_have():
    missing = {"cpu": ["jacobi", "qr"], "gpu": ["lapack"]}.get(jax.default_backend(), ["lapack", "qr"])
    for bad in ["magma", *missing]:
        with pytest.raises(ValueError, match="eigh algorithm"):
            linalg.check_algorithm(bad)
    assert linalg.check_algorithm(linalg.default_algorithm()) == linalg.default_algorithm()


def test_a_chunk_with_nan_is_recomputed_with_the_fallback_solver():
    """The guard against cuSOLVER failures (NaN), exercised on the CPU with a kernel made to fail: the
    batching driver recomputes the failed chunk with the fallback kernel."""
    basis = make_basis(4, 2, 1)
    params = PumpParams(omega=np.array([0.3, 0.9]))
    good = spectrum_module._chunk_kernel("observables", "sectors", EighSolver("lapack"))

    def broken(chunk, basis):
        return eqx.tree_at(lambda obs: obs.E, good(chunk, basis), jnp.full(2, jnp.nan))

    flat = batching.flatten(PumpParams(omega=params.omega), (2,))
    with pytest.warns(UserWarning, match="recomputing it with the fallback"):
        out = batching.run(None, flat, replicated=(basis,), chunk_kernel=broken, fallback=good, desc="pump ED")
    ref = solve(params, basis)
    np.testing.assert_allclose(out.E, ref.E, atol=1e-12)
    np.testing.assert_allclose(out.delta_n, ref.delta_n, atol=1e-12)


def test_default_solver_is_the_measured_best_with_the_other_gpu_solver_as_fallback():
    solver = EighSolver.default()
    assert solver.algorithm == linalg.default_algorithm()
    assert solver.fallback == linalg.fallback_algorithm(solver.algorithm)
    with pytest.raises(ValueError, match="eigh algorithm"):
        EighSolver("magma")


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="LAPACK's tridiagonal route is the CPU's")
def test_tridiagonal_route_has_heevds_eigenvalues_and_its_eigenvectors_to_round_off():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 40, 40)) + 1j * rng.normal(size=(3, 40, 40))
    h = jnp.asarray(a + np.conj(np.swapaxes(a, -1, -2)))
    ref_vals, ref_vecs = jax.vmap(lambda m: linalg.eigh(m, "lapack"))(h)
    vals, vecs = jax.jit(jax.vmap(lambda m: linalg.eigh(m, "lapack", tridiagonal_from=1)))(h)
    np.testing.assert_array_equal(vals, ref_vals)  # the same T through the same stedc
    np.testing.assert_allclose(h @ vecs, vecs * vals[..., None, :], atol=1e-12)
    np.testing.assert_allclose(np.abs(np.einsum("bji,bji->bi", np.conj(ref_vecs), vecs)), 1.0, atol=1e-12)
    np.testing.assert_array_equal(linalg.eigvalsh(h, "lapack", tridiagonal_from=1), ref_vals)
    serial_vals, serial_vecs = jax.vmap(linalg._one_matrix_per_call("lapack", False, 1))(h)
    np.testing.assert_array_equal(serial_vals, ref_vals)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="LAPACK's tridiagonal route is the CPU's")
def test_full_observables_and_their_derivative_do_not_depend_on_the_route():
    basis = make_basis(4, 2, 2)
    params = PumpParams(omega=np.array([0.3, 0.7]), disorder=np.array([[0.1, -0.2, 0.05, 0.3]] * 2))
    one_call = solve(params, basis, method="full", solver=EighSolver("lapack", tridiagonal_from=None))
    three_calls = solve(params, basis, method="full", solver=EighSolver("lapack", tridiagonal_from=1))
    for name in ("E", "E_prime", "omega_tilde", "delta_n", "spin_gap", "ph_gap_min", "Sx", "Sz2"):
        np.testing.assert_allclose(getattr(three_calls, name), getattr(one_call, name), rtol=1e-10, atol=1e-12)
    from jaxmotor.pump import observables

    def gap(eta, route):
        p = PumpParams(omega=0.3, eta=eta, disorder=jnp.array([0.1, -0.2, 0.05, 0.3]))
        return observables(p, basis, method="full", solver=EighSolver("lapack", tridiagonal_from=route)).spin_gap

    np.testing.assert_allclose(jax.grad(gap)(0.9, 1), jax.grad(gap)(0.9, None), rtol=1e-9)


def test_tridiagonal_from_is_checked():
    with pytest.raises(ValueError, match="tridiagonal_from"):
        EighSolver("lapack" if jax.default_backend() == "cpu" else "auto", tridiagonal_from=0)
