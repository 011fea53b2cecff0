"""Hermitian eigendecomposition for the pump's ED: the backend's solver, chosen by measurement.

``eigh(matrix, algorithm)`` is ``jax.lax.linalg.eigh`` with ascending eigenvalues, called with the
input left as it is (our blocks are exactly Hermitian by construction). ``algorithm`` picks the
solver where the backend has several:

* ``"lapack"`` — the CPU's LAPACK (the only choice on a CPU): ``heevd`` for a small matrix, and from
  ``tridiagonal_from`` (D ≥ 512 by default) ``heevd``'s own three steps as three calls: ``hetrd``
  reduces H to a real tridiagonal T (Householder reflectors Q), ``syevd`` diagonalizes T, and
  ``unmqr`` forms the eigenvectors Q·Z. The eigenvalues are those of ``heevd`` bit for bit (the same T
  through the same ``stedc``) and the eigenvectors agree to round-off; the three calls are faster
  at large D (``benchmarks/bench_scale.py``, part ``disorder``) because ``heevd``
  hands its back-transformation (``unmtr``) only the workspace left over, about D, so that step runs
  unblocked (level-2 BLAS; LAPACK's ``zheevd.f``, ``LLWRK2``), where ``unmqr`` gets a full
  workspace and runs blocked. Below ~512 the extra kernels cost what the blocking saves;
* ``"qr"`` — cuSOLVER ``syevd`` (divide and conquer after a QR-type tridiagonalization) on a GPU;
* ``"jacobi"`` — cuSOLVER ``syevj`` (Jacobi sweeps; batched kernels for small matrices) on a GPU;
* ``"auto"`` — whatever JAX chooses (the default on other backends, e.g. TPU).

:class:`EighSolver` is the setting, as data: ``EighSolver.default()`` is the measured best for
the backend (``benchmarks/bench_pump_large.py``), ``EighSolver("jacobi")`` another choice; pass it
as ``solver=`` to :func:`jaxmotor.pump.solve` and friends. cuSOLVER reports a failed decomposition
with ``info != 0`` and JAX then returns NaN; the batched drivers check every chunk and recompute a
failed one with the solver's ``fallback`` (complex128 ``eigh`` on CUDA has returned NaN in some JAX
versions).

:func:`safe_eigh` is ``eigh`` with a degeneracy-safe derivative (below), the one used under
``jax.grad``.

Several CPU devices: JAX's batched LAPACK kernels split the batch into tasks on XLA's intra-op
thread pool and block a pool thread until they finish. With several CPU devices running at once
(e.g. ``--xla_force_host_platform_device_count``) every pool thread can end up blocked that way and
the run stalls for ever, so there the batch goes one matrix per LAPACK call (``lax.map`` as the
batching rule); the devices still run in parallel. The same stall happens on one device when one
program holds two independent batched LAPACK calls (XLA may run them at once, each holding a pool
thread while it waits for its own tasks): callers batch such calls into one (the mean-field run;
``tests/pump/test_meanfield.py::test_batched_run_of_many_points_completes``). The matrices that
take the tridiagonal route (``tridiagonal_from``) go one per call on one device too: a batched call runs its matrices
concurrently on XLA's pool while each asks OpenBLAS for every core, and on a 2-core CPU the threads
oversubscribe (several times slower at L = 10, D = 5292); one at a time, each call has the BLAS
threads to itself.
"""

from __future__ import annotations

from functools import cache, partial

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.lax.linalg import EighImplementation

from .._validate import fail

ALGORITHMS = ("lapack", "qr", "jacobi", "auto")
_IMPLEMENTATION = {"lapack": None, "auto": None, "qr": EighImplementation.QR, "jacobi": EighImplementation.JACOBI}
# Measured best per backend (benchmarks/results/pump_large_*.json); read by EighSolver.default() only.
_MEASURED_BEST = {"cpu": "lapack", "gpu": "qr"}
# From this matrix size "lapack" goes through the tridiagonal form (module docstring): below it, on the
# 2-core CPU, heevd and the three calls take about the same time and one batched heevd of many small
# blocks is the cheaper kernel (the pump's L = 8 sector blocks stay with heevd); above it the three calls
# win more the larger D (benchmarks/bench_scale.py, part disorder).
TRIDIAGONAL_FROM = 512


