"""``jaxmotor motor run | loadcurve | transient | optimize``: Langevin ensembles of the Thouless motor."""

from __future__ import annotations

import argparse
import time

import numpy as np

from ._common import add_output_options, output_dir, print_json, print_record

_MODEL_HELP = """\
Model (motor paper Eqs. 35, 59; docs/physics.md section 2), units hbar = e = k_B = 1:
  I theta'' = V/2pi - F_load - gamma0 [theta'(t) + 2 sum_n r^n theta'(t - n tau)] + xi(t)
  gamma0 = 1/(2 pi K), r = (K-1)/(K+1); without --tau: the infinite Luttinger liquid (no memory).
Noise xi: paper (Eq. 60, spectrum 2 Re Gamma (w/2)/sinh(w/2T)), fdt (2 Re Gamma (w/2) coth(w/2T)
times exp(-(w/cutoff)^2), needs --cutoff), white (2 gamma0 T sum_n r^|n| delta(t + n tau)).
Closed forms: steady velocity 2 pi K_eff (V/2pi - F) with K_eff = K (no leads) or 1 (leads);
maximum power at F* = V/4pi with efficiency 1/2.
Averages exclude a burn-in (default: 16 times the slowest relaxation time, 2 pi K I, 2 pi I with
leads, tau/ln(1/|r|)); errors are standard errors over independent trajectories.
"""

_RNGS = ("threefry2x32", "rbg", "unsafe_rbg")


def add_model_options(parser: argparse.ArgumentParser, *, load: bool = True, budget: bool = True) -> None:
    g = parser.add_argument_group("model")
    g.add_argument("--K", type=float, default=0.5, help="Luttinger parameter K > 0 (default 0.5)")
    g.add_argument("--V", type=float, default=1.0, help="bias voltage V (default 1)")
    if load:
        g.add_argument("--load", type=float, default=0.0, help="constant load force F_load (default 0)")
    inertia = g.add_mutually_exclusive_group()
    inertia.add_argument("--inertia", type=float, default=None, help="moment of inertia I > 0 (default 1)")
    inertia.add_argument("--anisotropy", type=float, default=None,
                         help="the magnetic motor (Sec. V, Eqs. 67-70): a nanomagnet on a quantum-spin-Hall edge "
                         "with easy-plane anisotropy D > 0, inertia I = 1/D (instead of --inertia)")
    g.add_argument("--temperature", type=float, default=0.0, help="temperature T >= 0 (default 0: no noise)")
    g.add_argument("--tau", type=float, default=None,
                   help="round trip tau to the Fermi-liquid leads, a multiple of --dt (default: none, infinite LL)")
    g.add_argument("--noise", choices=("paper", "fdt", "white"), default="paper", help="noise kind (default paper)")
    g.add_argument("--cutoff", type=float, default=None, help="high-frequency cutoff of --noise fdt (required there)")
    s = parser.add_argument_group("simulation")
    s.add_argument("--trajectories", type=int, default=256, help="independent trajectories (default 256)")
    s.add_argument("--dt", type=float, default=0.01, help="time step (default 0.01)")
    s.add_argument("--burn-in", type=float, default=None,
                   help="start-up time excluded from the averages (default: 16 slowest relaxation times)")
    s.add_argument("--seed", type=int, default=0, help="PRNG seed (default 0)")
    s.add_argument("--rng", choices=_RNGS, default="threefry2x32",
                   help="JAX PRNG implementation (default threefry2x32; rbg is faster on CPU)")
    if budget:
        s.add_argument("--memory-budget", type=float, default=None, metavar="GIB",
                       help="memory a chunk of trajectories may use, in GiB (default: 90%% of the GPU's memory, "
                       "else half of the machine's); a run whose results exceed it is refused")


def _resolve_inertia(args) -> None:
    """--anisotropy D sets the inertia 1/D (Eq. 70); neither: I = 1."""
    if args.anisotropy is not None:
        if not (np.isfinite(args.anisotropy) and args.anisotropy > 0):
            raise ValueError(f"--anisotropy={args.anisotropy!r} is not allowed: must be a finite number > 0")
        args.inertia = 1.0 / args.anisotropy
    elif args.inertia is None:
        args.inertia = 1.0


