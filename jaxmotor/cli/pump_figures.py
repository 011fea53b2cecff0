"""``jaxmotor pump phase | correlations | disorder | phgap``: Figs. 4-7 of the pump paper."""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import numpy as np

from ._common import add_omega_grid, add_output_options, float_grid, output_dir, print_json
from .pump_ed import _MODEL_HELP, _model_attrs, add_model_options, model_from_args


def float_list(text: str, flag: str) -> np.ndarray:
    """Comma-separated finite numbers, e.g. ``0.1,0.25,1``."""
    from .._validate import check_finite

    try:
        values = np.array([float(x) for x in text.split(",")])
    except ValueError:
        raise ValueError(f"{flag}={text!r} is not allowed: expected comma-separated numbers") from None
    check_finite(flag, values)
    return values


def spin_list(text: str) -> list[Fraction]:
    """Spin sizes ``MIN:MAX[:STEP]`` (inclusive, step default 1) or a comma list such as ``1,5/2,10``."""
    from ..pump._basis import spin_value

    parts = text.split(":")
    if len(parts) == 1:
        return [spin_value(s) for s in text.split(",")]
    if len(parts) > 3:
        raise ValueError(f"--S={text!r} is not allowed: expected MIN:MAX[:STEP] or a comma list")
    first, last = spin_value(parts[0]), spin_value(parts[1])
    step = spin_value(parts[2]) if len(parts) == 3 else Fraction(1)
    if last < first:
        raise ValueError(f"--S={text!r} is not allowed: MAX must be >= MIN")
    count = int((last - first) / step) + 1
    if count > 1000:
        raise ValueError(f"--S={text!r} is not allowed: at most 1000 spin sizes")
    return [first + i * step for i in range(count)]


def _title(basis_or_L, args, **extra) -> str:
    parts = [f"L={basis_or_L.L}, N={basis_or_L.N}"]
    if hasattr(basis_or_L, "S"):
        parts.append(f"S={basis_or_L.S:g}")
    parts.append(f"eta={args.eta:g}")
    parts += [f"{k}={v:g}" for k, v in extra.items()]
    return ", ".join(parts)


def _full_space_only(args, why: str) -> None:
    if args.method == "sectors":
        raise ValueError(f"--method='sectors' is not allowed: {why}; use full or auto")


def _report(args, files: dict, record: dict, lines: list[str]) -> int:
    if args.json:
        print_json({**files, **record})
    else:
        for line in lines:
            print(line)
        for k, v in files.items():
            print(f"{k}: {v}")
    return 0


def _phase(args) -> int:
    from .. import store
    from ..plots import pump_figures as plots
    from ..pump._phase import analyze, phase_diagram

    spins = spin_list(args.S)
    omega = float_grid(args.omega_min, args.omega_max, args.omega_step, "omega")
    if omega.size < 2:
        raise ValueError(f"--omega-max={args.omega_max!r} is not allowed: the omega grid needs at least 2 points")
    # the model flags, validated with the first spin size (phase_diagram validates every S)
    _, params, budget = model_from_args(argparse.Namespace(**{**vars(args), "S": str(spins[0])}), omega)
    out = output_dir(args.out)
    t0 = time.perf_counter()
    diagram = phase_diagram(spins, params, L=args.L, N=args.N, method=args.method, memory_budget=budget,
                            progress=not (args.quiet or args.json))
    elapsed = time.perf_counter() - t0
    result = analyze(diagram, fit_S_min=args.fit_S_min)
    fit = result.fit
    ds = diagram.to_dataset().assign(omega_min=(("S",), result.lower), omega_upper=(("S",), result.upper))
    ds = store.annotate(
        ds,
        {"eta": args.eta, "J": args.J, "Delta": args.Delta,
               "disorder": args.disorder or "none", "command": "jaxmotor pump phase", "wall_time_s": elapsed,
               "fit_prefactor": fit.prefactor, "fit_prefactor_err": fit.prefactor_err,
               "eq20_prefactor": fit.eq20_prefactor, "fit_S_min": args.fit_S_min, "fit_points": fit.n_points,
               "upper_large_S": result.upper_large_S, "eq21": result.eq21},
    )
    files = {"data": str(store.write(ds, out / "pump_phase.zarr"))}
    if not args.no_plot:
        files["plot"] = str(plots.phase_diagram(
            diagram.S, diagram.omega, diagram.delta_n, lower=result.lower, upper=result.upper,
            prefactor=fit.prefactor, eq20_prefactor=fit.eq20_prefactor, eq21=result.eq21,
            title=f"L={diagram.L}, N={diagram.N}, eta={args.eta:g}", path=out / "pump_phase.png"))
    record = {"S": diagram.S, "omega": diagram.omega, "delta_n": diagram.delta_n, "omega_min": result.lower,
              "omega_upper": result.upper, "prefactor": fit.prefactor, "prefactor_err": fit.prefactor_err,
              "eq20_prefactor": fit.eq20_prefactor, "ratio_to_eq20": fit.ratio_to_eq20,
              "fit_points": fit.n_points, "upper_large_S": result.upper_large_S,
              "upper_large_S_std": result.upper_large_S_std,
              "eq21": result.eq21, "wall_time_s": elapsed}
    lines = [f"phase diagram of {diagram.S.size} spin sizes x {omega.size} omega in {elapsed:.1f} s",
             f"lower transition (fit over S >= {args.fit_S_min:g}): "
             f"omega_min = ({fit.prefactor:.3f} +- {fit.prefactor_err:.3f})/S "
             f"(Eq. 20: {fit.eq20_prefactor:.3f}/S, ratio {fit.ratio_to_eq20:.3f})",
             f"upper transition (S >= median): {result.upper_large_S:.3f} +- {result.upper_large_S_std:.3f} "
             f"(Eq. 21: 2 eta = {result.eq21:.3f})"]
    return _report(args, files, record, lines)


