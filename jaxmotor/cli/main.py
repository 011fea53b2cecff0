"""Entry point of the ``jaxmotor`` command.

    jaxmotor pump  {sweep,point,spectrum,...}   the autonomous topological pump (ED)
    jaxmotor motor {run,loadcurve,transient,...} the Thouless motor (Langevin ensembles)
    jaxmotor sweep CONFIG.toml                   a grid of either model into a resumable store
    jaxmotor plot STORE                          line plot / heat map of a stored sweep

Every subcommand validates its input at the boundary: a bad value prints one line
``jaxmotor: error: ...`` on stderr and exits with status 2.

Compiled kernels are cached on disk (JAX's persistent compilation cache) in
``$JAX_COMPILATION_CACHE_DIR`` when set, else in the user's cache folder
(``$XDG_CACHE_HOME/jaxmotor/xla``, by default ``~/.cache/jaxmotor/xla``): a second identical command
compiles nothing. ``--no-compilation-cache`` turns it off for one command.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import motor as motor_cli, motor_paper, pump_design, pump_dynamics, pump_ed, pump_figures, pump_quantum, sweep
from ._common import OneLineParser, one_line

_DESCRIPTION = """\
jaxmotor: adiabatic quantum motors and pumps in JAX (float64, CPU or GPU).

Models:
  pump    the autonomous topological pump: fermions on a Rice-Mele ring driven by one quantum
          spin precessing in a field, solved by batched exact diagonalization
  motor   the Thouless motor: the pump run in reverse, Langevin dynamics of the motor angle
          with memory friction and colored quantum noise

Start with:  jaxmotor pump sweep        (Fig. 3 of the pump paper: writes data and a PNG)
             jaxmotor pump point --omega 0.25 --json
Grids of either model: jaxmotor sweep CONFIG.toml (resumable, labeled zarr store); jaxmotor plot STORE
Units: hbar = e = k_B = 1; energies in units of the hopping J unless stated.
"""


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="jaxmotor", description=_DESCRIPTION,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"jaxmotor {__version__}")
    parser.add_argument("--no-compilation-cache", action="store_true",
                        help="do not read or write compiled kernels on disk (default: cached in "
                             "$JAX_COMPILATION_CACHE_DIR or ~/.cache/jaxmotor/xla)")
    models = parser.add_subparsers(dest="model", metavar="COMMAND", required=True)
    pump = models.add_parser("pump", help="the autonomous topological pump (exact diagonalization)",
                             description="The autonomous topological pump (spin-Rice-Mele ring).")
    pump_commands = pump.add_subparsers(dest="command", metavar="COMMAND", required=True)
    pump_ed.register(pump_commands)
    pump_figures.register(pump_commands)
    pump_dynamics.register(pump_commands)
    pump_design.register(pump_commands)
    pump_quantum.register(pump_commands)
    motor = models.add_parser("motor", help="the Thouless motor (Langevin ensembles)",
                              description="The Thouless motor (Langevin dynamics with memory friction and "
                                          "colored noise).")
    motor_commands = motor.add_subparsers(dest="command", metavar="COMMAND", required=True)
    motor_cli.register(motor_commands)
    motor_paper.register(motor_commands)
    sweep.register(models)
    return parser


def compilation_cache_dir() -> Path:
    """Where the command caches compiled kernels: ``$JAX_COMPILATION_CACHE_DIR`` if set, else
    ``$XDG_CACHE_HOME/jaxmotor/xla`` (``~/.cache/jaxmotor/xla``)."""
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jaxmotor" / "xla"


def enable_compilation_cache() -> None:
    """Switch on JAX's persistent compilation cache for this command, every kernel included (the
    CLI's kernels compile in 0.1-1 s each, below JAX's default threshold of 1 s)."""
    import jax

    jax.config.update("jax_compilation_cache_dir", str(compilation_cache_dir()))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .._devices import initialize_distributed

    try:
        if not args.no_compilation_cache:
            enable_compilation_cache()
        initialize_distributed(getattr(args, "coordinator", None), getattr(args, "num_processes", None),
                               getattr(args, "process_id", None))
        return int(args.func(args) or 0)
    except ValueError as err:
        print(f"jaxmotor: error: {one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jaxmotor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