def _params(args, load):
    from ..motor import MotorParams

    fields = dict(K=args.K, V=args.V, F_load=load, temperature=args.temperature, tau=args.tau, noise=args.noise,
                  cutoff=args.cutoff)
    if args.anisotropy is not None:
        return MotorParams.magnetic(args.anisotropy, **fields)
    return MotorParams(inertia=args.inertia, **fields)


def _key(args):
    import jax

    if args.seed < 0:
        raise ValueError(f"--seed={args.seed} is not allowed: must be >= 0")
    return jax.random.key(args.seed, impl=args.rng)


class _Progress:
    """tqdm bar driven by the simulation's per-block host callback."""

    def __init__(self, enabled: bool, label: str):
        self.enabled, self.label, self.bar = enabled, label, None

    def __call__(self, done, blocks):
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=int(blocks), desc=self.label, unit="block", leave=False)
        self.bar.n = int(done)
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _memory_budget(args):
    if args.memory_budget is None:
        return None
    if not (np.isfinite(args.memory_budget) and args.memory_budget > 0):
        raise ValueError(f"--memory-budget={args.memory_budget!r} is not allowed: must be > 0 GiB")
    return args.memory_budget * 2**30


def _simulate(args, params, label, **kwargs):
    from ..motor import simulate

    bar = _Progress(not (args.json or getattr(args, "quiet", False)), label)
    t0 = time.perf_counter()
    try:
        res = simulate(params, _key(args), dt=args.dt, time=args.time, trajectories=args.trajectories,
                       burn_in=args.burn_in, progress=bar if bar.enabled else None,
                       memory_budget=_memory_budget(args), **kwargs)
        res.mean_velocity.block_until_ready()
    finally:
        bar.close()
    return res, time.perf_counter() - t0


_RUN_KEYS = ("mean_velocity", "mean_velocity_err", "current", "current_err", "velocity_variance",
             "velocity_variance_err", "power_in", "power_in_err", "power_out", "power_out_err",
             "power_dissipated", "power_dissipated_err", "power_friction", "power_noise", "efficiency",
             "efficiency_err", "energy_balance_residual", "diffusion", "diffusion_err", "fano_factor",
             "fano_factor_err")


def _run(args) -> int:
    import sys

    from ..motor import closed_forms as cf
    from ..motor._langevin import ADIABATIC_LIMIT, adiabaticity

    _resolve_inertia(args)
    if args.gap is not None and not (np.isfinite(args.gap) and args.gap > 0):
        raise ValueError(f"--gap={args.gap!r} is not allowed: must be a finite energy > 0")
    params = _params(args, args.load)
    res, elapsed = _simulate(args, params, "motor run")
    leads = args.tau is not None
    record = {"K": args.K, "V": args.V, "load": args.load, "inertia": args.inertia, "anisotropy": args.anisotropy,
              "temperature": args.temperature, "tau": args.tau, "noise": args.noise, "cutoff": args.cutoff,
              "trajectories": args.trajectories, "time": res.time, "dt": res.dt, "burn_in": res.burn_in,
              "seed": args.seed, "rng": args.rng}
    record.update({k: float(getattr(res, k)) for k in _RUN_KEYS})
    record["steady_velocity_closed_form"] = float(cf.steady_velocity(args.V, args.load, args.K, leads))
    record["diffusion_closed_form_white"] = float(cf.diffusion_coefficient(args.temperature, args.K, leads))
    record["fano_factor_closed_form_white"] = float(cf.fano_factor(args.V, args.load, args.temperature))
    if args.gap is not None:
        record["gap"] = args.gap
        record["adiabaticity"] = float(adiabaticity(res, args.gap))
        if record["adiabaticity"] > ADIABATIC_LIMIT:
            print(f"warning: rms velocity / gap = {record['adiabaticity']:.3g} > {ADIABATIC_LIMIT}: "
                  "|theta'| is not small against the gap, the adiabatic motor equation is questionable",
                  file=sys.stderr)
    record["wall_time_s"] = elapsed
    if args.json:
        print_json(record)
    else:
        for k, v in record.items():
            print(f"{k:>28} = {v}")
    return 0


