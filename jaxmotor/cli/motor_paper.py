"""``jaxmotor motor field | statics``: the motor paper's field theory (Secs. IV C, IV E, App. B) and
statics (Sec. III, App. A)."""

from __future__ import annotations

import argparse
import time

import numpy as np

from ._common import add_output_options, output_dir, print_record

_FIELD_HELP = """\
The classical Luttinger-liquid field (motor paper Eqs. 44-47, App. B; docs/physics.md section 2),
units hbar = e = k_B = 1:
  d_t phi = -v K d_x theta_f,  d_t theta_f = -(v/K) d_x phi,  K, v_c for |x| < D/2, K = 1, v_F outside
  (with --tau = D/v_c; without it the infinite Luttinger liquid), pinned by the motor: phi(0, t) = -theta(t)/2.
Energy current j_E = -(v/pi K) d_t phi d_x phi (Eq. 47); force on the motor -(v_c/2 pi K)[d_x phi] at x = 0,
to compare with the Langevin friction -gamma0 [theta' + 2 sum_n r^n theta'(t - n tau)] (Eq. 59).
Motions: constant (theta = theta' t from t = 0) or step (a move at theta' lasting --duration, at rest after).
Closed forms: steady power theta'^2/(2 pi) with leads, theta'^2/(2 pi K) without (Eqs. 49, 66); a move of
duration t_s <= tau dissipates t_s theta'^2/(2 pi K) (Eq. 64; closed_forms.move_dissipation beyond).
Grid: leapfrog in the travel-time coordinate; at --courant 1 exact on the nodes; the force and j_E are
second order in dt, a velocity jump of the motion costs O(dt) in energy (gamma0 theta'^2 dt/2 per move).
"""

_STATICS_HELP = """\
Statics (motor paper Sec. III, App. A; docs/physics.md section 2), units hbar = e = k_B = 1:
  gap Delta = (4 V0 K vc/lambda / (2 pi vc/lambda)^K)^(1/(2-K)) (Eq. 15), also found by integrating the RG
  flows dV/dl = -K V (Eq. 13, until the cutoff (2 pi vc/lambda)e^-l meets sqrt(4 V K vc/lambda)) and
  dV/dl = (2-K) V (Eq. 9) numerically (RK4); ratio Delta(K)/Delta(1) = K (pi^2 vc/(lambda V0 K))^((1-K)/(2-K)):
  the printed Eq. 16 has 2 V0 K in place of V0 K (smaller by 2^((1-K)/(2-K))); soliton energy 2 Delta/(pi K);
  critical chemical potential mu_c = 2 Delta/(pi K) (Eq. 24). Needs 0 < K < 2 and V0 < pi^2 vc/(K lambda).
"""


