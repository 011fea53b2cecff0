"""The one batching driver: a pure per-point function run over a batch of points.

Every host driver of jaxmotor (``pump.solve``, ``pump.spectrum``, ``pump.spin_correlations``,
``pump.disorder_average``, ``pump.phase_diagram``, ``motor.simulate``, the sweep models) is

    run(per_point, flat_batch, replicated=(...), bytes_per_point=...)

on top of a pure one-point function (``pump.observables``, ``motor.ensemble``, ...) that composes
with ``jit``, ``vmap`` and ``grad`` by itself. The driver

1. takes a batch already flattened to one leading axis (:func:`flatten` broadcasts and flattens a
   pytree of parameters with a batch shape; :func:`unflatten` restores it),
2. cuts it into chunks that fit a memory budget (``budget // bytes_per_point`` points, at most a
   tenth of the batch when results are shown or handed out as they come, a multiple of the device
   count),
3. pads the last chunk by repeating its last point (so one compilation serves every chunk; the
   padding is cut off again and never reaches the caller),
4. shards each chunk over all devices of all processes along the batch axis
   (:mod:`jaxmotor._devices`),
5. gathers the results to numpy on the host, hands each chunk to ``on_chunk(start, stop, out)``
   (e.g. to store it at once) and shows a progress bar (updated between chunks only, never forcing a
   device sync inside a kernel),
6. and, for a solver that signals failure by NaN (cuSOLVER), recomputes a failed chunk with a
   fallback kernel.

The Python loop over chunks is the only loop on the host; everything inside a chunk is one jitted,
vmapped kernel.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from math import prod
from typing import Any

import jax
import numpy as np

from . import _devices
from ._validate import fail

PyTree = Any


def default_memory_budget() -> float:
    """Bytes a chunk may use: 90 % of the accelerator's allocator limit on a GPU, else half of the
    machine's physical memory."""
    stats = jax.devices()[0].memory_stats() if jax.default_backend() != "cpu" else None
    if stats and "bytes_limit" in stats:
        return 0.9 * stats["bytes_limit"]
    try:
        return 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def check_memory(name: str, value: Any, need: float, memory_budget: float | None, what: str) -> None:
    """Fail (naming the parameter ``name``) when ``need`` bytes exceed the memory budget."""
    budget = memory_budget if memory_budget is not None else default_memory_budget()
    if need > budget:
        fail(name, value, f"{what} needs about {need / 2**30:.2f} GiB, more than the memory budget of "
                          f"{budget / 2**30:.2f} GiB")


def check_budget(memory_budget: float | None) -> float | None:
    """Validate a user-given memory budget (bytes, > 0) or None (the default)."""
    if memory_budget is None:
        return None
    try:
        value = float(memory_budget)
    except (TypeError, ValueError):
        fail("memory_budget", memory_budget, "expected a number of bytes > 0")
    if not (np.isfinite(value) and value > 0):
        fail("memory_budget", memory_budget, "expected a finite number of bytes > 0")
    return value


def flatten(tree: PyTree, batch_shape: tuple[int, ...]) -> PyTree:
    """Every leaf broadcast to ``batch_shape`` (plus its own trailing axes beyond the batch) and
    reshaped to one leading axis of ``prod(batch_shape)`` points. Leaves must already carry the full
    batch shape or broadcast to it from the left (as numpy broadcasting does)."""
    n = prod(batch_shape)

    def one(x):
        x = np.asarray(x) if not isinstance(x, jax.Array) else x
        trailing = x.shape[len(batch_shape):] if x.ndim >= len(batch_shape) else ()
        x = np.broadcast_to(x, batch_shape + trailing) if isinstance(x, np.ndarray) else \
            jax.numpy.broadcast_to(x, batch_shape + trailing)
        return x.reshape((n,) + trailing)

    return jax.tree.map(one, tree)


def unflatten(tree: PyTree, batch_shape: tuple[int, ...]) -> PyTree:
    """Inverse of :func:`flatten`: the leading axis of every leaf back to ``batch_shape``."""
    return jax.tree.map(lambda x: x.reshape(tuple(batch_shape) + x.shape[1:]), tree)


def leading_size(tree: PyTree) -> int:
    """The common leading axis of the leaves of a flat batch."""
    sizes = {np.shape(x)[0] for x in jax.tree.leaves(tree)}
    if len(sizes) != 1:
        fail("batch", sorted(sizes), "every leaf of a flat batch needs the same leading axis")
    return sizes.pop()


