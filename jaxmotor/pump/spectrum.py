"""Batched exact diagonalization of the pump and the full observables pipeline.

``solve(params, basis)`` diagonalizes H at every point of the parameter batch and computes every
observable of the selected state inside one jitted, vmapped function. The batch is cut into chunks
of a fixed size that fits a memory budget (the last chunk is padded by repeating its last point, so
one compilation serves the whole sweep); a host loop over chunks is the only Python loop, and it
drives the progress bar and hands each finished chunk to an optional callback (so long sweeps can
store results as they come).
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .basis import PumpBasis, _default_memory_budget
from .hamiltonian import PumpParams, hamiltonian
from .observables import PumpObservables, observables_from_eigh


def eigh(matrix):
    """Eigen-decomposition of a Hermitian matrix, ascending eigenvalues (LAPACK/cuSOLVER heevd)."""
    return jnp.linalg.eigh(matrix, symmetrize_input=False)


def point_bytes(basis: PumpBasis) -> int:
    """Estimated peak memory of one parameter point: H, eigenvectors, eigh workspace and the
    L² particle-hole excitations (complex128)."""
    dense = basis.dim**2 * 16
    excitations = 2 * basis.L**2 * basis.dim * 16
    return 4 * dense + excitations


def chunk_size(basis: PumpBasis, n_points: int, memory_budget: float | None = None) -> int:
    """Largest chunk of parameter points whose ED fits the memory budget (bytes)."""
    budget = memory_budget if memory_budget is not None else _default_memory_budget()
    return int(max(1, min(n_points, budget // point_bytes(basis))))


@eqx.filter_jit
def _observables_chunk(flat: PumpParams, basis: PumpBasis) -> PumpObservables:
    def one(p):
        evals, evecs = eigh(hamiltonian(p, basis))
        return observables_from_eigh(p, basis, evals, evecs)

    return jax.vmap(one)(flat)


@eqx.filter_jit
def _spectrum_chunk(flat: PumpParams, basis: PumpBasis) -> Array:
    return jax.vmap(lambda p: jnp.linalg.eigvalsh(hamiltonian(p, basis)))(flat)


def _run_chunked(
    kernel,
    params: PumpParams,
    basis: PumpBasis,
    *,
    memory_budget: float | None,
    progress: bool,
    on_chunk: Callable[[int, int, object], None] | None,
    desc: str,
):
    full = params.broadcast(basis.L)
    shape = full.batch_shape
    n = prod(shape)
    flat = jax.tree.map(lambda x: x.reshape((n,) + x.shape[len(shape) :]), full)
    size = chunk_size(basis, n, memory_budget)
    starts = range(0, n, size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=desc, unit="chunk", total=-(-n // size), leave=False)
    pieces = []
    for start in starts:
        stop = min(start + size, n)
        index = np.minimum(np.arange(start, start + size), n - 1)  # pad with the last point
        chunk = jax.tree.map(lambda x: x[index], flat)
        out = jax.tree.map(lambda x: np.asarray(x)[: stop - start], kernel(chunk, basis))
        if on_chunk is not None:
            on_chunk(start, stop, out)
        pieces.append(out)
    joined = jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *pieces)
    return jax.tree.map(lambda x: x.reshape(shape + x.shape[1:]), joined)


def solve(
    params: PumpParams,
    basis: PumpBasis,
    *,
    memory_budget: float | None = None,
    progress: bool = False,
    on_chunk: Callable[[int, int, PumpObservables], None] | None = None,
) -> PumpObservables:
    """Diagonalize H at every parameter point and compute the selected state's observables.

    Args:
        params: the parameters; every field may be an array (batch = their broadcast shape).
        basis: static structure from :func:`jaxmotor.pump.make_basis`.
        memory_budget: bytes one chunk may use (default: half the machine's memory).
        progress: show a progress bar over chunks.
        on_chunk: called as ``on_chunk(start, stop, observables)`` with each finished chunk of the
            flattened batch (numpy arrays), e.g. to store it at once.

    Returns:
        :class:`PumpObservables` with numpy arrays of the batch shape (plus trailing axes).
    """
    return _run_chunked(
        _observables_chunk, params, basis, memory_budget=memory_budget, progress=progress,
        on_chunk=on_chunk, desc="pump ED",
    )


def spectrum(
    params: PumpParams, basis: PumpBasis, *, memory_budget: float | None = None, progress: bool = False
) -> Float[np.ndarray, "*batch D"]:
    """All eigenvalues of H (ascending) at every parameter point (Fig. 2). Shape batch + (D,)."""
    return _run_chunked(
        _spectrum_chunk, params, basis, memory_budget=memory_budget, progress=progress,
        on_chunk=None, desc="pump spectrum",
    )