def _loadcurve(args) -> int:
    from .. import store
    from ..motor import closed_forms as cf
    from ..plots import motor as motor_plots

    _resolve_inertia(args)
    if args.load_points < 2:
        raise ValueError(f"--load-points={args.load_points} is not allowed: must be >= 2")
    load_max = args.load_max if args.load_max is not None else args.V / (2 * np.pi)
    loads = np.linspace(args.load_min, load_max, args.load_points)
    params = _params(args, loads)
    res, elapsed = _simulate(args, params, "motor loadcurve")
    leads = args.tau is not None
    out = output_dir(args.out)
    closed = {"closed_velocity": cf.steady_velocity(args.V, loads, args.K, leads),
              "closed_power_out": cf.power_out(args.V, loads, args.K, leads),
              "closed_efficiency": cf.efficiency(args.V, loads, args.K, leads)}
    attrs = {"K": args.K, "V": args.V, "inertia": args.inertia, "temperature": args.temperature,
             "anisotropy": "none" if args.anisotropy is None else args.anisotropy,
             "tau": "none" if args.tau is None else args.tau, "noise": args.noise, "trajectories": args.trajectories,
             "time": res.time, "dt": res.dt, "burn_in": res.burn_in, "seed": args.seed, "rng": args.rng,
             "command": "jaxmotor motor loadcurve", "wall_time_s": elapsed}
    ds = res.to_dataset(("load",), coords={"load": loads})
    for name, value in closed.items():
        ds[name] = (("load",), np.asarray(value))
    variables = {k: (v.dims, v.values) for k, v in ds.data_vars.items()}
    files = {"data": str(store.write(store.dataset(variables, coords={"load": loads}, attrs=attrs),
                                     out / "motor_loadcurve.zarr"))}
    if not args.no_plot:
        fine = np.linspace(loads[0], loads[-1], 200)
        files["plot"] = str(motor_plots.load_curve(
            loads, res.mean_velocity, res.mean_velocity_err, res.power_out, res.power_out_err,
            res.efficiency, res.efficiency_err, closed_loads=fine,
            closed_velocity=cf.steady_velocity(args.V, fine, args.K, leads),
            closed_power=cf.power_out(args.V, fine, args.K, leads),
            closed_efficiency=cf.efficiency(args.V, fine, args.K, leads),
            max_power_load=float(cf.max_power_load(args.V)),
            title=f"K={args.K:g}, V={args.V:g}, I={args.inertia:g}, T={args.temperature:g}, "
                  f"tau={args.tau if leads else 'inf'}, noise={args.noise}",
            path=out / "motor_loadcurve.png"))
    summary = {"max_power_load": float(cf.max_power_load(args.V)),
               "max_power_closed_form": float(cf.max_power(args.V, args.K, leads)),
               "burn_in": res.burn_in, "wall_time_s": elapsed}
    if args.json:
        per_load = {k: v for k, (dims, v) in variables.items() if dims == ("load",)}
        print_json({**files, **summary, "load": loads, **per_load})
    else:
        print(f"load curve of {loads.size} loads x {args.trajectories} trajectories in {elapsed:.1f} s "
              f"(burn-in {res.burn_in:g})")
        for k, v in {**files, **summary}.items():
            print(f"{k}: {v}")
    return 0


