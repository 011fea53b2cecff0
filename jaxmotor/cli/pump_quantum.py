"""``jaxmotor pump dynamics``: real-time quantum dynamics of the full pump (issue 18)."""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from ._common import add_output_options, output_dir, print_json

_HELP = """\
Real-time quantum dynamics of the spin-Rice-Mele ring (pump paper Eq. 7; docs/physics.md 1 "Real-time dynamics"):
  H = -omega S_z - (J/2) sum_j (1 + (-1)^j g S_x)(c+_j c_j+1 + h.c.) + Delta g sum_j (-1)^j S_y n_j, g = eta/S.
Start: the spin coherent state |theta, phi> = exp(-i phi S_z) exp(-i theta S_y)|m=S> (--polar theta,
--azimuth phi in degrees; default 90, 90: along +y) times the Slater determinant of the N lowest orbitals
of the ring h(g<S_x>, g<S_y>) (the mean field's start), or an eigenstate of H (--eigenstate INDEX).
Propagation: 'krylov' (matrix-free Lanczos, any L, a priori error bound below --tol) or 'exact' (full
eigendecomposition in the symmetry sectors, L <= 10); 'auto' takes exact for L <= 8.
Records on R times 0..T: <S_a>, <S_a^2>, the bond currents, the charge Q(t) (bond average, integrated
inside each step / by Gauss-Legendre quadrature: no trapezoid on the records), the spin-fermion
entanglement entropy, the energy and norm (conserved), and the charge per revolution of the in-plane
angle of <S> (as 'pump meanfield' reports it). The mean-field run from the same start is overlaid
(in-plane starts only: the mean-field module starts the spin in the plane).
Measured (L=8, S=10, omega=0.3, +y): <S> spreads within two periods (|<S>| 10 -> ~1), the entropy
reaches ~1.2, the charge in the first period is 0.86 (mean field 0.998).
"""