def _correlations(args) -> int:
    from .. import store
    from ..plots import pump_figures as plots
    from ..pump._correlations import dominant_frequency, spin_correlations

    _full_space_only(args, "the correlations need the full eigendecomposition")
    omega = float_list(args.omega, "--omega")
    if not (np.isfinite(args.t_max) and args.t_max > 0):
        raise ValueError(f"--t-max={args.t_max!r} is not allowed: must be a finite time > 0")
    if not 8 <= args.t_points <= 10**5:
        raise ValueError(f"--t-points={args.t_points!r} is not allowed: must be an integer in [8, 100000]")
    times = np.linspace(0.0, args.t_max, args.t_points)
    basis, params, budget = model_from_args(args, omega)
    out = output_dir(args.out)
    t0 = time.perf_counter()
    corr = spin_correlations(params, basis, times, memory_budget=budget)
    elapsed = time.perf_counter() - t0
    dominant = dominant_frequency(times, corr.xx)
    ds = corr.to_dataset(("omega",), coords={"omega": omega}).assign(dominant_frequency=(("omega",), dominant))
    ds = store.annotate(
        ds,
        {**_model_attrs(basis, args), "command": "jaxmotor pump correlations", "wall_time_s": elapsed,
               "units": "correlations in units of spin^2 (divide by S^2 for Fig. 5), t in 1/J"},
    )
    files = {"data": str(store.write(ds, out / "pump_correlations.zarr"))}
    if not args.no_plot:
        files["plot"] = str(plots.spin_correlations(times, corr.xx, corr.yy, corr.xy, omega, basis.S,
                                                    omega_tilde=corr.omega_tilde, title=_title(basis, args),
                                                    path=out / "pump_correlations.png"))
    record = {"omega": omega, "omega_tilde": corr.omega_tilde, "dominant_frequency": dominant,
              "delta_n": corr.delta_n, "Sx2": corr.xx[:, 0].real, "Sy2": corr.yy[:, 0].real,
              "SxSy_imag": corr.xy[:, 0].imag, "E_prime_margin": corr.E_prime_margin, "dim": basis.dim,
              "wall_time_s": elapsed}
    lines = [f"spin correlations at {omega.size} values of omega in {elapsed:.1f} s (dimension {basis.dim})"]
    lines += [f"omega={w:g}: omega_tilde={wt:.5f}, dominant frequency of C_xx(t)={d:.5f}, Delta n={dn:.4f}"
              for w, wt, d, dn in zip(omega, corr.omega_tilde, dominant, corr.delta_n)]
    return _report(args, files, record, lines)


