"""The one-matrix-per-call eigh used with several CPU devices equals LAPACK's batched eigh."""

import importlib

import jax
import jax.numpy as jnp
import numpy as np

spectrum = importlib.import_module("jaxmotor.pump.spectrum")  # the module (the package exports a function of that name)


def test_serial_eigh_equals_batched_eigh_under_nested_vmap():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 2, 5, 5)) + 1j * rng.normal(size=(3, 2, 5, 5))
    h = jnp.asarray(a + np.conj(np.swapaxes(a, -1, -2)))
    vals, vecs = jax.jit(jax.vmap(jax.vmap(spectrum._serial_eigh)))(h)
    ref_vals, _ = np.linalg.eigh(np.asarray(h))
    np.testing.assert_allclose(vals, ref_vals, atol=1e-12)
    # eigenvectors: H v = λ v
    np.testing.assert_allclose(h @ vecs, vecs * vals[..., None, :], atol=1e-11)
    only = jax.vmap(spectrum._serial_eigvalsh, in_axes=None, axis_size=2)(h[0, 0])
    np.testing.assert_allclose(only, np.broadcast_to(ref_vals[0, 0], (2, 5)), atol=1e-12)
