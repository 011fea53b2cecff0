"""Batched exact diagonalization of the pump and the full observables pipeline.

``solve(params, basis)`` diagonalizes H at every point of the parameter batch and computes every
observable of the selected state inside one jitted, vmapped function — either in the whole space
(``method="full"``) or block by block in the L symmetry sectors of U = T₁e^{iπS_z}
(``method="sectors"``, :mod:`jaxmotor.pump.sectors`; all sectors of all points in one batched
``eigh``). ``method="auto"`` (default) takes the sectors whenever the ring is clean.

The batch is cut into chunks of a fixed size that fits a memory budget (the last chunk is padded by
repeating its last point, so one compilation serves the whole sweep), and every chunk is sharded
over all devices along the batch axis (:mod:`jaxmotor.sweep.devices`). A host loop over chunks is
the only Python loop; it drives the progress bar and hands each finished chunk to an optional
callback (so long sweeps can store results as they come).
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._validate import fail
from ..sweep import devices
from .basis import PumpBasis, _default_memory_budget, check_memory, ed_bytes
from .hamiltonian import PumpParams, hamiltonian
from .observables import PumpObservables, observables_from_eigh
from .sectors import PumpSectors, make_sectors, observables_from_sectors, physical_eigenvalues, sector_spectrum

METHODS = ("auto", "sectors", "full")


def _lapack_eigh(matrix):
    return jnp.linalg.eigh(matrix, symmetrize_input=False)


def _lapack_eigvalsh(matrix):
    return jnp.linalg.eigvalsh(matrix)


def _one_at_a_time(decompose):
    """``decompose`` whose batching rule is ``lax.map`` (one LAPACK call per matrix).

    JAX's batched LAPACK kernels on the CPU split the batch into tasks on XLA's intra-op thread pool
    and block a pool thread until they finish. With several CPU devices running at once (e.g.
    ``--xla_force_host_platform_device_count``), every pool thread can end up blocked that way and
    the run stalls for ever; one matrix per call never waits on the pool. The devices still run in
    parallel, so nothing is lost.
    """
    serial = jax.custom_batching.custom_vmap(decompose)

    @serial.def_vmap
    def _rule(axis_size, in_batched, matrix):
        if not in_batched[0]:
            out = serial(matrix)
            return out, jax.tree.map(lambda _: False, out)
        out = jax.lax.map(serial, matrix)
        return out, jax.tree.map(lambda _: True, out)

    return serial


_serial_eigh = _one_at_a_time(_lapack_eigh)
_serial_eigvalsh = _one_at_a_time(_lapack_eigvalsh)


def _serial_linalg() -> bool:
    """Batched LAPACK must go one matrix at a time: several CPU devices share one thread pool."""
    return jax.default_backend() == "cpu" and jax.local_device_count() > 1


def eigh(matrix):
    """Eigen-decomposition of a Hermitian matrix, ascending eigenvalues (LAPACK/cuSOLVER heevd)."""
    return (_serial_eigh if _serial_linalg() else _lapack_eigh)(matrix)


def eigvalsh(matrix):
    """Ascending eigenvalues of a Hermitian matrix (same batching policy as :func:`eigh`)."""
    return (_serial_eigvalsh if _serial_linalg() else _lapack_eigvalsh)(matrix)


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


def chunk_size(basis: PumpBasis, n_points: int, memory_budget: float | None = None, method: str = "full") -> int:
    """Points per chunk: what fits the memory budget, at most a tenth of the batch (so a progress
    bar moves), a multiple of the device count."""
    budget = memory_budget if memory_budget is not None else _default_memory_budget()
    fits = int(max(1, budget // point_bytes(basis, method)))
    return devices.round_up(max(1, min(fits, -(-n_points // 10))))


@eqx.filter_jit
def _full_observables(flat: PumpParams, basis: PumpBasis, sectors: None) -> PumpObservables:
    def one(p):
        evals, evecs = eigh(hamiltonian(p, basis))
        return observables_from_eigh(p, basis, evals, evecs)

    return jax.vmap(one)(flat)


@eqx.filter_jit
def _sector_observables(flat: PumpParams, basis: PumpBasis, sectors: PumpSectors) -> PumpObservables:
    def one(p):
        evals, evecs = sector_spectrum(p, basis, sectors, eigh)
        return observables_from_sectors(p, basis, sectors, evals, evecs)

    return jax.vmap(one)(flat)


@eqx.filter_jit
def _full_spectrum(flat: PumpParams, basis: PumpBasis, sectors: None) -> Array:
    return jax.vmap(lambda p: eigvalsh(hamiltonian(p, basis)))(flat)


@eqx.filter_jit
def _sector_spectrum(flat: PumpParams, basis: PumpBasis, sectors: PumpSectors) -> Array:
    def one(p):
        evals, _ = sector_spectrum(p, basis, sectors, lambda h: (eigvalsh(h), None))
        return physical_eigenvalues(sectors, evals)

    return jax.vmap(one)(flat)


_KERNELS = {
    ("observables", "full"): _full_observables,
    ("observables", "sectors"): _sector_observables,
    ("spectrum", "full"): _full_spectrum,
    ("spectrum", "sectors"): _sector_spectrum,
}


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
):
    method = choose_method(params, method)
    check_memory(basis.L, basis.N, basis.S, point_bytes(basis, method), memory_budget,
                 "dense ED" if method == "full" else "ED in symmetry sectors")
    kernel = devices.spread(_KERNELS[what, method], 2)
    sectors = make_sectors(basis) if method == "sectors" else None
    full = params.broadcast(basis.L)
    shape = full.batch_shape
    n = prod(shape)
    flat = jax.tree.map(lambda x: np.asarray(x).reshape((n,) + x.shape[len(shape) :]), full)
    size = chunk_size(basis, n, memory_budget, method)
    starts = range(0, n, size)
    if progress and devices.is_writer():
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=f"{desc} ({method})", unit="chunk", total=-(-n // size), leave=False)
    pieces = []
    for start in starts:
        stop = min(start + size, n)
        index = np.minimum(np.arange(start, start + size), n - 1)  # pad with the last point
        chunk = devices.shard_batch(jax.tree.map(lambda x: x[index], flat))
        out = jax.tree.map(lambda x: x[: stop - start], devices.gather(kernel(chunk, basis, sectors)))
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

    Returns:
        :class:`PumpObservables` with numpy arrays of the batch shape (plus trailing axes).
    """
    return _run_chunked(
        "observables", params, basis, method=method, memory_budget=memory_budget, progress=progress,
        on_chunk=on_chunk, desc="pump ED",
    )


def spectrum(
    params: PumpParams,
    basis: PumpBasis,
    *,
    method: str = "auto",
    memory_budget: float | None = None,
    progress: bool = False,
) -> Float[np.ndarray, "*batch D"]:
    """All eigenvalues of H (ascending) at every parameter point (Fig. 2). Shape batch + (D,)."""
    return _run_chunked(
        "spectrum", params, basis, method=method, memory_budget=memory_budget, progress=progress,
        on_chunk=None, desc="pump spectrum",
    )
