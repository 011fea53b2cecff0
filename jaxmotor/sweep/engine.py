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

import numpy as np

from .. import _devices
from .._results import dataset_arrays
from .models import model_for
from .results import SweepStore
from .spec import SweepSpec

# A block holds at least one row and about this many points: big enough to keep a device busy,
# small enough that an interruption loses little.
_BLOCK_POINTS = 256


def run(
    spec: SweepSpec,
    out: str | Path,
    *,
    memory_budget: float | None = None,
    progress: bool = True,
    block_points: int = _BLOCK_POINTS,
) -> Path:
    """Run (or resume) a sweep into the store at ``out``. Returns the store path.

    Args:
        spec: the grid (see :mod:`jaxmotor.sweep.spec`).
        out: folder of the zarr store; an existing store of the same sweep is resumed, a store of
            another sweep is refused with a ``ValueError``.
        memory_budget: bytes one batch may use (default: half the machine's memory).
        progress: show a progress bar.
        block_points: about how many points are computed (and stored) together; at least one row.
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