def _transient(args) -> int:
    from .. import store
    from ..motor._transient import noise_free_transient, transient_statistics
    from ..plots import motor as motor_plots

    _resolve_inertia(args)
    every = args.record_every or max(1, round(args.time / args.dt / 400))
    params = _params(args, args.load)
    args.burn_in = 0.0 if args.burn_in is None else args.burn_in
    res, elapsed = _simulate(args, params, "motor transient", record_every=every)
    stats = transient_statistics(res)
    mean, err, times = (np.asarray(stats[k]) for k in ("mean_velocity", "mean_velocity_err", "time"))
    exact = noise_free_transient(times, params)
    out = output_dir(args.out)
    variables = {"mean_velocity": (("time",), mean), "mean_velocity_err": (("time",), err),
                 "exact_noise_free": (("time",), exact)}
    attrs = {"K": args.K, "V": args.V, "load": args.load, "inertia": args.inertia, "temperature": args.temperature,
             "anisotropy": "none" if args.anisotropy is None else args.anisotropy,
             "tau": "none" if args.tau is None else args.tau, "noise": args.noise, "trajectories": args.trajectories,
             "dt": res.dt, "seed": args.seed, "command": "jaxmotor motor transient", "wall_time_s": elapsed}
    files = {"data": str(store.write(store.dataset(variables, coords={"time": times}, attrs=attrs),
                                     out / "motor_transient.zarr"))}
    if not args.no_plot:
        files["plot"] = str(motor_plots.transient(
            times, mean, err, exact=exact, tau=args.tau,
            title=f"K={args.K:g}, V={args.V:g}, I={args.inertia:g}, T={args.temperature:g}, "
                  f"tau={args.tau if args.tau else 'inf'}", path=out / "motor_transient.png"))
    if args.json:
        print_json({**files, "time": times, "mean_velocity": mean, "mean_velocity_err": err,
                    "exact_noise_free": exact, "wall_time_s": elapsed})
    else:
        print(f"transient of {args.trajectories} trajectories over t = {res.time:g} in {elapsed:.1f} s")
        for k, v in files.items():
            print(f"{k}: {v}")
    return 0


_OVER = {"load": "F_load", "V": "V", "K": "K", "inertia": "inertia", "temperature": "temperature"}


def _design_names(args) -> list[str]:
    from ..motor._design import harmonic_names

    names = []
    for item in (x.strip() for x in args.over.split(",")):
        if item == "harmonics":
            names += harmonic_names(args.harmonics)
        elif item in _OVER:
            names.append(_OVER[item])
        else:
            raise ValueError(f"--over={args.over!r} is not allowed: {item!r} is not one of "
                             f"{', '.join([*_OVER, 'harmonics'])} (a comma list)")
    if len(set(names)) != len(names):
        raise ValueError(f"--over={args.over!r} is not allowed: a parameter is named twice")
    return names


def _optimize(args) -> int:
    import optax

    from .._validate import check_range
    from ..motor import _design as design, closed_forms as cf
    from ..optimize import optimize

    _resolve_inertia(args)
    names = _design_names(args)
    check_range("--learning-rate", args.learning_rate, low=0.0, low_inclusive=False)
    check_range("--harmonic-learning-rate", args.harmonic_learning_rate, low=0.0, low_inclusive=False)
    check_range("--gtol", args.gtol, low=0.0)
    if args.objective == "efficiency" and args.min_power is None:
        raise ValueError("--min-power=None is not allowed: --objective efficiency needs a required output power > 0 "
                         "(alone the efficiency grows to 1 at the stall load, where the motor stops)")
    if args.objective == "power" and args.min_power is not None:
        raise ValueError(f"--min-power={args.min_power} is not allowed: only with --objective efficiency")
    load = args.load if args.load is not None else args.V / (8 * np.pi)
    base = _params(args, load)
    settings = dict(dt=args.dt, time=args.time, trajectories=args.trajectories, burn_in=args.burn_in)
    start = {"F_load": load, "V": args.V, "K": args.K, "inertia": args.inertia, "temperature": args.temperature}
    init = {name: float(start.get(name, 0.0)) for name in names}
    key = _key(args)
    feasible = None
    if args.objective == "power":
        objective = design.power_objective(base, **settings)
    else:
        if args.fresh_keys:
            raise ValueError("--fresh-keys=True is not allowed: --objective efficiency keeps every iterate above "
                             "--min-power for one fixed noise realization (common random numbers)")
        objective = design.efficiency_at_min_power_objective(base, args.min_power, barrier=args.barrier, **settings)
        feasible = design.power_constraint(base, args.min_power, key, **settings)
        if not feasible(init):
            raise ValueError(f"--min-power={args.min_power} is not allowed: the starting design (--load {load:.6g}) "
                             f"does not deliver it; start nearer the maximum-power load V/4pi = "
                             f"{args.V / (4 * np.pi):.6g} or require less")
    if args.optimizer == "lbfgs":
        optimizer = optax.lbfgs(learning_rate=args.learning_rate, linesearch=None)
    else:
        optimizer = design.design_optimizer(names, args.steps, learning_rate=args.learning_rate,
                                            harmonic_learning_rate=args.harmonic_learning_rate)
    t0 = time.perf_counter()
    result = optimize(objective, init, maximize=True, constraints=design.default_constraints(names),
                      optimizer=optimizer, steps=args.steps, key=key, common_random_numbers=not args.fresh_keys,
                      gtol=args.gtol, feasible=feasible, progress=not (args.json or args.quiet))
    elapsed = time.perf_counter() - t0
    final = design.steady_power(base, result.params, key, design.ensemble(base, **settings))
    res, params = final["results"], design.with_design(base, result.params)
    leads = args.tau is not None
    record = {
        "objective": args.objective, "over": names, "min_power": args.min_power,
        "F_load": float(params.F_load), "V": float(params.V), "K": float(params.K),
        "inertia": float(params.inertia), "anisotropy": args.anisotropy, "temperature": float(params.temperature),
        "harmonics": {n: result.params[n] for n in names if n not in _OVER.values()},
        "power_out": float(final["power_out"]), "power_out_err": float(params.F_load * res.mean_velocity_err),
        "efficiency": float(final["efficiency"]), "mean_velocity": float(res.mean_velocity),
        "mean_velocity_err": float(res.mean_velocity_err), "objective_value": result.objective,
        "iterations": result.iterations, "converged": result.converged,
        "max_power_load_closed_form": float(cf.max_power_load(params.V)),
        "max_power_closed_form": float(cf.max_power(params.V, params.K, leads)),
        "tau": args.tau, "noise": args.noise, "cutoff": args.cutoff, "trajectories": args.trajectories,
        "time": args.time, "dt": args.dt, "seed": args.seed, "rng": args.rng, "optimizer": args.optimizer,
        "common_random_numbers": not args.fresh_keys, "wall_time_s": elapsed,
        "history": {"objective": result.history["objective"], "grad_norm": result.history["grad_norm"],
                    "params": result.history["params"]},
    }
    if not args.no_plot:
        from ..plots import optimize as optimize_plots

        out = output_dir(args.out)
        title = f"maximize {args.objective}" + (f" at P >= {args.min_power:g}" if args.min_power else "")
        record["plot"] = str(optimize_plots.history(result, path=out / "motor_optimize_history.png", title=title))
    print_record(record, args.json)
    return 0


