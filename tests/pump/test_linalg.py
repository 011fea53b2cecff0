"""The pump's eigh: one-matrix-per-call batching (several CPU devices), solver choice, NaN guard."""

import importlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.pump import PumpParams, linalg, make_basis, solve
from jaxmotor.pump.sectors import make_sectors

spectrum_module = importlib.import_module("jaxmotor.pump.spectrum")  # the package exports a function `spectrum`


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


def test_a_chunk_with_nan_is_recomputed_with_the_fallback_solver(monkeypatch):
    """The guard against cuSOLVER failures (NaN), exercised on the CPU with a solver made to fail."""
    basis = make_basis(4, 2, 1)
    sectors = make_sectors(basis)
    chunk = jax.tree.map(np.asarray, PumpParams(omega=np.array([0.3, 0.9])).broadcast(4))
    real_kernel = spectrum_module._kernel

    def kernel(what, method, algorithm):
        good = real_kernel(what, method, "lapack")
        if algorithm != "broken":
            return good
        return lambda *args: eqx.tree_at(lambda obs: obs.E, good(*args), jnp.full(2, jnp.nan))

    monkeypatch.setattr(spectrum_module, "_kernel", kernel)
    monkeypatch.setattr(spectrum_module, "fallback_algorithm", lambda a: "lapack" if a == "broken" else None)
    with pytest.warns(UserWarning, match="recomputing it with 'lapack'"):
        out = spectrum_module._run_chunk("observables", "sectors", "broken", chunk, basis, sectors)
    ref = solve(PumpParams(omega=np.array([0.3, 0.9])), basis)
    np.testing.assert_allclose(out.E, ref.E, atol=1e-12)
    np.testing.assert_allclose(out.delta_n, ref.delta_n, atol=1e-12)
