"""Entry point of the ``jaxmotor`` command.

    jaxmotor pump  {sweep,point,spectrum,...}   the autonomous topological pump (ED)
    jaxmotor motor {run,loadcurve,transient,...} the Thouless motor (Langevin ensembles)
    jaxmotor sweep CONFIG.toml                   a grid of either model into a resumable store
    jaxmotor plot STORE                          line plot / heat map of a stored sweep

Every subcommand validates its input at the boundary: a bad value prints one line
``jaxmotor: error: ...`` on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys

from . import motor as motor_cli
from . import motor_paper, pump_design, pump_dynamics, pump_ed, pump_figures, sweep
from . import pump_quantum
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
                              description="The Thouless motor (Langevin dynamics with memory friction and colored noise).")
    motor_commands = motor.add_subparsers(dest="command", metavar="COMMAND", required=True)
    motor_cli.register(motor_commands)
    motor_paper.register(motor_commands)
    sweep.register(models)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .._devices import initialize_distributed

    try:
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
