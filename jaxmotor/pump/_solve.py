"""The pump's batched drivers: :func:`solve` (every observable) and :func:`spectrum` (Fig. 2).

Both are the one batching driver (:mod:`jaxmotor.batching`) run over the pure one-point functions of
:mod:`jaxmotor.pump._point`: the parameter batch is broadcast and flattened, cut into chunks that
fit a memory budget, padded, sharded over all devices, gathered to numpy and handed to an optional
callback chunk by chunk. In the symmetry sectors a chunk runs as two kernels: the batched ``eigh``
of the representative blocks, then the selection and observables (little work in much code,
compiled light on the CPU). A chunk whose GPU eigendecomposition failed (NaN) is recomputed with the
solver's fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
from jaxtyping import Float

from .. import _devices, batching
from .._validate import fail
from ._basis import PumpBasis, ed_bytes
from ._hamiltonian import PumpParams
from ._linalg import EighSolver
from ._observables import PumpObservables
from ._point import METHODS, eigenvalues, full_observables, sector_eigenpairs
from ._sectors import make_sectors, observables_from_sectors


def choose_method(params: PumpParams, method: str = "auto") -> str:
    """``"sectors"`` or ``"full"`` for a (concrete) parameter batch: the sectors need a clean ring."""
    if method not in METHODS:
        fail("method", method, "expected one of auto, sectors, full")
    clean = params.is_clean
    if method == "auto":
        return "sectors" if clean else "full"
    if method == "sectors" and not clean:
        fail("method", method, "symmetry sectors need a clean ring (disorder breaks U); use 'full' or 'auto'")
    return method


def point_bytes(basis: PumpBasis, method: str = "full") -> int:
    """Estimated peak memory (bytes) of one parameter point with the given method."""
    return ed_bytes(basis.dim, basis.L, sectors=method == "sectors")


def check_point_memory(basis: PumpBasis, method: str, memory_budget: float | None) -> None:
    """Refuse up front (naming L) a size whose single point cannot fit the memory budget."""
    what = "dense ED" if method == "full" else "ED in symmetry sectors"
    batching.check_memory("L", basis.L, point_bytes(basis, method), memory_budget,
                          f"{what} of L={basis.L}, N={basis.N}, S={basis.S:g} (one point)")


@cache
def _chunk_kernel(what: str, method: str, solver: EighSolver):
    """The jitted kernel of a whole chunk (vmapped over its points, spread over the devices)."""
    if what == "spectrum":
        return batching.kernel(lambda p, basis: eigenvalues(p, basis, method=method, solver=solver), 1)
    if method == "full":
        return batching.kernel(lambda p, basis: full_observables(p, basis, solver), 1)
    eigenpairs = batching.kernel(lambda p, basis, sectors: sector_eigenpairs(p, basis, sectors, solver), 2)
    selection = batching.kernel(lambda x, basis, sectors: observables_from_sectors(x[0], basis, sectors, *x[1:]), 2,
                                light=True)

    def chunk(points, basis, sectors=None):
        sectors = make_sectors(basis) if sectors is None else sectors
        return selection((points, *eigenpairs(points, basis, sectors)), basis, sectors)

    return chunk


def _run(what: str, params: PumpParams, basis: PumpBasis, *, method: str, memory_budget: float | None,
         progress: bool, on_chunk, desc: str, solver: EighSolver | None, padded=None):
    solver = EighSolver.default() if solver is None else solver
    memory_budget = batching.check_budget(memory_budget)
    method = choose_method(params, method)
    check_point_memory(basis, method, memory_budget)
    full = params.broadcast(basis.L)
    if method == "sectors":
        full = PumpParams(omega=full.omega, eta=full.eta, J=full.J, Delta=full.Delta, flux=full.flux)
    shape = full.batch_shape
    fallback = solver.with_fallback()
    # a spin space padded to a bucket size (jaxmotor.pump._buckets): the padded basis and sectors
    replicated = (basis,) if padded is None else padded
    out = batching.run(
        None, batching.flatten(full, shape), replicated=replicated, bytes_per_point=point_bytes(basis, method),
        memory_budget=memory_budget, progress=progress and _devices.is_writer(), desc=f"{desc} ({method})",
        on_chunk=on_chunk, chunk_kernel=_chunk_kernel(what, method, solver),
        fallback=None if fallback is None else _chunk_kernel(what, method, fallback),
    )
    return batching.unflatten(out, shape)


def solve(
    params: PumpParams,
    basis: PumpBasis,
    *,
    method: str = "auto",
    memory_budget: float | None = None,
    progress: bool = False,
    on_chunk: Callable[[int, int, PumpObservables], None] | None = None,
    solver: EighSolver | None = None,
) -> PumpObservables:
    """Diagonalize H at every parameter point and compute the selected state's observables.

    The batched form of :func:`jaxmotor.pump.observables` (same values; this one runs on the host
    and is not itself transformable).

    Args:
        params: the parameters; every field may be an array (batch = their broadcast shape).
        basis: static structure from :func:`jaxmotor.pump.make_basis`.
        method: ``"auto"`` (sectors when there is no disorder, else full), ``"sectors"`` or
            ``"full"``; the result's ``method`` says which was used.
        memory_budget: bytes one chunk may use (default: half the machine's memory).
        progress: show a progress bar over chunks.
        on_chunk: called as ``on_chunk(start, stop, observables)`` with each finished chunk of the
            flattened batch (numpy arrays), e.g. to store it at once.
        solver: the eigensolver (default :meth:`~jaxmotor.pump.EighSolver.default`, the measured best
            for the backend).

    Returns:
        :class:`PumpObservables` with numpy arrays of the batch shape (plus trailing axes).
    """
    return _run("observables", params, basis, method=method, memory_budget=memory_budget, progress=progress,
                on_chunk=on_chunk, desc="pump ED", solver=solver)


def spectrum(
    params: PumpParams,
    basis: PumpBasis,
    *,
    method: str = "auto",
    memory_budget: float | None = None,
    progress: bool = False,
    solver: EighSolver | None = None,
) -> Float[np.ndarray, "*batch D"]:
    """All eigenvalues of H (ascending) at every parameter point (Fig. 2). Shape batch + (D,)."""
    return _run("spectrum", params, basis, method=method, memory_budget=memory_budget, progress=progress,
                on_chunk=None, desc="pump spectrum", solver=solver)


def solve_spins(
    params: PumpParams | list[PumpParams],
    bases: list[PumpBasis],
    *,
    method: str = "auto",
    memory_budget: float | None = None,
    progress: bool = False,
    solver: EighSolver | None = None,
) -> list[PumpObservables]:
    """:func:`solve` at several spin sizes (one basis each; same L, N): the same parameters for all,
    or one parameter batch per basis.

    In the symmetry sectors the spin spaces are padded to a few bucket sizes
    (:mod:`jaxmotor.pump._buckets`), so the kernels compile once per bucket, not once per spin
    size; the observables are those of the unpadded bases.
    """
    each = list(params) if isinstance(params, (list, tuple)) else [params] * len(bases)
    if len(bases) < 2 or any(choose_method(p, method) != "sectors" for p in each):
        return [solve(p, b, method=method, memory_budget=memory_budget, solver=solver) for p, b in zip(each, bases)]
    from ._buckets import bucketed

    items = zip(each, bases, bucketed(bases))
    if progress and _devices.is_writer():
        from tqdm.auto import tqdm

        items = tqdm(list(items), desc="spin sizes", unit="S", leave=False)
    return [_run("observables", p, basis, method="sectors", memory_budget=memory_budget, progress=False,
                 on_chunk=None, desc="pump ED", solver=solver, padded=pair) for p, basis, pair in items]