def _field(args) -> int:
    from .. import store
    from .._validate import check_range
    from ..motor import closed_forms as cf
    from ..motor._field import FieldSolver, prescribed_motion, solve_field

    leads = args.tau is not None
    check_range("--K", args.K, low=0.0, low_inclusive=False)
    check_range("--velocity", args.velocity)
    check_range("--courant", args.courant, low=0.0, high=1.0, low_inclusive=False)
    for name in ("tau", "time", "dt", "duration", "span", "vc", "vF"):
        value = getattr(args, name)
        if value is not None:
            check_range(f"--{name}", value, low=0.0, low_inclusive=False)
    if args.motion == "step" and args.duration is None:
        raise ValueError("--duration=None is not allowed: --motion step needs the move's duration t_s > 0")
    if args.motion == "constant" and args.duration is not None:
        raise ValueError(f"--duration={args.duration} is not allowed: only with --motion step")
    if args.time is not None:
        total = args.time
    elif args.motion == "step":  # the move, then time for its energy to leave (|r|^10 with leads)
        total = args.duration + (10 * args.tau if leads else max(args.duration, 1.0))
    else:
        total = 10 * args.tau if leads else 10.0
    if not (np.isfinite(total) and total > 0):
        raise ValueError(f"--time={args.time} is not allowed: must be > 0")
    dt = args.dt if args.dt is not None else (args.courant * args.tau / 200 if leads else total / 4000)
    steps = round(total / dt)
    if steps < 2:
        raise ValueError(f"--time={total} is not allowed: at least two steps of --dt {dt}")
    if steps > 2_000_000:
        raise ValueError(f"--time={total} is not allowed: at most 2e6 steps of --dt {dt}")
    if args.frames < 1:
        raise ValueError(f"--frames={args.frames} is not allowed: must be >= 1")
    span = args.span if args.span is not None else (None if leads else total / 2)
    solver = FieldSolver(dt=dt, courant=args.courant, span=span, save_every=max(1, (steps + 1) // args.frames))
    angle = prescribed_motion(args.motion, args.velocity, dt, steps + 1, duration=args.duration)
    t0 = time.perf_counter()
    res = solve_field(angle, args.K, args.tau, solver, v_c=args.vc, v_F=args.vF)
    res.work.block_until_ready()
    elapsed = time.perf_counter() - t0

    v = args.velocity
    if args.motion == "constant":
        closed = {"closed_form_dissipated_power": float(cf.steady_dissipation(v, args.K, leads)),
                  "closed_form_dissipated_energy": (float(cf.move_dissipation(res.times[-1], v, args.K, None))
                                                    if not leads else None)}
    else:
        closed = {"closed_form_dissipated_power": 0.0,
                  "closed_form_dissipated_energy": float(cf.move_dissipation(args.duration, v, args.K, args.tau))}
    deviation = np.abs(np.asarray(res.force) - np.asarray(res.friction))
    record = {
        "K": args.K, "tau": args.tau, "motion": args.motion, "velocity": v, "duration": args.duration,
        "time": float(res.times[-1]), "dt": dt, "courant": args.courant, "vc": args.vc, "vF": args.vF,
        "dissipated_energy": float(res.dissipated_energy), "dissipated_power": float(res.dissipated_power),
        **closed,
        "work": float(res.work[-1]), "field_energy": float(res.field_energy[-1]),
        "wire_energy": float(res.wire_energy[-1]), "energy_out": float(res.energy_out[-1]),
        "energy_balance_residual": float(res.energy_balance_residual),
        "force_friction_max_deviation": float(np.max(deviation)),
        "force_friction_median_deviation": float(np.median(deviation)),
        "grid_points": int(res.x.size), "steps": int(res.times.size), "wall_time_s": elapsed,
    }
    out = output_dir(args.out)
    attrs = {"command": "jaxmotor motor field", "motion": args.motion, "velocity": v,
             "duration": "none" if args.duration is None else args.duration, "wall_time_s": elapsed}
    record["data"] = str(store.write(res.to_dataset(attrs), out / "motor_field.zarr"))
    if not args.no_plot:
        from ..plots import motor_field as plots

        title = (f"K={args.K:g}, tau={args.tau if leads else 'inf'}, {args.motion} motion, theta'={v:g}"
                 + (f", t_s={args.duration:g}" if args.duration is not None else ""))
        record["plot"] = str(plots.field(res, title=title, path=out / "motor_field.png"))
    print_record(record, args.json)
    return 0


def _statics(args) -> int:
    from .. import store
    from ..motor._statics import check_statics, statics

    check_statics(args.K, args.V0, args.vc, args.cutoff_length)
    if not 2 <= args.K_points <= 10_000:
        raise ValueError(f"--K-points={args.K_points} is not allowed: must be an integer in [2, 10000]")
    t0 = time.perf_counter()
    point = statics(args.K, args.V0, args.vc, args.cutoff_length)
    # the figure's K grid, up to 1.5 (the gap falls steeply towards K = 2) and where the gap stays below the cutoff
    K_max = min(1.5, 0.95 * np.pi**2 * args.vc / (args.V0 * args.cutoff_length))
    grid = statics(np.linspace(0.05, K_max, args.K_points), args.V0, args.vc, args.cutoff_length)
    elapsed = time.perf_counter() - t0
    K = args.K
    record = {
        "K": K, "V0": args.V0, "vc": args.vc, "cutoff_length": args.cutoff_length,
        "gap": float(point.gap[0]), "gap_ratio": float(point.gap_ratio[0]),
        "soliton_energy": float(point.soliton_energy[0]),
        "critical_chemical_potential": float(point.critical_chemical_potential[0]),
        "rg_gap": float(point.rg_gap[0]), "rg_gap_rescaled": float(point.rg_gap_rescaled[0]),
        "rg_scale": float(point.rg_scale[0]), "gap_ratio_printed_eq16": float(point.gap_ratio_printed[0]),
        "eq16_factor": 2 ** ((1 - K) / (2 - K)), "gap_noninteracting_eq15": 2 * args.V0 / np.pi,
        "bandwidth": 2 * np.pi * args.vc / args.cutoff_length, "wall_time_s": elapsed,
    }
    out = output_dir(args.out)
    attrs = {"command": "jaxmotor motor statics", "K_point": K}
    record["data"] = str(store.write(grid.to_dataset(attrs), out / "motor_statics.zarr"))
    if not args.no_plot:
        from ..plots import motor_field as plots

        title = f"V0={args.V0:g}, vc={args.vc:g}, lambda={args.cutoff_length:g}"
        record["plot"] = str(plots.statics(grid, point, title=title, path=out / "motor_statics.png"))
    print_record(record, args.json)
    return 0


def register(motor_commands) -> None:
    """Add ``field`` and ``statics`` to ``jaxmotor motor``."""
    fmt = argparse.RawDescriptionHelpFormatter
    field = motor_commands.add_parser(
        "field", help="the Luttinger-liquid field behind the friction (energy current, force)", formatter_class=fmt,
        description="Drive the classical Luttinger-liquid field with a prescribed motor motion and follow the "
        "force on the motor, the energy current j_E(x, t) and the energy carried into the leads. Writes "
        "DIR/motor_field.zarr and DIR/motor_field.png (j_E(x, t) with the plasmon reflections, the force against "
        "the Langevin friction, the energy balance).\n\n" + _FIELD_HELP,
        epilog="example: jaxmotor motor field --K 0.5 --tau 1 --motion step --velocity 1 --duration 0.55 "
        "--time 12 --json")
    m = field.add_argument_group("model")
    m.add_argument("--K", type=float, default=0.5, help="Luttinger parameter K > 0 of the wire (default 0.5)")
    m.add_argument("--tau", type=float, default=None,
                   help="round trip tau = D/v_c to the Fermi-liquid leads (default: none, infinite LL)")
    m.add_argument("--vc", type=float, default=1.0, help="velocity in the wire (sets x only; default 1)")
    m.add_argument("--vF", type=float, default=1.0, help="velocity in the leads (sets x only; default 1)")
    mo = field.add_argument_group("motion")
    mo.add_argument("--motion", choices=("constant", "step"), default="constant",
                    help="constant velocity from t = 0, or a move of --duration (default constant)")
    mo.add_argument("--velocity", type=float, default=1.0, help="motor velocity theta' (default 1)")
    mo.add_argument("--duration", type=float, default=None, help="duration t_s of the step motion's move")
    g = field.add_argument_group("grid")
    g.add_argument("--time", type=float, default=None,
                   help="run time (default: 10 tau with leads, step: t_s + 10 tau; 10 without leads)")
    g.add_argument("--dt", type=float, default=None,
                   help="time step (default courant*tau/200 with leads, time/4000 without); tau/2 must be a whole "
                   "number of cells dt/courant")
    g.add_argument("--courant", type=float, default=1.0, help="Courant number in (0, 1] (default 1: exact propagation)")
    g.add_argument("--span", type=float, default=None,
                   help="travel time shown beyond the wire (default tau) or of the wire without leads (default time/2)")
    g.add_argument("--frames", type=int, default=400, help="saved frames of the maps (default 400)")
    add_output_options(field, "jaxmotor-out/motor-field")
    field.set_defaults(func=_field)

    stat = motor_commands.add_parser(
        "statics", help="gap, solitons and critical chemical potential (RG flow)", formatter_class=fmt,
        description="The renormalized gap of the pinned Luttinger liquid and what follows from it, with the RG flows "
        "integrated numerically. Writes DIR/motor_statics.zarr (a K grid) and DIR/motor_statics.png (gap against "
        "K, the flows).\n\n" + _STATICS_HELP,
        epilog="example: jaxmotor motor statics --K 0.6 --V0 0.05 --vc 1 --cutoff-length 0.5 --json")
    stat.add_argument("--K", type=float, required=True, help="Luttinger parameter, 0 < K < 2")
    stat.add_argument("--V0", type=float, default=0.05, help="bare potential strength V0 (default 0.05)")
    stat.add_argument("--vc", type=float, default=1.0, help="charge velocity v_c (default 1)")
    stat.add_argument("--cutoff-length", type=float, default=0.5, help="short-distance cutoff lambda (default 0.5)")
    stat.add_argument("--K-points", type=int, default=40, help="K values of the figure's grid (default 40)")
    add_output_options(stat, "jaxmotor-out/motor-statics")
    stat.set_defaults(func=_statics)