def _dynamics(args) -> int:
    from .. import store
    from ..plots import pump_quantum as plots
    from ..pump import PumpParams, _dynamics as dy

    for name in ("omega", "eta", "J", "Delta", "polar", "azimuth"):
        value = getattr(args, name)
        if not math.isfinite(value):
            raise ValueError(f"{name}={value!r} is not allowed: expected a finite real number")
    if args.omega == 0:
        raise ValueError("omega=0.0 is not allowed: the run is measured in periods 2 pi/omega (nonzero)")
    params = PumpParams(omega=args.omega, eta=args.eta, J=args.J, Delta=args.Delta)
    L, N, S = dy.check_sizes(args.L, args.N, args.S)
    t_max = args.t_max if args.t_max is not None else 2 * 2 * np.pi / abs(args.omega)
    polar, azimuth = np.deg2rad(args.polar), np.deg2rad(args.azimuth)
    config = dy.DynamicsConfig(method="krylov" if args.method == "auto" else args.method,
                               krylov_dim=args.krylov_dim, tol=args.tol)
    method = dy.choose_method(args.method, L, params)
    config = dy.DynamicsConfig(method=method, krylov_dim=config.krylov_dim, tol=config.tol)
    initial = None
    if args.eigenstate is not None:
        from ..pump import make_basis

        basis = make_basis(L, N, S)
        if not 0 <= args.eigenstate < basis.dim:
            raise ValueError(f"eigenstate={args.eigenstate} is not allowed: must be an integer in [0, {basis.dim - 1}]")
        initial = np.asarray(dy.eigenstate(params, basis, args.eigenstate))
    t0 = time.perf_counter()
    res = dy.dynamics(params, L, N, S, polar=polar, azimuth=azimuth, t_max=t_max, records=args.records,
                      initial=initial, config=config)
    elapsed = time.perf_counter() - t0
    mf = _meanfield(params, L, N, S, azimuth, t_max) if (initial is None and abs(args.polar - 90) < 1e-12
                                                          and not args.no_meanfield) else None
    attrs = {"L": L, "N": N, "S": S, "omega": args.omega, "eta": args.eta, "J": args.J, "Delta": args.Delta,
             "polar_deg": args.polar, "azimuth_deg": args.azimuth, "t_max": t_max, "records": args.records,
             "method": method, "initial": "coherent" if initial is None else f"eigenstate {args.eigenstate}",
             "error_bound": res.error_bound, "error_estimate": float(res.error_estimate)}
    ds = res.to_dataset()
    variables = {k: (v.dims, v.values) for k, v in ds.data_vars.items()}
    if mf is not None:
        on_records = [np.interp(res.time, mf["time"], mf["spin"][:, i]) for i in range(3)]
        variables["meanfield_spin"] = (("time", "component"), np.stack(on_records, -1))
        variables["meanfield_charge"] = (("time",), np.interp(res.time, mf["time"], mf["charge"]))
    out = output_dir(args.out)
    coords = {"time": res.time, "bond": np.arange(1, L + 1), "component": ["x", "y", "z"]}
    data = store.dataset(variables, coords=coords,
                         attrs={**attrs, "command": "jaxmotor pump dynamics", "wall_time_s": elapsed})
    files = {"data": str(store.write(data, out / "pump_dynamics.zarr"))}
    if not args.no_plot:
        spin = np.stack([res.Sx, res.Sy, res.Sz], axis=-1)
        files["plot"] = str(plots.quantum_dynamics(
            res.time, spin, res.charge, res.entanglement_entropy, S, args.omega,
            meanfield_time=None if mf is None else mf["time"], meanfield_spin=None if mf is None else mf["spin"],
            meanfield_charge=None if mf is None else mf["charge"],
            title=f"L={L}, N={N}, S={S:g}, omega={args.omega:g}, eta={args.eta:g}, start polar {args.polar:g} deg, "
                  f"azimuth {args.azimuth:g} deg ({method})", path=out / "pump_dynamics.png"))
    record = {**attrs, "t": res.time, "Sx": res.Sx, "Sy": res.Sy, "Sz": res.Sz,
              "entanglement_entropy": res.entanglement_entropy, "energy": res.energy, "norm": res.norm,
              "charge": res.charge, "charge_per_revolution": res.charge_per_revolution,
              "revolutions": res.revolutions, "omega_tilde": res.omega_tilde,
              "charge_per_bare_period": res.charge_per_bare_period,
              "meanfield_charge_per_revolution": None if mf is None else mf["charge_per_revolution"],
              "wall_time_s": elapsed, **files}
    if args.json:
        print_json(record)
    else:
        print(f"{method} run: L={L}, S={S:g}, D={math.comb(L, N) * int(round(2 * S + 1))}, "
              f"T={t_max:.4g}, {args.records} records in {elapsed:.1f} s (error bound {res.error_bound:.1e})")
        print(f"charge Q(T) = {res.charge[-1]:.6f}; per revolution {res.charge_per_revolution:.6f} "
              f"({int(res.revolutions)} revolutions)"
              + ("" if mf is None else f"; mean field {mf['charge_per_revolution']:.6f}"))
        print(f"|<S>|: {np.hypot(res.Sx[0], res.Sy[0]):.3f} -> {np.hypot(res.Sx[-1], res.Sy[-1]):.3f}; "
              f"entanglement entropy max {res.entanglement_entropy.max():.3f}; "
              f"energy drift {np.ptp(res.energy):.1e}, norm drift {np.max(np.abs(res.norm - 1)):.1e}")
        for key, value in files.items():
            print(f"{key}: {value}")
    return 0


