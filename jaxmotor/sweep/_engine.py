"""The sweep engine: run a grid of parameter points in blocks of rows, storing each block at once.

The grid is cut into rows along its last axis; blocks of rows are computed by the model's batched,
jitted kernel (which itself chunks to the memory budget and shards each chunk over the local
devices, see :mod:`jaxmotor.batching`), then written to the store and marked done. Restarting
the same sweep skips the finished rows, so an interrupted run loses at most the block in flight
and ends with a result identical to an uninterrupted one.

Progress: one tqdm bar per sweep on the host (points, points per second, ETA); it is updated
between blocks only, so it never forces a device sync inside a jitted computation.
"""

from __future__ import annotations

from math import prod
from pathlib import Path

from .. import _devices, batching
from .._results import dataset_arrays
from ._models import model_for
from ._spec import SweepSpec
from ._store import SweepStore

# A block holds at most this share of the grid (an interruption loses little) and at least one row.
_BLOCK_SHARE = 0.1


def run(
    spec: SweepSpec,
    out: str | Path,
    *,
    memory_budget: float | None = None,
    progress: bool = True,
    block_points: int | None = None,
) -> Path:
    """Run (or resume) a sweep into the store at ``out``. Returns the store path.

    Args:
        spec: the grid (see :mod:`jaxmotor.sweep._spec`).
        out: folder of the zarr store; an existing store of the same sweep is resumed, a store of
            another sweep is refused with a ``ValueError``.
        memory_budget: bytes one batch may use (default: half the machine's memory).
        progress: show a progress bar.
        block_points: about how many points are computed (and stored) together; at least one row.
            Default: as many as fit the memory budget (the model's estimate per point, so a big
            device runs big blocks), at most a tenth of the grid (what an interruption can lose).
    """
    model = model_for(spec)
    model.validate()  # every error is raised here, before anything is written
    results = SweepStore(out, spec)
    results.check_compatible()
    shape = spec.shape
    row_length = shape[-1]
    n_rows = prod(shape[:-1])
    done = results.done_rows() if results.exists else set()
    todo = [r for r in range(n_rows) if r not in done]
    points = {k: v.reshape(n_rows, row_length) for k, v in spec.points().items()}
    if block_points is None:
        budget = memory_budget if memory_budget is not None else batching.default_memory_budget()
        fits = int(budget // max(model.point_bytes(), 1))
        block_points = max(1, min(fits, int(_BLOCK_SHARE * n_rows * row_length) or 1))
    rows_per_block = max(1, block_points // row_length)

    writer = _devices.is_writer()  # multi-host: every process computes, process 0 stores
    bar = None
    if progress and writer:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_rows * row_length, initial=len(done) * row_length, unit="pt",
                   desc=f"{spec.model} sweep", dynamic_ncols=True)
    try:
        for start in range(0, len(todo), rows_per_block):
            block = todo[start : start + rows_per_block]
            block_points = {k: v[block].reshape(-1) for k, v in points.items()}
            computed, trailing = dataset_arrays(model.compute(block_points, memory_budget=memory_budget))
            values = {k: v.reshape((len(block), row_length) + v.shape[1:]) for k, v in computed.items()}
            if writer:
                if not results.exists:
                    results.create({k: v[0] for k, v in values.items()}, trailing, model.attrs())
                results.write_rows(block, values)
            if bar is not None:
                bar.update(len(block) * row_length)
                bar.set_postfix(rows=f"{len(done) + start + len(block)}/{n_rows}")
    finally:
        if bar is not None:
            bar.close()
    return results.path
