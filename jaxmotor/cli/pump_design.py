"""``jaxmotor pump gapdesign``: maximize the minimum particle-hole gap over (eta, Delta/J) by gradient."""

from __future__ import annotations

import argparse
import time

from ._common import add_output_options, output_dir, print_record
from .pump_ed import _MODEL_HELP, add_model_options, model_from_args


def bounds(text: str, flag: str) -> tuple[float, float]:
    """``LO,HI`` as two floats (the library validates the range)."""
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"{flag}={text!r} is not allowed: expected LO,HI (two comma-separated numbers)") from None
    return lo, hi


def _gapdesign(args) -> int:
    from ..pump._design import optimize_gap

    basis, params, _ = model_from_args(args, args.omega)
    t0 = time.perf_counter()
    design = optimize_gap(params, basis, steps=args.steps, learning_rate=args.learning_rate,
                          eta_bounds=bounds(args.eta_bounds, "--eta-bounds"),
                          delta_bounds=bounds(args.delta_bounds, "--delta-bounds"),
                          quantization_tol=args.quantization_tol, barrier=args.barrier, method=args.method,
                          progress=not (args.json or args.quiet))
    elapsed = time.perf_counter() - t0
    h = design.history
    record = {
        "L": basis.L, "N": basis.N, "S": basis.S, "J": args.J, "omega": design.omega,
        "eta": design.eta, "Delta": design.Delta, "ph_gap_min": design.ph_gap_min, "delta_n": design.delta_n,
        "start": {"eta": h["eta"][0], "Delta": h["Delta"][0], "ph_gap_min": h["ph_gap_min"][0],
                  "delta_n": h["delta_n"][0]},
        "iterations": design.iterations, "evaluations": design.evaluations, "rejected": design.rejected,
        "quantization_tol": args.quantization_tol, "barrier": args.barrier, "wall_time_s": elapsed,
        "history": h,
    }
    if not args.no_plot:
        from ..plots import pump_design as plots

        title = (f"max min particle-hole gap at omega={design.omega:g}: L={basis.L}, N={basis.N}, S={basis.S:g}, "
                 f"|dn-1|<{args.quantization_tol:g}")
        record["plot"] = str(plots.gap_history(design, quantization_tol=args.quantization_tol, title=title,
                                               path=output_dir(args.out) / "pump_gapdesign_history.png"))
    print_record(record, args.json)
    return 0


def register(commands) -> None:
    """Add ``gapdesign`` to ``jaxmotor pump``."""
    gd = commands.add_parser(
        "gapdesign", help="maximize the minimum particle-hole gap over (eta, Delta/J) by gradient",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Maximize the minimum particle-hole gap (Eq. 34) of the selected state over eta and "
        "Delta/J at fixed omega while Delta n stays quantized (|Delta n - 1| < --quantization-tol): Adam on "
        "gradients through the ED, box bounds by a sigmoid transform, a log barrier on the E' margin of the "
        "selected state (Eq. 11) and every step checked by an independent ED (steps off the plateau are "
        "halved, then dropped). --eta and --Delta give the start, which must be quantized. Prints the optimum "
        "and writes DIR/pump_gapdesign_history.png. Small sizes by default (L=6, S=5).\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump gapdesign --omega 0.5 --eta 0.95 --Delta 1 --json")
    add_model_options(gd)
    gd.set_defaults(L=6, S="5")
    small = {"L": "ring sites, even, >= 4 (default 6: every step diagonalizes H)",
             "S": "spin size, a positive multiple of 1/2 (default 5)",
             "eta": "starting eta, g = eta/S (default 0.95)", "Delta": "starting Delta (default 1)"}
    for action in gd._actions:
        action.help = small.get(action.dest, action.help)
    gd.add_argument("--omega", type=float, default=0.5, help="the fixed Larmor frequency omega/J (default 0.5)")
    d = gd.add_argument_group("design")
    d.add_argument("--steps", type=int, default=100, help="optimizer steps (default 100)")
    d.add_argument("--learning-rate", type=float, default=0.1,
                   help="Adam's initial step in the sigmoid variables, cosine-decayed (default 0.1)")
    d.add_argument("--eta-bounds", default="0.05,0.99", metavar="LO,HI",
                   help="box for eta, inside (0,1) (default 0.05,0.99)")
    d.add_argument("--delta-bounds", default="0.05,3", metavar="LO,HI", help="box for Delta/J, LO > 0 (default 0.05,3)")
    d.add_argument("--quantization-tol", type=float, default=0.03,
                   help="the plateau: |Delta n - 1| < this (default 0.03)")
    d.add_argument("--barrier", type=float, default=3e-3,
                   help="weight of the log barrier ln(E' margin), units of J (default 0.003)")
    add_output_options(gd, "jaxmotor-out/pump-gapdesign")
    gd.set_defaults(func=_gapdesign)