def default_algorithm() -> str:
    """The measured best solver for this backend."""
    return check_algorithm(_MEASURED_BEST.get(jax.default_backend(), "auto"))


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


class EighSolver(eqx.Module):
    """Which Hermitian eigensolver the pump's ED uses, and what to do when it fails.

    Attributes:
        algorithm: ``"lapack"`` (CPU), ``"qr"`` (cuSOLVER syevd) or ``"jacobi"`` (cuSOLVER syevj)
            on a GPU, ``"auto"`` (JAX's choice; other backends).
        fallback: the solver a chunk is recomputed with when ``algorithm`` returned NaN (GPU only), or
            None.
        degeneracy_tol: eigenvalue pairs closer than this get no mutual term in the derivative of
            :func:`safe_eigh` (units of energy).
        tridiagonal_from: with ``"lapack"``, matrices of at least this size go through the
            tridiagonal form in three LAPACK calls instead of one ``heevd`` (module docstring); None:
            always ``heevd``. Ignored by the GPU solvers.
    """

    algorithm: str = eqx.field(static=True, default="lapack")
    fallback: str | None = eqx.field(static=True, default=None)
    degeneracy_tol: float = eqx.field(static=True, default=1e-9)
    tridiagonal_from: int | None = eqx.field(static=True, default=TRIDIAGONAL_FROM)

    def __check_init__(self):
        check_algorithm(self.algorithm)
        if self.fallback is not None:
            check_algorithm(self.fallback)
        if self.tridiagonal_from is not None and not (isinstance(self.tridiagonal_from, int)
                                                      and self.tridiagonal_from >= 1):
            fail("tridiagonal_from", self.tridiagonal_from, "expected a matrix size >= 1, or None")

    @classmethod
    def default(cls) -> EighSolver:
        """The measured best for the current backend (LAPACK on a CPU; cuSOLVER syevd with syevj as the
        fallback on a GPU)."""
        algorithm = default_algorithm()
        return cls(algorithm=algorithm, fallback=fallback_algorithm(algorithm))

    def eigh(self, matrix):
        """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix, with the degeneracy-safe
        derivative of :func:`safe_eigh`."""
        return safe_eigh(matrix, self.algorithm, self.degeneracy_tol, self.tridiagonal_from)

    def eigvalsh(self, matrix):
        """Ascending eigenvalues."""
        return eigvalsh(matrix, self.algorithm, self.tridiagonal_from)

    def with_fallback(self) -> EighSolver | None:
        """The solver of a failed chunk's second try (None when there is no fallback)."""
        if self.fallback is None:
            return None
        return EighSolver(self.fallback, None, self.degeneracy_tol, self.tridiagonal_from)


def _tridiagonal_route(matrix, algorithm: str, tridiagonal_from: int | None) -> bool:
    """Whether ``matrix`` goes through the tridiagonal form (``EighSolver.tridiagonal_from``)."""
    return algorithm == "lapack" and tridiagonal_from is not None and matrix.shape[-1] >= tridiagonal_from


def _decompose(matrix, algorithm: str, values_only: bool = False, tridiagonal_from: int | None = None):
    """(eigenvalues, eigenvectors) of a Hermitian matrix or batch from its lower triangle; the
    eigenvectors are None when ``values_only``."""
    if _tridiagonal_route(matrix, algorithm, tridiagonal_from):
        return _through_tridiagonal(matrix, values_only)
    vecs, vals = jax.lax.linalg.eigh(matrix, symmetrize_input=False, implementation=_IMPLEMENTATION[algorithm])
    return vals, None if values_only else vecs


def _through_tridiagonal(matrix, values_only: bool):
    """``heevd`` in its three steps, with a blocked back-transformation (module docstring).

    ``hetrd`` (lower): H = Q T Q^H, T real symmetric tridiagonal, Q = H_1 ⋯ H_{D-1} with the
    reflector H_i acting on rows i+1..D-1 (stored below the subdiagonal of ``reflectors``). ``syevd``
    diagonalizes T as a dense real matrix: its own reduction finds T already tridiagonal (every
    reflector is the identity), so T's diagonals reach ``stedc`` unchanged, as in ``heevd``. Q acts on
    rows 1..D-1 only, as the QR reflectors of the trailing (D-1)×(D-1) block: ``unmqr`` there is
    LAPACK's ``unmtr``.
    """
    reflectors, diagonal, off_diagonal, taus = jax.lax.linalg.tridiagonal(matrix, lower=True)

    @partial(jnp.vectorize, signature="(n),(m)->(n,n)")
    def dense(d, e):
        return jnp.diag(d) + jnp.diag(e, 1) + jnp.diag(e, -1)

    z, vals = jax.lax.linalg.eigh(dense(jnp.real(diagonal), jnp.real(off_diagonal)), symmetrize_input=False)
    if values_only:
        return vals, None
    z = z.astype(matrix.dtype)
    rotated = jax.lax.linalg.ormqr(reflectors[..., 1:, :-1], taus, z[..., 1:, :])
    return vals, jnp.concatenate([z[..., :1, :], rotated], axis=-2)


