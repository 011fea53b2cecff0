"""Batched exact diagonalization of the pump and the full observables pipeline.

``solve(params, basis)`` diagonalizes H at every point of the parameter batch and computes every
observable of the selected state in jitted, vmapped kernels — either in the whole space
(``method="full"``) or block by block in the L symmetry sectors of U = T₁e^{iπS_z}
(``method="sectors"``, :mod:`jaxmotor.pump.sectors`; the representative sectors of all points in
one batched ``eigh``, then the selection and observables in a second kernel that compiles fast).
``method="auto"`` (default) takes the sectors whenever the ring is clean.

The batch is cut into chunks of a fixed size that fits a memory budget (the last chunk is padded by
repeating its last point, so one compilation serves the whole sweep), and every chunk is sharded
over all devices along the batch axis (:mod:`jaxmotor.sweep.devices`). A host loop over chunks is
the only Python loop; it drives the progress bar and hands each finished chunk to an optional
callback (so long sweeps can store results as they come).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache, partial
from math import prod

import jax
import numpy as np
from jaxtyping import Array, Float

from .._validate import fail
from ..sweep import devices
from .basis import PumpBasis, _default_memory_budget, check_memory, ed_bytes
from .hamiltonian import PumpParams, hamiltonian
from .linalg import check_algorithm, default_algorithm, eigh, eigvalsh, fallback_algorithm
from .observables import PumpObservables, observables_from_eigh
from .sectors import (
    PumpSectors,
    make_sectors,
    observables_from_sectors,
    physical_eigenvalues,
    sector_spectrum,
    sector_sz,
)

METHODS = ("auto", "sectors", "full")


def choose_method(params: PumpParams, method: str = "auto") -> str:
    """``"sectors"`` or ``"full"``: the sectors need a clean ring (disorder breaks U)."""
    if method not in METHODS:
        fail("method", method, "expected one of auto, sectors, full")
    if method == "auto":
        return "sectors" if params.is_clean else "full"
    if method == "sectors" and not params.is_clean:
        fail("method", method, "symmetry sectors need a clean ring (disorder breaks U); use 'full' or 'auto'")
    return method


def point_bytes(basis: PumpBasis, method: str = "full") -> int:
    """Estimated peak memory (bytes) of one parameter point with the given method."""
    return ed_bytes(basis.dim, basis.L, sectors=method == "sectors")


def chunk_size(basis: PumpBasis, n_points: int, memory_budget: float | None = None, method: str = "full",
               incremental: bool = True) -> int:
    """Points per chunk: what fits the memory budget — at most a tenth of the batch when results are
    shown or handed out as they come (progress bar, ``on_chunk``) — a multiple of the device count."""
    budget = memory_budget if memory_budget is not None else _default_memory_budget()
    fits = int(max(1, budget // point_bytes(basis, method)))
    return devices.round_up(max(1, min(fits, -(-n_points // 10) if incremental else n_points)))


def _full_observables(flat: PumpParams, basis: PumpBasis, sectors: None, algorithm: str) -> PumpObservables:
    def one(p):
        evals, evecs = eigh(hamiltonian(p, basis), algorithm)
        return observables_from_eigh(p, basis, evals, evecs)

    return jax.vmap(one)(flat)


def _sector_eigenpairs(flat: PumpParams, basis: PumpBasis, sectors: PumpSectors, algorithm: str):
    def one(p):
        evals, evecs = sector_spectrum(p, basis, sectors, partial(eigh, algorithm=algorithm))
        return evals, evecs, sector_sz(sectors, evecs)

    return jax.vmap(one)(flat)


def _sector_selection(batch, basis: PumpBasis, sectors: PumpSectors) -> PumpObservables:
    return jax.vmap(lambda p, e, v, z: observables_from_sectors(p, basis, sectors, e, v, z))(*batch)


def _full_spectrum(flat: PumpParams, basis: PumpBasis, sectors: None, algorithm: str) -> Array:
    return jax.vmap(lambda p: eigvalsh(hamiltonian(p, basis), algorithm))(flat)


def _sector_spectrum(flat: PumpParams, basis: PumpBasis, sectors: PumpSectors, algorithm: str) -> Array:
    def one(p):
        evals, _ = sector_spectrum(p, basis, sectors, lambda h: (eigvalsh(h, algorithm), None))
        return physical_eigenvalues(sectors, evals)

    return jax.vmap(one)(flat)


_KERNELS = {
    ("observables", "full"): _full_observables,
    ("spectrum", "full"): _full_spectrum,
    ("spectrum", "sectors"): _sector_spectrum,
}


@lru_cache(maxsize=None)
def _kernel(what: str, method: str, algorithm: str):
    """The jitted kernel, spread over the devices, for one solver. In sectors, the observables are
    two kernels: the eigenpairs, then the selection and observables (little work in much code,
    compiled light: :func:`jaxmotor.sweep.devices.spread`)."""
    if (what, method) == ("observables", "sectors"):
        eigenpairs = devices.spread(partial(_sector_eigenpairs, algorithm=algorithm), 2)
        selection = devices.spread(_sector_selection, 2, light=True)
        return lambda chunk, basis, sectors: selection((chunk, *eigenpairs(chunk, basis, sectors)), basis, sectors)
    return devices.spread(partial(_KERNELS[what, method], algorithm=algorithm), 2)


def _failed(out) -> bool:
    """A chunk whose eigendecomposition failed (the GPU solvers return NaN on failure)."""
    energies = out.E if isinstance(out, PumpObservables) else out
    return bool(np.isnan(energies).any())


def _run_chunk(what: str, method: str, algorithm: str, chunk, basis, sectors):
    """One chunk on the devices, back on the host; a failed GPU decomposition is redone with the other solver."""
    out = devices.gather(_kernel(what, method, algorithm)(chunk, basis, sectors))
    fallback = fallback_algorithm(algorithm)
    if fallback is not None and _failed(out):
        warnings.warn(f"eigh ({algorithm}) returned NaN in a chunk; recomputing it with '{fallback}'", stacklevel=3)
        out = devices.gather(_kernel(what, method, fallback)(chunk, basis, sectors))
    return out


def _run_chunked(
    what: str,
    params: PumpParams,
    basis: PumpBasis,
    *,
    method: str,
    memory_budget: float | None,
    progress: bool,
    on_chunk: Callable[[int, int, object], None] | None,
    desc: str,
    algorithm: str | None = None,
):
    method = choose_method(params, method)
    algorithm = check_algorithm(algorithm) if algorithm is not None else default_algorithm()
    check_memory(basis.L, basis.N, basis.S, point_bytes(basis, method), memory_budget,
                 "dense ED" if method == "full" else "ED in symmetry sectors")
    sectors = make_sectors(basis) if method == "sectors" else None
    full = params.broadcast(basis.L)
    shape = full.batch_shape
    n = prod(shape)
    flat = jax.tree.map(lambda x: np.asarray(x).reshape((n,) + x.shape[len(shape) :]), full)
    size = chunk_size(basis, n, memory_budget, method, incremental=progress or on_chunk is not None)
    starts = range(0, n, size)
    if progress and devices.is_writer():
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=f"{desc} ({method})", unit="chunk", total=-(-n // size), leave=False)
    pieces = []
    for start in starts:
        stop = min(start + size, n)
        index = np.minimum(np.arange(start, start + size), n - 1)  # pad with the last point
        chunk = devices.shard_batch(jax.tree.map(lambda x: x[index], flat))
        out = jax.tree.map(lambda x: x[: stop - start], _run_chunk(what, method, algorithm, chunk, basis, sectors))
        if on_chunk is not None:
            on_chunk(start, stop, out)
        pieces.append(out)
    joined = jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *pieces)
    return jax.tree.map(lambda x: x.reshape(shape + x.shape[1:]), joined)


def solve(
    params: PumpParams,
    basis: PumpBasis,
    *,
    method: str = "auto",
    memory_budget: float | None = None,
    progress: bool = False,
    on_chunk: Callable[[int, int, PumpObservables], None] | None = None,
    eigh_algorithm: str | None = None,
) -> PumpObservables:
    """Diagonalize H at every parameter point and compute the selected state's observables.

    Args:
        params: the parameters; every field may be an array (batch = their broadcast shape).
        basis: static structure from :func:`jaxmotor.pump.make_basis`.
        method: ``"auto"`` (sectors when there is no disorder, else full), ``"sectors"`` or
            ``"full"``; the result's ``method`` says which was used.
        memory_budget: bytes one chunk may use (default: half the machine's memory).
        progress: show a progress bar over chunks.
        on_chunk: called as ``on_chunk(start, stop, observables)`` with each finished chunk of the
            flattened batch (numpy arrays), e.g. to store it at once.
        eigh_algorithm: ``"lapack"`` (CPU), ``"qr"`` or ``"jacobi"`` (GPU); default: the measured
            best for the backend (:mod:`jaxmotor.pump.linalg`).

    Returns:
        :class:`PumpObservables` with numpy arrays of the batch shape (plus trailing axes).
    """
    return _run_chunked(
        "observables", params, basis, method=method, memory_budget=memory_budget, progress=progress,
        on_chunk=on_chunk, desc="pump ED", algorithm=eigh_algorithm,
    )


def spectrum(
    params: PumpParams,
    basis: PumpBasis,
    *,
    method: str = "auto",
    memory_budget: float | None = None,
    progress: bool = False,
    eigh_algorithm: str | None = None,
) -> Float[np.ndarray, "*batch D"]:
    """All eigenvalues of H (ascending) at every parameter point (Fig. 2). Shape batch + (D,)."""
    return _run_chunked(
        "spectrum", params, basis, method=method, memory_budget=memory_budget, progress=progress,
        on_chunk=None, desc="pump spectrum", algorithm=eigh_algorithm,
    )
