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
