"""``jaxmotor pump sweep | point | spectrum``: exact diagonalization of the pump."""

from __future__ import annotations

import argparse
import time

import numpy as np

from ._common import add_omega_grid, add_output_options, float_grid, output_dir, print_json

_MODEL_HELP = """\
Model (pump paper Eq. 7, docs/physics.md §1):
  H = -omega S_z - (J/2) sum_j (1 + (-1)^j g S_x)(c+_j c_j+1 + h.c.) + Delta sum_j (-1)^j g S_y n_j
  with g = eta/S, on a ring of L sites with N spinless fermions and one spin S.
The selected state is the eigenstate with minimal E' = E + omega <S_z> (Eq. 11); Delta n is the
bond current times 2 pi / omega_tilde (omega_tilde: renormalized precession frequency).
"""


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Flags of every model parameter except omega (its grid differs per command)."""
    g = parser.add_argument_group("model")
    g.add_argument("--L", type=int, default=8, help="ring sites, even, >= 4 (default 8)")
    g.add_argument("--N", type=int, default=None, help="fermions, 1..L-1 (default L/2)")
    g.add_argument("--S", type=str, default="10",
                   help="spin size, a positive multiple of 1/2, e.g. 10 or 5/2 (default 10)")
    g.add_argument("--eta", type=float, default=0.95, help="coupling eta, g = eta/S (default 0.95)")
    g.add_argument("--J", type=float, default=1.0, help="hopping J (default 1)")
    g.add_argument("--Delta", type=float, default=1.0, help="staggered potential Delta (default 1)")
    g.add_argument("--disorder", type=str, default=None, metavar="E1,...,EL",
                   help="on-site energies epsilon_j, L comma-separated numbers (default: clean ring)")
    g.add_argument("--memory-budget", type=float, default=None, metavar="GIB",
                   help="memory one batch of ED may use, in GiB (default: half the machine)")
    g.add_argument("--method", choices=("auto", "sectors", "full"), default="auto",
                   help="ED in the L symmetry sectors of U = T1 exp(i pi S_z) (fast, clean ring only) or in "
                        "the full space; auto = sectors unless there is disorder (default auto)")


def model_from_args(args, omega):
    """(basis, params) from parsed flags; raises ValueError on bad input."""
    from ..pump import PumpParams, make_basis

    budget = None if args.memory_budget is None else args.memory_budget * 2**30
    if budget is not None and not budget > 0:
        raise ValueError(f"--memory-budget={args.memory_budget!r} is not allowed: must be > 0 GiB")
    basis = make_basis(args.L, args.N, args.S, memory_budget=budget)
    disorder = None
    if args.disorder is not None:
        try:
            disorder = np.array([float(x) for x in args.disorder.split(",")])
        except ValueError:
            raise ValueError(f"--disorder={args.disorder!r} is not allowed: expected L={basis.L} "
                             "comma-separated numbers") from None
        if disorder.shape != (basis.L,):
            raise ValueError(f"--disorder={args.disorder!r} is not allowed: expected L={basis.L} numbers, "
                             f"got {disorder.size}")
    params = PumpParams(omega=omega, eta=args.eta, J=args.J, Delta=args.Delta, disorder=disorder)
    return basis, params, budget


def _model_attrs(basis, args) -> dict:
    return {"L": basis.L, "N": basis.N, "S": basis.S, "eta": args.eta, "J": args.J, "Delta": args.Delta,
            "disorder": args.disorder or "none", "dim": basis.dim}


def point_record(obs, basis) -> dict:
    """The JSON record of one parameter point (public keys of the `pump point` contract)."""
    keys = ("E", "E_prime", "E_prime_margin", "omega_tilde", "delta_omega", "current", "delta_n",
            "delta_n_bare", "spin_gap", "ph_gap_min", "ph_gap_max", "Sx", "Sy", "Sz", "Sx2", "Sy2", "Sz2")
    record = {"dim": basis.dim, "method": obs.method, "selected_index": int(obs.selected_index)}
    record.update({k: float(getattr(obs, k)) for k in keys})
    record["bond_currents"] = np.asarray(obs.bond_currents).tolist()
    record["ph_gap"] = np.asarray(obs.ph_gap)
    return record


def _point(args) -> int:
    from ..pump import solve

    basis, params, budget = model_from_args(args, args.omega)
    t0 = time.perf_counter()
    obs = solve(params, basis, method=args.method, memory_budget=budget)
    record = {"L": basis.L, "N": basis.N, "S": basis.S, "eta": args.eta, "omega": args.omega,
              "J": args.J, "Delta": args.Delta, **point_record(obs, basis),
              "wall_time_s": time.perf_counter() - t0}
    if args.json:
        print_json(record)
    else:
        for k, v in record.items():
            if k not in ("ph_gap", "bond_currents"):
                print(f"{k:>16} = {v}")
    return 0


def _sweep(args) -> int:
    from .. import store
    from ..pump import solve

    omega = float_grid(args.omega_min, args.omega_max, args.omega_step, "omega")
    basis, params, budget = model_from_args(args, omega)
    out = output_dir(args.out)
    t0 = time.perf_counter()
    obs = solve(params, basis, method=args.method, memory_budget=budget, progress=not (args.quiet or args.json))
    elapsed = time.perf_counter() - t0
    sites = np.arange(1, basis.L + 1)
    ds = store.annotate(obs.to_dataset(("omega",), coords={"omega": omega, "bond": sites, "l": sites, "m": sites}),
                        {**_model_attrs(basis, args), "command": "jaxmotor pump sweep", "wall_time_s": elapsed})
    data_path = store.write(ds, out / "pump_sweep.zarr")
    files = {"data": str(data_path)}
    if not args.no_plot:
        from ..plots import pump as pump_plots  # matplotlib only when there is a figure to draw

        title = f"L={basis.L}, N={basis.N}, S={basis.S:g}, eta={args.eta:g}"
        files["plot"] = str(pump_plots.transport_and_spin_gap(
            omega, obs.delta_n, obs.spin_gap, title=title, path=out / "pump_sweep.png"))
    if args.json:
        print_json({**files, "omega": omega, "delta_n": obs.delta_n, "spin_gap": obs.spin_gap,
                    "omega_tilde": obs.omega_tilde, "E_prime_margin": obs.E_prime_margin,
                    "wall_time_s": elapsed, "dim": basis.dim, "method": obs.method})
    else:
        print(f"swept {omega.size} values of omega/J in {elapsed:.1f} s (dimension {basis.dim}, {obs.method} ED)")
        for k, v in files.items():
            print(f"{k}: {v}")
    return 0


def _spectrum(args) -> int:
    from ..plots import pump as pump_plots
    from ..pump import spectrum

    basis, params, budget = model_from_args(args, args.omega)
    eigenvalues = spectrum(params, basis, method=args.method, memory_budget=budget)
    result = {"eigenvalues": eigenvalues}
    if args.plot:
        out = output_dir(args.out)
        title = f"L={basis.L}, N={basis.N}, S={basis.S:g}, eta={args.eta:g}, omega={args.omega:g}"
        result["plot"] = str(pump_plots.spectrum(eigenvalues, title=title, path=out / "pump_spectrum.png"))
    if args.json:
        print_json(result)
    else:
        print(f"{eigenvalues.size} eigenvalues from {eigenvalues[0]:.6f} to {eigenvalues[-1]:.6f}")
        if "plot" in result:
            print(f"plot: {result['plot']}")
    return 0


def register(commands) -> None:
    """Add the ED subcommands to ``jaxmotor pump``."""
    fmt = argparse.RawDescriptionHelpFormatter

    sweep = commands.add_parser(
        "sweep", help="sweep omega: Delta n and the spin gap (Fig. 3)", formatter_class=fmt,
        description="Sweep the Larmor frequency omega and compute every observable of the selected "
        "state at each point (default: Fig. 3 of the pump paper, L=8, S=10, eta=0.95, "
        "omega/J = 0.05..2.5 in steps of 0.05).\nWrites DIR/pump_sweep.zarr (xarray/zarr, open with "
        "xarray.open_zarr) and DIR/pump_sweep.png.\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump sweep --S 5 --omega-min 0.1 --omega-max 2 --omega-step 0.1 --out runs/s5")
    add_model_options(sweep)
    add_omega_grid(sweep)
    add_output_options(sweep, "jaxmotor-out/pump-sweep")
    sweep.set_defaults(func=_sweep)

    point = commands.add_parser(
        "point", help="all observables at one parameter point", formatter_class=fmt,
        description="Diagonalize H at one parameter point and print the observables of the selected "
        "state (E, E', its margin, omega_tilde, bond currents, Delta n, spin moments, gaps).\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump point --L 8 --S 10 --eta 0.95 --omega 0.25 --json")
    add_model_options(point)
    point.add_argument("--omega", type=float, default=0.25, help="Larmor frequency omega/J (default 0.25)")
    point.add_argument("--json", action="store_true", help="print one JSON object")
    point.set_defaults(func=_point)

    spec = commands.add_parser(
        "spectrum", help="the full energy spectrum (Fig. 2)", formatter_class=fmt,
        description="All eigenvalues of H at one parameter point (Fig. 2).\n\n" + _MODEL_HELP,
        epilog="example: jaxmotor pump spectrum --omega 0.25 --json --plot")
    add_model_options(spec)
    spec.add_argument("--omega", type=float, default=0.25, help="Larmor frequency omega/J (default 0.25)")
    spec.add_argument("--plot", action="store_true", help="also write DIR/pump_spectrum.png")
    spec.add_argument("--json", action="store_true", help='print {"eigenvalues": [...]}')
    spec.add_argument("--out", default="jaxmotor-out/pump-spectrum", metavar="DIR", help="folder for the plot")
    spec.set_defaults(func=_spectrum)