def _meanfield(params, L: int, N: int, S: float, azimuth: float, t_max: float) -> dict:
    """The mean-field run from the same in-plane start, interpolated onto the record times."""
    from ..pump import MeanFieldConfig, meanfield

    omega = float(params.omega)
    periods = max(1, math.ceil(t_max * abs(omega) / (2 * np.pi) - 1e-9))
    res = meanfield(params, MeanFieldConfig(L=L, N=N, S=S, theta0=azimuth, periods=periods, n_saved=400 * periods))
    t_mf, spin, charge = np.asarray(res.time), np.asarray(res.spin), np.asarray(res.charge)
    grid = np.linspace(0.0, t_max, 400 * periods + 1)
    return {"spin": np.stack([np.interp(grid, t_mf, spin[:, i]) for i in range(3)], axis=-1),
            "charge": np.interp(grid, t_mf, charge), "time": grid,
            "charge_per_revolution": float(res.pumped_charge_per_period)}


def register(commands) -> None:
    """Add ``dynamics`` to ``jaxmotor pump``."""
    dyn = commands.add_parser(
        "dynamics", help="real-time quantum dynamics of the full pump: Q(t), <S(t)>, entanglement (issue 18)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Propagate the full quantum pump from a spin coherent state (or an eigenstate) and record "
        "the spin, the currents, the pumped charge and the entanglement.\nWrites DIR/pump_dynamics.zarr "
        "(every observable) and DIR/pump_dynamics.png (Q(t), the spin's path in the plane and the "
        "entanglement, mean field dashed).\n\n" + _HELP,
        epilog="examples:\n  jaxmotor pump dynamics --S 10 --omega 0.3 --json\n"
        "  jaxmotor pump dynamics --L 12 --S 10 --omega 0.3 --t-max 100 --records 201 --method krylov\n"
        "  jaxmotor pump dynamics --S 5 --polar 45 --azimuth 0 --out runs/dyn")
    g = dyn.add_argument_group("model")
    g.add_argument("--L", type=int, default=8, help="ring sites, even, >= 4 (default 8)")
    g.add_argument("--N", type=int, default=None, help="fermions, 1..L-1 (default L/2)")
    g.add_argument("--S", type=str, default="10", help="spin size, a multiple of 1/2 (default 10)")
    g.add_argument("--eta", type=float, default=0.95, help="coupling eta, g = eta/S (default 0.95)")
    g.add_argument("--omega", type=float, default=0.3, help="Larmor frequency omega/J, nonzero (default 0.3)")
    g.add_argument("--J", type=float, default=1.0, help="hopping J (default 1)")
    g.add_argument("--Delta", type=float, default=1.0, help="staggered potential Delta (default 1)")
    s = dyn.add_argument_group("initial state")
    s.add_argument("--polar", type=float, default=90.0, metavar="DEG",
                   help="polar angle theta of the spin coherent state in degrees (default 90: in the plane)")
    s.add_argument("--azimuth", type=float, default=90.0, metavar="DEG",
                   help="azimuth phi in degrees from +x (default 90: along +y)")
    s.add_argument("--eigenstate", type=int, default=None, metavar="INDEX",
                   help="start in eigenstate INDEX of H (ascending energy; dense ED) instead")
    n = dyn.add_argument_group("run")
    n.add_argument("--t-max", type=float, default=None, metavar="T",
                   help="last record time in 1/J (default two bare periods 4 pi/|omega|)")
    n.add_argument("--records", type=int, default=201, metavar="R", help="record times 0..T, >= 2 (default 201)")
    n.add_argument("--method", choices=("auto", "krylov", "exact"), default="auto",
                   help="propagator (default auto: exact for L <= 8, krylov above)")
    n.add_argument("--krylov-dim", type=int, default=60, help="most Lanczos vectors per step (default 60)")
    n.add_argument("--tol", type=float, default=1e-10,
                   help="bound on the state's error at every record (default 1e-10)")
    n.add_argument("--no-meanfield", action="store_true", help="skip the mean-field overlay")
    add_output_options(dyn, "jaxmotor-out/pump-dynamics")
    dyn.set_defaults(func=_dynamics)