def _disorder(args) -> int:
    import jax

    from .. import store
    from ..plots import pump_figures as plots
    from ..pump._disorder import disorder_average

    _full_space_only(args, "disorder breaks the sector symmetry")
    eps0 = float_list(args.eps0, "--eps0") if args.eps0 is not None else np.round(np.arange(0.0, 1.05, 0.1), 10)
    if np.any(eps0 < 0):
        raise ValueError(f"--eps0={args.eps0!r} is not allowed: disorder strengths must be >= 0")
    basis, params, budget = model_from_args(args, args.omega)
    out = output_dir(args.out)
    t0 = time.perf_counter()
    result = disorder_average(params, basis, jax.random.key(args.seed), eps0, args.realizations,
                              memory_budget=budget, progress=not (args.quiet or args.json))
    elapsed = time.perf_counter() - t0
    ds = result.to_dataset().assign_coords(realization=np.arange(args.realizations), site=np.arange(1, basis.L + 1))
    ds = store.annotate(
        ds,
        {**_model_attrs(basis, args), "omega": args.omega, "seed": args.seed,
               "command": "jaxmotor pump disorder", "wall_time_s": elapsed},
    )
    files = {"data": str(store.write(ds, out / "pump_disorder.zarr"))}
    if not args.no_plot:
        files["plot"] = str(plots.disorder(eps0, result.delta_n, result.delta_n_mean, result.delta_n_std,
                                           result.failed_fraction, title=_title(basis, args, omega=args.omega),
                                           path=out / "pump_disorder.png"))
    single = args.eps0 is not None and eps0.size == 1
    pick = (lambda x: x[0]) if single else (lambda x: x)  # noqa: E731
    record = {"eps0": pick(eps0), "delta_n_mean": pick(result.delta_n_mean), "delta_n_std": pick(result.delta_n_std),
              "failed_fraction": pick(result.failed_fraction), "delta_n": pick(result.delta_n),
              "realizations": args.realizations, "seed": args.seed, "omega": args.omega, "dim": basis.dim,
              "wall_time_s": elapsed}
    lines = [f"{args.realizations} disorder realizations x {eps0.size} eps0 in {elapsed:.1f} s (dimension {basis.dim})"]
    lines += [f"eps0={e:g}: Delta n = {m:.4f} +- {s:.4f}, failed fraction {f:.3f}"
              for e, m, s, f in zip(eps0, result.delta_n_mean, result.delta_n_std, result.failed_fraction)]
    return _report(args, files, record, lines)


def _phgap(args) -> int:
    from .. import store
    from ..plots import pump_figures as plots
    from ..pump import solve

    basis, params, budget = model_from_args(args, args.omega)
    out = output_dir(args.out)
    obs = solve(params, basis, method=args.method, memory_budget=budget)
    sites = np.arange(1, basis.L + 1)
    ds = store.annotate(
        obs.to_dataset(coords={"l": sites, "m": sites, "bond": sites}),
        {**_model_attrs(basis, args), "omega": args.omega, "command": "jaxmotor pump phgap",
               "convention": "[l, m]: hole at l, particle at m; excited minus selected (docs/physics.md)"},
    )
    files = {"data": str(store.write(ds, out / "pump_phgap.zarr"))}
    if not args.no_plot:
        files["plot"] = str(plots.particle_hole_gap(obs.ph_gap, title=_title(basis, args, omega=args.omega),
                                                    path=out / "pump_phgap.png"))
    record = {"omega": args.omega, "ph_gap": obs.ph_gap, "ph_gap_min": obs.ph_gap_min, "ph_gap_max": obs.ph_gap_max,
              "delta_n": obs.delta_n, "dim": basis.dim}
    lines = [f"particle-hole gap at omega={args.omega:g}: min {float(obs.ph_gap_min):.4f}, "
             f"max {float(obs.ph_gap_max):.4f} (units of J); Delta n = {float(obs.delta_n):.4f}"]
    return _report(args, files, record, lines)


