"""Hermitian eigendecomposition for the pump's ED: the backend's solver, chosen by measurement.

``eigh(matrix, algorithm)`` is ``jax.lax.linalg.eigh`` with ascending eigenvalues, called with the
input left as it is (our blocks are exactly Hermitian by construction). ``algorithm`` picks the
solver where the backend has several:

* ``"lapack"`` — the CPU's LAPACK ``heevd`` (the only choice on a CPU);
* ``"qr"`` — cuSOLVER ``syevd`` (divide and conquer after a QR-type tridiagonalization) on a GPU;
* ``"jacobi"`` — cuSOLVER ``syevj`` (Jacobi sweeps; batched kernels for small matrices) on a GPU;
* ``"auto"`` — whatever JAX chooses (the default on other backends, e.g. TPU).

:func:`default_algorithm` gives the measured best per backend (``benchmarks/bench_pump_large.py``;
the environment variable ``JAXMOTOR_EIGH`` overrides it). cuSOLVER reports a failed decomposition
with ``info != 0`` and JAX then returns NaN; :func:`jaxmotor.pump.solve` checks every chunk and
recomputes a failed one with :func:`fallback_algorithm` (complex128 ``eigh`` on CUDA has returned NaN
in some JAX versions).

Several CPU devices: JAX's batched LAPACK kernels split the batch into tasks on XLA's intra-op
thread pool and block a pool thread until they finish. With several CPU devices running at once
(e.g. ``--xla_force_host_platform_device_count``) every pool thread can end up blocked that way and
the run stalls for ever, so there the batch goes one matrix per LAPACK call (``lax.map`` as the
batching rule); the devices still run in parallel.
"""

from __future__ import annotations

import os
from functools import lru_cache

import jax
from jax.lax.linalg import EighImplementation

from .._validate import fail

ALGORITHMS = ("lapack", "qr", "jacobi", "auto")
_IMPLEMENTATION = {"lapack": None, "auto": None, "qr": EighImplementation.QR, "jacobi": EighImplementation.JACOBI}
# Measured best per backend (benchmarks/results/pump_large_*.json).
_DEFAULT = {"cpu": "lapack", "gpu": "qr"}


def default_algorithm() -> str:
    """The solver for this backend: ``JAXMOTOR_EIGH`` if set, else the measured best."""
    backend = jax.default_backend()
    chosen = os.environ.get("JAXMOTOR_EIGH") or _DEFAULT.get(backend, "auto")
    return check_algorithm(chosen)


def check_algorithm(algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        fail("eigh algorithm", algorithm, "expected one of " + ", ".join(ALGORITHMS))
    backend = jax.default_backend()
    if backend == "cpu" and algorithm not in ("lapack", "auto"):
        fail("eigh algorithm", algorithm, "the CPU has LAPACK only ('lapack')")
    if backend == "gpu" and algorithm == "lapack":
        fail("eigh algorithm", algorithm, "on a GPU choose 'qr', 'jacobi' or 'auto'")
    if backend not in ("cpu", "gpu") and algorithm != "auto":
        fail("eigh algorithm", algorithm, f"on the '{backend}' backend only 'auto' (JAX's choice)")
    return algorithm


def fallback_algorithm(algorithm: str) -> str | None:
    """The other GPU solver, tried on a chunk where ``algorithm`` returned NaN (None on a CPU)."""
    return {"qr": "jacobi", "jacobi": "qr"}.get(algorithm)


def _decompose(matrix, algorithm: str):
    vecs, vals = jax.lax.linalg.eigh(matrix, symmetrize_input=False, implementation=_IMPLEMENTATION[algorithm])
    return vals, vecs


@lru_cache(maxsize=None)
def _one_matrix_per_call(algorithm: str, values_only: bool):
    """The decomposition with ``lax.map`` as its batching rule (one LAPACK call per matrix)."""

    def decompose(matrix):
        vals, vecs = _decompose(matrix, algorithm)
        return vals if values_only else (vals, vecs)

    serial = jax.custom_batching.custom_vmap(decompose)

    @serial.def_vmap
    def _rule(axis_size, in_batched, matrix):
        if not in_batched[0]:
            out = serial(matrix)
            return out, jax.tree.map(lambda _: False, out)
        out = jax.lax.map(serial, matrix)
        return out, jax.tree.map(lambda _: True, out)

    return serial


def _serial() -> bool:
    """Several CPU devices share one LAPACK thread pool: go one matrix per call (module docstring)."""
    return jax.default_backend() == "cpu" and jax.local_device_count() > 1


def eigh(matrix, algorithm: str | None = None):
    """Eigenvalues (ascending) and eigenvectors (columns) of a Hermitian matrix (or a batch)."""
    algorithm = algorithm or default_algorithm()
    if _serial():
        return _one_matrix_per_call(algorithm, False)(matrix)
    return _decompose(matrix, algorithm)


def eigvalsh(matrix, algorithm: str | None = None):
    """Ascending eigenvalues of a Hermitian matrix (same solver and batching policy as :func:`eigh`)."""
    algorithm = algorithm or default_algorithm()
    if _serial():
        return _one_matrix_per_call(algorithm, True)(matrix)
    return _decompose(matrix, algorithm)[0]