def chunk_size(n_points: int, bytes_per_point: float, memory_budget: float | None = None, *,
               incremental: bool = False, max_points: int | None = None) -> int:
    """Points per chunk: what fits the memory budget — at most a tenth of the batch when results are
    shown or handed out as they come (``incremental``), at most ``max_points`` — rounded up to a
    multiple of the device count."""
    budget = memory_budget if memory_budget is not None else default_memory_budget()
    fits = int(max(1, budget // max(bytes_per_point, 1)))
    size = min(fits, -(-n_points // 10) if incremental else n_points)
    if max_points is not None:
        size = min(size, max_points)
    return _devices.round_up(max(1, size))


@cache
def kernel(per_point: Callable, n_replicated: int, light: bool = False) -> Callable:
    """``per_point`` vmapped over the leading axis of its first argument, jitted and spread over the
    devices (its other ``n_replicated`` arguments are shared by every point). Cached per function:
    pass the same function object to reuse the compilation."""
    return _devices.spread(_vmapped(per_point), n_replicated, light)


@cache
def _vmapped(per_point: Callable) -> Callable:
    def batched(points, *replicated):
        return jax.vmap(lambda p: per_point(p, *replicated))(points)

    return batched


def _has_nan(tree: PyTree) -> bool:
    return any(np.issubdtype(x.dtype, np.inexact) and bool(np.isnan(x).any()) for x in jax.tree.leaves(tree))


def run(
    per_point: Callable | None,
    batch: PyTree,
    *,
    replicated: Sequence = (),
    bytes_per_point: float = 1.0,
    memory_budget: float | None = None,
    progress: bool = False,
    desc: str = "",
    on_chunk: Callable[[int, int, PyTree], None] | None = None,
    light: bool = False,
    chunk_kernel: Callable | None = None,
    fallback: Callable | None = None,
    failed: Callable[[PyTree], bool] = _has_nan,
    max_points: int | None = None,
) -> PyTree:
    """Run ``per_point`` over every point of a flat batch, in chunks, on all devices.

    Args:
        per_point: a pure one-point function ``per_point(point, *replicated)``; vmapped and jitted
            here (:func:`kernel`). Ignored when ``chunk_kernel`` is given.
        batch: a pytree whose leaves share one leading axis of n points (see :func:`flatten`).
        replicated: arguments shared by every point (static structure such as a basis or keys).
        bytes_per_point: estimated peak memory of one point; the chunk holds
            ``memory_budget // bytes_per_point`` points.
        memory_budget: bytes one chunk may use (default :func:`default_memory_budget`).
        progress: a tqdm bar over the chunks (process 0 only).
        desc: the bar's label.
        on_chunk: called as ``on_chunk(start, stop, out)`` with each finished chunk (numpy arrays,
            padding removed), e.g. to store it at once.
        light: compile with little backend optimization on the CPU (kernels that are little work in
            much code).
        chunk_kernel: instead of ``per_point``, a function of a whole chunk
            ``chunk_kernel(chunk, *replicated)`` (already jitted/spread), for pipelines of several
            kernels.
        fallback: a chunk kernel to recompute a chunk with when ``failed(out)`` (default: any NaN),
            e.g. a GPU eigensolver that reports failure by NaN.
        failed: the failure test of ``fallback``.
        max_points: an upper bound on the chunk size.

    Returns:
        The outputs as numpy arrays with the leading axis n.
    """
    n = leading_size(batch)
    run_chunk = chunk_kernel if chunk_kernel is not None else kernel(per_point, len(replicated), light)
    incremental = progress or on_chunk is not None
    size = chunk_size(n, bytes_per_point, memory_budget, incremental=incremental, max_points=max_points)
    starts = range(0, n, size)
    bar = None
    if progress and _devices.is_writer():
        from tqdm.auto import tqdm

        starts = bar = tqdm(starts, desc=desc, unit="chunk", total=-(-n // size), leave=False)
    pieces = []
    try:
        for start in starts:
            stop = min(start + size, n)
            if start == 0 and size == n:  # the whole batch in one chunk: no copy
                chunk = _devices.shard_batch(batch)
            else:
                index = np.minimum(np.arange(start, start + size), n - 1)  # pad with the last point
                chunk = _devices.shard_batch(jax.tree.map(lambda x, index=index: x[index], batch))
            out = _devices.gather(run_chunk(chunk, *replicated))
            if fallback is not None and failed(out):
                warnings.warn(f"{desc or 'a kernel'}: a chunk failed (NaN); recomputing it with the fallback",
                              stacklevel=2)
                out = _devices.gather(fallback(chunk, *replicated))
            out = jax.tree.map(lambda x, n=stop - start: x[:n], out)
            if on_chunk is not None:
                on_chunk(start, stop, out)
            pieces.append(out)
    finally:
        if bar is not None:
            bar.close()
    return jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *pieces)


__all__ = ["run", "kernel", "flatten", "unflatten", "chunk_size", "default_memory_budget", "check_memory",
           "check_budget", "leading_size"]