def register(commands) -> None:
    """Add the figure subcommands to ``jaxmotor pump``."""
    fmt = argparse.RawDescriptionHelpFormatter

    phase = commands.add_parser(
        "phase", help="phase diagram of Delta n over S and omega (Fig. 4)", formatter_class=fmt,
        conflict_handler="resolve",
        description="Delta n over a grid of spin sizes S and omega/J (default: Fig. 4, L=8, S=1..20, "
        "omega/J=0.05..2.5 step 0.05; slow on a CPU: ~1000 points up to dimension 2870), one batched ED "
        "per S. Fits the lower transition omega_min = a/S (where Delta n crosses 1/2) and compares it "
        "with Eq. 20 (eta N/S, a bound) and the upper transition with Eq. 21 (2 eta).\n"
        "Writes DIR/pump_phase.zarr and DIR/pump_phase.png.\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump phase --L 6 --S 1:6 --omega-min 0.1 --omega-max 2.5 --omega-step 0.1 --json")
    add_model_options(phase)
    phase.add_argument("--S", type=str, default="1:20", metavar="MIN:MAX[:STEP] | S1,S2,...",
                       help="spin sizes, inclusive range or comma list, multiples of 1/2 (default 1:20)")
    phase.add_argument("--fit-S-min", type=float, default=4.0,
                       help="fit omega_min = a/S over S >= this (the 1/S law holds for large S; default 4)")
    add_omega_grid(phase)
    add_output_options(phase, "jaxmotor-out/pump-phase")
    phase.set_defaults(func=_phase)

    corr = commands.add_parser(
        "correlations", help="two-time spin correlations (Fig. 5)", formatter_class=fmt,
        description="<S_x(t)S_x(0)>, <S_y(t)S_y(0)>, <S_x(t)S_y(0)> in the selected state from the full "
        "eigendecomposition, A(t) = exp(iHt) A exp(-iHt) with the eigenvalues E_n of H (not E'), "
        "for a list of omega (default: Fig. 5, L=8, S=10, omega/J = 0.1, 0.25, 1). Reports omega_tilde "
        "and the dominant frequency of C_xx(t).\nWrites DIR/pump_correlations.zarr and "
        "DIR/pump_correlations.png (units of S^2).\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump correlations --L 6 --S 4 --omega 0.3,1 --t-max 100 --json")
    add_model_options(corr)
    corr.add_argument("--omega", type=str, default="0.1,0.25,1", metavar="W1,W2,...",
                      help="Larmor frequencies omega/J, comma-separated (default 0.1,0.25,1)")
    corr.add_argument("--t-max", type=float, default=150.0, help="last time t J (default 150)")
    corr.add_argument("--t-points", type=int, default=1501, help="number of times from 0 to t-max (default 1501)")
    add_output_options(corr, "jaxmotor-out/pump-correlations")
    corr.set_defaults(func=_correlations)

    dis = commands.add_parser(
        "disorder", help="transport under on-site disorder (Fig. 6)", formatter_class=fmt,
        description="Delta n averaged over disorder realizations epsilon_j ~ U[0, eps0] (Eq. 33), drawn "
        "from --seed (realization r from fold_in(key, r): the same seed gives the same numbers for any "
        "number of realizations), all diagonalized in one batched call (full space). Default: Fig. 6, "
        "L=8, S=10, omega=0.25, eps0 = 0, 0.1, ..., 1, 50 realizations. A realization fails when "
        "|Delta n| < 1/2. --disorder adds a fixed background to every realization.\n"
        "Writes DIR/pump_disorder.zarr and DIR/pump_disorder.png.\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump disorder --eps0 0.5 --realizations 50 --seed 1 --json")
    add_model_options(dis)
    dis.add_argument("--omega", type=float, default=0.25, help="Larmor frequency omega/J (default 0.25)")
    dis.add_argument("--eps0", type=str, default=None, metavar="E | E1,E2,...",
                     help="disorder strength(s) eps0/J >= 0 (default: the sweep 0, 0.1, ..., 1 of Fig. 6)")
    dis.add_argument("--realizations", type=int, default=50, help="realizations per eps0 (default 50)")
    dis.add_argument("--seed", type=int, default=0, help="PRNG seed (default 0)")
    add_output_options(dis, "jaxmotor-out/pump-disorder")
    dis.set_defaults(func=_disorder)

    ph = commands.add_parser(
        "phgap", help="particle-hole gap as an L x L heat map (Fig. 7)", formatter_class=fmt,
        description="The normalized particle-hole gap Delta E_{l,m} = <phi|H|phi>/<phi|phi> - E_n with "
        "phi = c+_m c_l psi (Eq. 34, docs/physics.md sign: excited minus selected) of the selected state, for all "
        "site pairs (default: Fig. 7, L=8, S=10, omega=0.25).\nWrites DIR/pump_phgap.zarr and "
        "DIR/pump_phgap.png.\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump phgap --omega 0.25 --json")
    add_model_options(ph)
    ph.add_argument("--omega", type=float, default=0.25, help="Larmor frequency omega/J (default 0.25)")
    add_output_options(ph, "jaxmotor-out/pump-phgap")
    ph.set_defaults(func=_phgap)
