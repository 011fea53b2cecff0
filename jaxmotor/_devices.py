"""Devices for the batching driver (:mod:`jaxmotor.batching`): a 1-D mesh over all devices and a
NamedSharding of the batch axis.

Every batched kernel of jaxmotor is a ``jit`` of a ``vmap`` over the leading (batch) axis. Placing
that axis with ``NamedSharding(mesh, P("batch"))`` makes XLA partition the computation across the
devices with no code change (SPMD; no ``pmap``). The chunk size is rounded up to a multiple of the
device count and padded by repeating the last point, so shapes stay static.

Multi-host: call :func:`initialize_distributed` first (the ``jaxmotor`` command does it when the
environment variable ``JAXMOTOR_DISTRIBUTED=1`` is set, e.g. under SLURM with one process per node or
per GPU).
``jax.devices()`` then lists the devices of every process; each process contributes the shards of
its own devices (:func:`shard_batch` builds the global array from the host copy every process
holds), and :func:`gather` brings the results back to every host.
"""

from __future__ import annotations

import os
from functools import cache

import equinox as eqx
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._validate import check_int, fail


def initialize_distributed(coordinator: str | None = None, num_processes: int | None = None,
                           process_id: int | None = None) -> None:
    """Start ``jax.distributed`` for a run over several processes.

    With ``coordinator`` (``HOST:PORT`` of process 0), ``num_processes`` and ``process_id`` the
    processes find each other there (a workstation with several GPUs: one process per GPU; or CPU
    processes, which then exchange data through Gloo collectives). Without them, the environment
    variable ``JAXMOTOR_DISTRIBUTED=1`` asks JAX to detect the cluster (SLURM, Open MPI, ...). Once per
    process; a no-op otherwise.
    """
    if getattr(initialize_distributed, "done", False):
        return
    given = [coordinator is not None, num_processes is not None, process_id is not None]
    if any(given):
        if not all(given):
            fail("coordinator", coordinator, "give --coordinator HOST:PORT, --num-processes N and --process-id I "
                 "together")
        host, _, port = str(coordinator).rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            fail("coordinator", coordinator, "expected HOST:PORT with a port in 1..65535")
        num_processes = check_int("num_processes", num_processes, low=1, high=100_000)
        process_id = check_int("process_id", process_id, low=0, high=num_processes - 1)
        jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU processes need collectives
        jax.distributed.initialize(coordinator_address=str(coordinator), num_processes=num_processes,
                                   process_id=process_id)
        initialize_distributed.done = True
    elif os.environ.get("JAXMOTOR_DISTRIBUTED") == "1":
        jax.distributed.initialize()
        initialize_distributed.done = True


def device_count() -> int:
    return jax.device_count()


def batch_sharding() -> NamedSharding:
    """Sharding of the leading axis over all devices (of all processes)."""
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    return NamedSharding(mesh, PartitionSpec("batch"))


def round_up(size: int) -> int:
    """``size`` rounded up to a multiple of the device count."""
    n = device_count()
    return -(-size // n) * n


# XLA options for kernels that are little work in much code (``spread(..., light=True)``): on the CPU
# XLA's backend optimization of them costs more compile time than it saves at run time (the pump's
# selection and observables kernel, Fig. 3 batch: 0.77 s compile + 0.06 s run at the default level,
# 0.46 s + 0.06-0.1 s at level 0).
_LIGHT_CPU_OPTIONS = {"xla_backend_optimization_level": 0}


@cache
def spread(kernel, n_replicated: int, light: bool = False):
    """``kernel(batch, *replicated)`` run on every device's shard of the batch (``shard_map`` over
    the batch mesh; the other arguments are replicated), jitted. ``light``: compile with little
    backend optimization on the CPU (for kernels whose run time is small next to their compile time).

    Each device runs the vmapped kernel on its own rows, so kernels with data-dependent gathers and
    scatters need no cross-device partitioning (XLA's automatic partitioning of such kernels over
    virtual CPU devices can stall).
    """
    options = _LIGHT_CPU_OPTIONS if light and jax.default_backend() == "cpu" else None
    if device_count() == 1:
        return eqx.filter_jit(kernel, compiler_options=options)
    mesh = Mesh(np.array(jax.devices()), ("batch",))
    specs = (PartitionSpec("batch"),) + (PartitionSpec(),) * n_replicated
    # check_vma=False: the kernels start scans from unvarying constants (zeros) that become per-row values
    return jax.jit(jax.shard_map(kernel, mesh=mesh, in_specs=specs, out_specs=PartitionSpec("batch"), check_vma=False),
                   compiler_options=options)


def shard_batch(tree):
    """Place every leaf (host numpy arrays, leading axis divisible by the device count) on the mesh."""
    if device_count() == 1:
        return tree
    sharding = batch_sharding()

    def place(x):
        if jax.dtypes.issubdtype(getattr(x, "dtype", None), jax.dtypes.prng_key):  # typed PRNG keys: by their data
            data = np.asarray(jax.random.key_data(x))
            placed = jax.make_array_from_callback(data.shape, sharding, lambda index: data[index])
            return jax.random.wrap_key_data(placed, impl=jax.random.key_impl(x))
        x = np.asarray(x)
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

    return jax.tree.map(place, tree)


def gather(tree):
    """Results back on the host as numpy arrays (all processes get the whole arrays)."""
    if jax.process_count() == 1:
        return jax.tree.map(np.asarray, tree)
    from jax.experimental import multihost_utils

    return jax.tree.map(np.asarray, multihost_utils.process_allgather(tree, tiled=True))


def is_writer() -> bool:
    """Only process 0 writes stores and shows progress."""
    return jax.process_index() == 0