def register(commands) -> None:
    """Add the Langevin subcommands to ``jaxmotor motor``."""
    fmt = argparse.RawDescriptionHelpFormatter

    run = commands.add_parser(
        "run", help="steady-state observables of one parameter point", formatter_class=fmt,
        description="Integrate an ensemble of motor trajectories and print the steady-state averages: "
        "mean velocity and current (with standard errors), velocity variance, input/output/dissipated "
        "power, efficiency and the energy-balance residual.\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor motor run --K 0.5 --V 1 --tau 2 --temperature 0.1 --noise paper --load 0.05 "
        "--inertia 1 --trajectories 1024 --time 1000 --dt 0.01 --seed 0 --json")
    add_model_options(run)
    run.add_argument("--time", type=float, default=1000.0, help="simulated time, burn-in included (default 1000)")
    run.add_argument("--json", action="store_true", help="print one JSON object (no progress bar)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--gap", type=float, default=None,
                     help="the gap Delta (Eq. 15; Delta_M of the magnetic motor, Eq. 69): reports the adiabaticity "
                     "sqrt(<theta'^2>)/Delta and warns above 0.1")
    run.set_defaults(func=_run)

    curve = commands.add_parser(
        "loadcurve", help="velocity, power and efficiency versus the load", formatter_class=fmt,
        description="Sweep the constant load F (all loads in one batched run, common random numbers) and "
        "write velocity, output power and efficiency with error bars to DIR/motor_loadcurve.zarr and "
        "DIR/motor_loadcurve.png, the closed forms overlaid (maximum power at F* = V/4pi, efficiency "
        "1/2 there).\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor motor loadcurve --K 0.5 --tau 2 --temperature 0.05 --noise white --time 400")
    add_model_options(curve, load=False)
    curve.add_argument("--time", type=float, default=400.0, help="simulated time per load (default 400)")
    grid = curve.add_argument_group("load grid")
    grid.add_argument("--load-min", type=float, default=0.0, help="first load (default 0)")
    grid.add_argument("--load-max", type=float, default=None, help="last load (default the stall load V/2pi)")
    grid.add_argument("--load-points", type=int, default=9, help="number of loads (default 9, F* included)")
    add_output_options(curve, "jaxmotor-out/motor-loadcurve")
    curve.set_defaults(func=_loadcurve)

    trans = commands.add_parser(
        "transient", help="ensemble-mean velocity after switching on the bias", formatter_class=fmt,
        description="Start the motor at rest, switch on the bias at t = 0 and plot the ensemble-mean "
        "velocity versus time with the exact noise-free solution (with leads: steps at multiples of "
        "tau). Writes DIR/motor_transient.zarr and DIR/motor_transient.png.\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor motor transient --K 0.5 --tau 2 --inertia 0.1 --temperature 0.05 --time 20")
    add_model_options(trans)
    trans.add_argument("--time", type=float, default=20.0, help="simulated time (default 20)")
    trans.add_argument("--record-every", type=int, default=None, help="steps between samples (default: ~400 samples)")
    add_output_options(trans, "jaxmotor-out/motor-transient")
    trans.set_defaults(func=_transient)

    opt = commands.add_parser(
        "optimize", help="maximize output power or efficiency by gradient", formatter_class=fmt,
        description="Maximize the ensemble-mean output power (--objective power) or the efficiency at a "
        "required output power (--objective efficiency --min-power P: a log barrier, steps below P are "
        "rejected, so the start must deliver P) over the "
        "parameters in --over, by pathwise gradients through the Langevin ensemble (optax; the noise is "
        "drawn from fixed keys unless --fresh-keys). Output power of a theta-periodic load "
        "F(theta) = F_load + sum_n a_n cos(n theta) + b_n sin(n theta): F_load <theta'> (the harmonics do no "
        "net work per turn), so the efficiency is 2 pi F_load/V. Prints the optimum with its closed-form "
        "reference (F* = V/4pi, P* = 2 pi K_eff (V/4pi)^2) and writes the history plot "
        "DIR/motor_optimize_history.png.\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor motor optimize --objective power --over load --V 1 --K 0.5 --tau 2 "
        "--temperature 0.1 --seed 0 --json")
    add_model_options(opt, load=False, budget=False)
    opt.set_defaults(trajectories=64, dt=0.05)
    opt.add_argument("--load", type=float, default=None, help="starting load F_load (default V/8pi)")
    opt.add_argument("--time", type=float, default=200.0, help="simulated time per evaluation (default 200)")
    d = opt.add_argument_group("design")
    d.add_argument("--objective", choices=("power", "efficiency"), default="power",
                   help="maximize output power, or efficiency at --min-power (default power)")
    d.add_argument("--over", default="load",
                   help="comma list of parameters to optimize: load, V, K, inertia, temperature, harmonics "
                   "(the Fourier coefficients a_n, b_n of the load; default load)")
    d.add_argument("--harmonics", type=int, default=2,
                   help="number of load harmonics with --over harmonics (default 2)")
    d.add_argument("--min-power", type=float, default=None, help="required output power (with --objective efficiency)")
    d.add_argument("--barrier", type=float, default=1e-3,
                   help="weight of the log barrier ln(P/P_min - 1) of --objective efficiency; steps below "
                   "--min-power are rejected (default 0.001)")
    d.add_argument("--optimizer", choices=("adam", "lbfgs"), default="adam",
                   help="adam with a cosine-decayed step after clipping the gradient norm to 1 (default) "
                   "or L-BFGS without line search")
    d.add_argument("--learning-rate", type=float, default=0.02,
                   help="adam: step of the positive fields in softplus^-1 variables (a relative step; default "
                   "0.02); lbfgs: use 1")
    d.add_argument("--harmonic-learning-rate", type=float, default=0.003, help="step of a_n, b_n (default 0.003)")
    d.add_argument("--steps", type=int, default=150, help="optimizer steps (default 150)")
    d.add_argument("--gtol", type=float, default=0.0, help="stop when the gradient norm is below this (default 0)")
    d.add_argument("--fresh-keys", action="store_true",
                   help="new noise every step (stochastic gradient) instead of common random numbers")
    add_output_options(opt, "jaxmotor-out/motor-optimize")
    opt.set_defaults(func=_optimize)