@cache
def _one_matrix_per_call(algorithm: str, values_only: bool, tridiagonal_from: int | None = None):
    """The decomposition with ``lax.map`` as its batching rule (one LAPACK call per matrix)."""

    def decompose(matrix):
        vals, vecs = _decompose(matrix, algorithm, values_only, tridiagonal_from)
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


def _serial(matrix, algorithm: str, tridiagonal_from: int | None) -> bool:
    """One matrix per LAPACK call (module docstring): with several CPU devices, and on a CPU for the
    matrices that take the tridiagonal route."""
    if jax.default_backend() != "cpu":
        return False
    return _tridiagonal_route(matrix, algorithm, tridiagonal_from) or jax.local_device_count() > 1


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def safe_eigh(matrix, algorithm: str = "lapack", degeneracy_tol: float = 1e-9,
              tridiagonal_from: int | None = None):
    """:func:`eigh` whose derivative stays finite at degeneracies.

    ``jnp.linalg.eigh``'s derivative has 1/(E_i - E_j) for every pair of eigenvalues, so one
    degenerate pair anywhere in the spectrum makes every derivative NaN. Here the pairs with
    |E_i - E_j| ≤ ``degeneracy_tol`` get no term: first-order perturbation theory

        dE_n = ⟨n|dH|n⟩,     d|n⟩ = Σ_{m: |E_n - E_m| > tol} |m⟩ ⟨m|dH|n⟩ / (E_n - E_m),

    which is exact for every non-degenerate eigenpair, whatever degeneracies exist elsewhere. For a
    degenerate eigenpair it is the derivative of one gauge-fixed member of the multiplet (not unique):
    keep the states a result depends on non-degenerate when its derivative matters (the pump's
    ``E_prime_margin`` says how close the selected state's competitor is).
    """
    return eigh(matrix, algorithm, tridiagonal_from)


@safe_eigh.defjvp
def _safe_eigh_jvp(algorithm, degeneracy_tol, tridiagonal_from, primals, tangents):
    (matrix,), (dmatrix,) = primals, tangents
    evals, evecs = safe_eigh(matrix, algorithm, degeneracy_tol, tridiagonal_from)
    coupling = jnp.conj(evecs).T @ dmatrix @ evecs  # ⟨m|dH|n⟩
    gaps = evals[None, :] - evals[:, None]  # E_n - E_m at [m, n]
    keep = jnp.abs(gaps) > degeneracy_tol
    d_vecs = evecs @ jnp.where(keep, coupling / jnp.where(keep, gaps, 1.0), 0.0)
    d_evals = jnp.real(jnp.diagonal(coupling))
    return (evals, evecs), (d_evals, d_vecs.astype(evecs.dtype))


def eigh(matrix, algorithm: str | None = None, tridiagonal_from: int | None = None):
    """Eigenvalues (ascending) and eigenvectors (columns) of a Hermitian matrix (or a batch)."""
    algorithm = algorithm or default_algorithm()
    if _serial(matrix, algorithm, tridiagonal_from):
        return _one_matrix_per_call(algorithm, False, tridiagonal_from)(matrix)
    return _decompose(matrix, algorithm, False, tridiagonal_from)


def eigvalsh(matrix, algorithm: str | None = None, tridiagonal_from: int | None = None):
    """Ascending eigenvalues of a Hermitian matrix (same solver and batching policy as :func:`eigh`)."""
    algorithm = algorithm or default_algorithm()
    if _serial(matrix, algorithm, tridiagonal_from):
        return _one_matrix_per_call(algorithm, True, tridiagonal_from)(matrix)
    return _decompose(matrix, algorithm, True, tridiagonal_from)[0]
