"""``jaxmotor sweep`` and ``jaxmotor plot``: the sweep engine and plots of its stores."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ._common import print_json

_SWEEP_HELP = """\
Run a grid of parameter points for either model into a labeled, resumable zarr store
(open it with xarray.open_zarr). Finished rows are durable as soon as they finish: run the
same command again after an interruption and it continues where it stopped.

The grid comes from a TOML file (see examples/sweeps/) or from flags:
  --set NAME=VALUE                a fixed parameter
  --axis NAME=START:STOP:STEP     an inclusive linear range
  --axis NAME=V1,V2,...           a list
  --axis NAME=log:START:STOP:NUM  a log range
The last axis is the fastest; one row along it is the unit of storage.
"""


def deterministic_gpu_ops() -> None:
    """Ask XLA for deterministic GPU kernels (``--xla_gpu_deterministic_ops=true`` in ``XLA_FLAGS``,
    unless the flag is set already). Why the command does this for ``sweep``: GPU reductions and
    scatters otherwise add in a run-dependent order, so a resumed sweep would differ from an
    uninterrupted one in the last bit (measured on an H100: up to 9e-16). It costs speed (the Fig. 3
    pump sweep ran 12.6x slower per point on the H100; ``--fast-gpu`` skips it). Takes effect only
    before JAX first uses a device; a no-op on a CPU, which is deterministic. The library itself never
    writes ``XLA_FLAGS``."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_gpu_deterministic_ops" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_gpu_deterministic_ops=true").strip()


def _sweep(args) -> int:
    from .. import sweep

    if not args.fast_gpu:
        deterministic_gpu_ops()  # before the first device use: a resumed sweep is bitwise identical

    if args.config is not None:
        if args.set or args.axis or args.model:
            raise ValueError("config is not allowed together with --model/--set/--axis: use one or the other")
        spec = sweep.load(args.config)
    else:
        if not args.model:
            raise ValueError("--model=None is not allowed: give a config file or --model pump|motor with --axis")
        spec = sweep.from_flags(args.model, args.set, args.axis)
    if args.memory_budget is not None and not args.memory_budget > 0:
        raise ValueError(f"--memory-budget={args.memory_budget!r} is not allowed: must be > 0 GiB")
    budget = None if args.memory_budget is None else args.memory_budget * 2**30
    budget = budget or (spec.options.get("memory_budget_gib", 0) * 2**30 or None)
    out = Path(args.out or f"jaxmotor-out/{spec.model}-sweep-{spec.fingerprint()}.zarr")
    block = spec.options.get("block_points")
    if block is not None and (isinstance(block, bool) or not isinstance(block, int) or block < 1):
        raise ValueError(f"run.block_points={block!r} is not allowed: expected an integer >= 1")
    path = sweep.run(spec, out, memory_budget=budget, progress=not (args.quiet or args.json), block_points=block)
    if args.json:
        print_json({"store": str(path), "shape": list(spec.shape), "axes": [a.name for a in spec.axes],
                    "fingerprint": spec.fingerprint()})
    else:
        print(f"store: {path}  (grid {' x '.join(map(str, spec.shape))}; open with xarray.open_zarr)")
    return 0


def _plot(args) -> int:
    from ..plots.store import plot_variable
    from ..store import open_store

    path = Path(args.store)
    if not path.is_dir():
        raise ValueError(f"STORE={args.store!r} is not allowed: no such store")
    try:
        ds = open_store(path)
    except Exception as err:  # zarr raises many kinds for a folder that is not a store
        raise ValueError(f"STORE={args.store!r} is not allowed: not a readable zarr store "
                         f"({type(err).__name__})") from None
    default = "delta_n" if "delta_n" in ds else "mean_velocity" if "mean_velocity" in ds else next(iter(ds.data_vars))
    variable = args.var or default
    out = Path(args.out or path.with_suffix("").as_posix() + f"_{variable}.png")
    plot_variable(ds, variable, out)
    if args.json:
        print_json({"plot": str(out), "variable": variable})
    else:
        print(f"plot: {out}")
    return 0


def register(commands) -> None:
    """Add ``sweep`` and ``plot`` to the top-level commands."""
    fmt = argparse.RawDescriptionHelpFormatter
    sweep = commands.add_parser("sweep", help="run a parameter grid of either model into a resumable store",
                                description=_SWEEP_HELP, formatter_class=fmt,
                                epilog="examples:\n"
                                "  jaxmotor sweep examples/sweeps/pump_phase_diagram.toml --out phase.zarr\n"
                                "  jaxmotor sweep --model pump --set L=6 --axis S=1,2,4 --axis omega=0.1:2:0.1 "
                                "--out s.zarr")
    sweep.add_argument("config", nargs="?", default=None, help="TOML sweep file")
    sweep.add_argument("--model", choices=("pump", "motor"), default=None,
                       help="model, when the grid is given by flags")
    sweep.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a fixed parameter")
    sweep.add_argument("--axis", action="append", default=[], metavar="NAME=docs/physics.md", help="a grid axis")
    sweep.add_argument("--out", default=None, metavar="STORE",
                       help="zarr store folder (default: jaxmotor-out/<model>-sweep-<hash>.zarr)")
    sweep.add_argument("--memory-budget", type=float, default=None, metavar="GIB", help="memory one batch may use, GiB")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    group = sweep.add_argument_group(
        "several processes",
        "Run one process per GPU (or per node) with the same command and the same --out; every process "
        "computes its share of each block, process 0 writes the store. On SLURM set "
        "JAXMOTOR_DISTRIBUTED=1 instead of these flags (the cluster is detected).")
    group.add_argument("--coordinator", default=None, metavar="HOST:PORT",
                       help="address of process 0, where the processes meet (e.g. 127.0.0.1:12345)")
    group.add_argument("--num-processes", type=int, default=None, metavar="N", help="number of processes")
    group.add_argument("--process-id", type=int, default=None, metavar="I", help="this process, 0..N-1")
    sweep.add_argument("--fast-gpu", action="store_true",
                       help="allow XLA's non-deterministic GPU kernels: faster (the pump ED up to ~10x on an "
                            "H100), but a resumed sweep then equals an uninterrupted one only to ~1e-15, not bitwise")
    sweep.add_argument("--json", action="store_true", help="print one JSON object (no progress bar)")
    sweep.set_defaults(func=_sweep)

    plot = commands.add_parser("plot", help="plot a stored sweep (line for one axis, heat map for two)",
                               description="Plot one variable of a sweep store: a line plot over one axis, a heat "
                               "map over two, with labeled axes and units.",
                               epilog="example: jaxmotor plot phase.zarr --var delta_n --out phase.png")
    plot.add_argument("store", metavar="STORE", help="a store written by jaxmotor sweep")
    plot.add_argument("--var", default=None, help="variable to plot (default delta_n or mean_velocity)")
    plot.add_argument("--out", default=None, metavar="PNG", help="output file (default next to the store)")
    plot.add_argument("--json", action="store_true", help="print one JSON object")
    plot.set_defaults(func=_plot)
