"""``jaxmotor pump meanfield | chern``: mean-field dynamics and topology of the pump (Sec. IV)."""

from __future__ import annotations

import argparse
import time

import numpy as np

from ._common import add_omega_grid, add_output_options, float_grid, output_dir, print_json

_MEANFIELD_HELP = """\
Mean-field dynamics (pump paper Sec. IV A, Eqs. 16-19; docs/physics.md 1):
  fermions: a Slater determinant (one-body density matrix, L x L) under the Rice-Mele ring
    h(S) = -(J/2) sum_j (1 + (-1)^j g S_x)(|j><j+1| + h.c.) + Delta g sum_j (-1)^j S_y |j><j|, g = eta/S
  spin: a classical vector of length S, dS/dt = S x B, B = (g J <I>, g Delta <P>, omega).
The spin starts in the plane at angle theta0 (default 90 deg: along +y), the fermions in the filled
lower band of h for that spin. With --ramp-periods R > 0 the spin is first driven on the fixed
precession with omega switched on smoothly, omega(t) = omega sin^2(pi t / 2T), T = R 2 pi/omega, arriving
at theta0 at t = T with the fermions dressed by the motion; the self-consistent run and every output
start there (a sudden start leaves a fermion excitation that never decays: the charge per revolution
then wanders by a few percent with theta0). The energy and |S| are conserved; the integrator is an exact
splitting of the flow (order 2 or 4). Outputs per (S, omega): the charge pumped per revolution of
the in-plane spin angle (averaged over the completed revolutions), whether the spin encircles the
origin, omega_tilde, and the lower transition omega_min per S (expected: omega_min S ~ 1.87 from
+y, 1.31 at 45 deg, none from +x; Eq. 20's eta N/S is about 2x too high).
"""

_CHERN_HELP = """\
Topology of the large-S limit (pump paper Sec. IV B, Eqs. 26-27; docs/physics.md 1):
  h(k, phi) = Delta eta sin(phi) s_z + (J/2)(1 - eta cos phi) sin k s_y
              - (J/2)(1 + eta cos phi + (1 - eta cos phi) cos k) s_x,   bands +-E(k, phi).
The Chern number of the lower band over (k, phi) is computed by the Fukui-Hatsugai-Suzuki lattice
method (orientation k then phi): C = -1 for J, Delta, eta > 0. The spin turns clockwise for
omega > 0, so the charge pumped per period is -C = +1 (Fig. 3). band_gap_min is the smallest
2E on the grid; its closed form is 2 min(|Delta eta|, |J| min(|eta|, 1)).
"""


def _spin_lengths(text: str) -> np.ndarray:
    try:
        values = np.array([float(x) for x in text.split(",")])
    except ValueError:
        raise ValueError(f"--S={text!r} is not allowed: expected comma-separated spin lengths > 0") from None
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0) or np.any(values > 1e6):
        raise ValueError(f"--S={text!r} is not allowed: every spin length must lie in (0, 1e6]")
    return values


def _meanfield(args) -> int:
    from .. import store
    from ..plots import pump_dynamics as plots
    from ..pump import MeanFieldConfig, MeanFieldSolver, PumpParams, lower_transition, meanfield
    from ..pump._meanfield import illustrative_frequencies

    S = _spin_lengths(args.S)
    if args.omega is not None:
        omega = np.array([args.omega], dtype=float)
    else:
        omega = float_grid(args.omega_min, args.omega_max, args.omega_step, "omega")
    if np.any(omega <= 0) or not np.all(np.isfinite(omega)):
        raise ValueError(f"omega={omega.tolist()!r} is not allowed: the precession frequencies must be > 0")
    config = MeanFieldConfig(L=args.L, N=args.N, S=S[:, None], theta0=np.deg2rad(args.theta0_deg),
                             periods=args.periods, ramp_periods=args.ramp_periods,
                             n_saved=args.n_saved, back_action=not args.no_back_action)
    solver = MeanFieldSolver(dt=args.dt, order=args.order)
    params = PumpParams(omega=omega[None, :], eta=args.eta, J=args.J, Delta=args.Delta)
    t0 = time.perf_counter()
    res = meanfield(params, config, solver)
    elapsed = time.perf_counter() - t0
    omega_min = lower_transition(omega, res.encircles) if omega.size > 1 else np.full(S.shape, np.nan)
    N = config.n_fermions
    attrs = {"L": args.L, "N": N, "eta": args.eta, "J": args.J, "Delta": args.Delta,
             "theta0_deg": args.theta0_deg, "periods": args.periods, "ramp_periods": args.ramp_periods,
             "dt_max": args.dt, "order": args.order,
             "back_action": not args.no_back_action}
    out = output_dir(args.out)
    ds = res.to_dataset(("S", "omega"), coords={"S": S, "omega": omega}).assign(omega_min=(("S",), omega_min))
    ds = store.annotate(ds, {**attrs, "command": "jaxmotor pump meanfield", "wall_time_s": elapsed})
    files = {"data": str(store.write(ds, out / "pump_meanfield.zarr"))}
    if not args.no_plot:
        title = (f"mean field: L={args.L}, N={N}, eta={args.eta:g}, start {args.theta0_deg:g} deg"
                 + ("" if not args.no_back_action else ", fixed precession"))
        files["plot"] = str(plots.meanfield_transport(
            omega, S, np.asarray(res.pumped_charge_per_period), np.asarray(res.encircles), omega_min,
            eta=args.eta, N=N, title=title, path=out / "pump_meanfield.png"))
        pick = illustrative_frequencies(omega, res.encircles[0], omega_min[0])
        files["trajectory_plot"] = str(plots.spin_trajectories(
            np.asarray(res.time)[0, pick], np.asarray(res.spin)[0, pick], S[0], omega[pick],
            title=f"mean-field spin, S={S[0]:g}", path=out / "pump_meanfield_trajectory.png"))
    squeeze = (lambda a: np.asarray(a).ravel()[0]) if omega.size == 1 and S.size == 1 else np.asarray
    record = {**attrs, "S": squeeze(S), "omega": squeeze(omega),
              **{k: squeeze(ds[k].values) for k, v in ds.data_vars.items() if v.dims == ("S", "omega")},
              "omega_min": squeeze(omega_min), "omega_min_times_S": squeeze(omega_min * S),
              "eq20_bound": squeeze(args.eta * N / S), "eq21_bound": 2 * args.eta, "wall_time_s": elapsed, **files}
    if args.json:
        print_json(record)
    else:
        print(f"mean-field runs: {S.size} spin length(s) x {omega.size} omega in {elapsed:.1f} s")
        for i, s in enumerate(S):
            print(f"S={s:g}: omega_min={omega_min[i]:.4g} (omega_min S={omega_min[i] * s:.3g}; "
                  f"Eq. 20: {args.eta * N:.3g})")
        for k, v in files.items():
            print(f"{k}: {v}")
    return 0


def _chern(args) -> int:
    from .. import store
    from ..plots import pump_dynamics as plots
    from ..pump._topology import (
        band_energy,
        band_gap_min_closed_form,
        chern_number,
        lattice_momenta,
        pumped_charge_adiabatic,
    )

    res = chern_number(args.eta, args.J, args.Delta, n_k=args.n_k, n_phi=args.n_phi)
    chern = int(np.round(float(res.chern)))
    adiabatic = float(pumped_charge_adiabatic(args.L, args.eta, args.J, args.Delta))
    record = {"eta": args.eta, "J": args.J, "Delta": args.Delta, "n_k": args.n_k, "n_phi": args.n_phi,
              "chern": chern, "chern_raw": float(res.chern), "band_gap_min": float(res.band_gap_min),
              "band_gap_min_closed_form": float(band_gap_min_closed_form(args.eta, args.J, args.Delta)),
              "berry_flux_max": float(res.berry_flux_max), "L": args.L,
              "pumped_charge_per_period_adiabatic": adiabatic}
    eta_scan = float_grid(args.eta_min, args.eta_max, args.eta_step, "eta")
    eta_scan = np.round(eta_scan[eta_scan != 0], 12)
    if eta_scan.size == 0:
        raise ValueError("--eta-min/--eta-max is not allowed: the eta scan holds only eta = 0")
    scan = chern_number(eta_scan, args.J, args.Delta, n_k=args.n_k, n_phi=args.n_phi)
    gap_closed = band_gap_min_closed_form(eta_scan, args.J, args.Delta)
    k = 2 * np.pi * np.arange(args.n_k + 1) / args.n_k
    phi = 2 * np.pi * np.arange(args.n_phi + 1) / args.n_phi
    gap_grid = 2 * np.asarray(band_energy(k[None, :], phi[:, None], args.eta, args.J, args.Delta))
    out = output_dir(args.out)
    ds = store.dataset(
        {"chern": (("eta",), np.asarray(scan.chern)), "band_gap_min": (("eta",), np.asarray(scan.band_gap_min)),
         "band_gap_min_closed_form": (("eta",), gap_closed), "gap": (("phi", "k"), gap_grid)},
        coords={"eta": eta_scan, "k": k, "phi": phi},
        attrs={**record, "command": "jaxmotor pump chern"})
    files = {"data": str(store.write(ds, out / "pump_chern.zarr"))}
    if not args.no_plot:
        files["plot"] = str(plots.chern_and_bands(
            eta_scan, np.asarray(scan.chern), np.asarray(scan.band_gap_min), gap_closed, k, phi, gap_grid,
            np.asarray(lattice_momenta(args.L)), eta=args.eta, chern=chern,
            title=f"J={args.J:g}, Delta={args.Delta:g}, grid {args.n_k}x{args.n_phi}", path=out / "pump_chern.png"))
    record.update(eta_scan=eta_scan, chern_scan=np.round(np.asarray(scan.chern)).astype(int), **files)
    if args.json:
        print_json(record)
    else:
        print(f"Chern number C = {chern:+d} (eta={args.eta:g}); charge per period -C = {-chern:+d}")
        print(f"band_gap_min = {record['band_gap_min']:.6g} (closed form {record['band_gap_min_closed_form']:.6g})")
        print(f"adiabatic charge per period on the L={args.L} ring: {adiabatic:.6f}")
        for key, v in files.items():
            print(f"{key}: {v}")
    return 0


def register(commands) -> None:
    """Add ``meanfield`` and ``chern`` to ``jaxmotor pump``."""
    fmt = argparse.RawDescriptionHelpFormatter

    mf = commands.add_parser(
        "meanfield", help="mean-field spin-fermion dynamics: charge per revolution, lower transition (Sec. IV A)",
        formatter_class=fmt,
        description="Integrate the coupled mean-field dynamics for a grid of omega and one or more spin "
        "lengths S (default: S = 5 and 10, omega/J = 0.1..2.5 in steps of 0.05, 10 periods each: the "
        "lower transition omega_min ~ 1/S and the smooth decline at large omega).\nWrites "
        "DIR/pump_meanfield.zarr, DIR/pump_meanfield.png (charge vs omega and vs omega S) and "
        "DIR/pump_meanfield_trajectory.png.\n\n" + _MEANFIELD_HELP,
        epilog="examples:\n  jaxmotor pump meanfield --S 10 --omega 0.5 --json\n"
        "  jaxmotor pump meanfield --S 10 --omega 0.5 --ramp-periods 2 --json   (smooth start)\n"
        "  jaxmotor pump meanfield --S 5,10,20 --omega-min 0.05 --omega-max 0.6 --omega-step 0.01 --out runs/mf\n"
        "  jaxmotor pump meanfield --no-back-action --S 10 --omega 0.05 --json   (driven pump: -> Chern number)")
    g = mf.add_argument_group("model")
    g.add_argument("--L", type=int, default=8, help="ring sites, even, >= 4 (default 8)")
    g.add_argument("--N", type=int, default=None, help="fermions, 1..L-1 (default L/2)")
    g.add_argument("--S", type=str, default="5,10", metavar="S1,S2,...",
                   help="classical spin length(s) S > 0, comma-separated (default 5,10)")
    g.add_argument("--eta", type=float, default=0.95, help="coupling eta, g = eta/S (default 0.95)")
    g.add_argument("--J", type=float, default=1.0, help="hopping J (default 1)")
    g.add_argument("--Delta", type=float, default=1.0, help="staggered potential Delta (default 1)")
    g.add_argument("--theta0-deg", type=float, default=90.0,
                   help="initial in-plane spin angle in degrees from +x (default 90: along +y)")
    w = add_omega_grid(mf, first=0.1, title="omega (one value, or an inclusive grid)")
    w.add_argument("--omega", type=float, default=None, help="a single omega/J (overrides the grid)")
    n = mf.add_argument_group("integration")
    n.add_argument("--periods", type=int, default=10,
                   help="measured run length in periods 2 pi/omega, after the ramp (default 10)")
    n.add_argument("--ramp-periods", type=float, default=0.0,
                   help="smooth switch-on of the precession before measuring, in periods 2 pi/omega "
                   "(default 0: sudden start; 2 removes most of the start-up excitation at S=10, omega=0.5)")
    n.add_argument("--dt", type=float, default=0.1, help="largest time step in 1/J (default 0.1)")
    n.add_argument("--order", type=int, default=4, choices=(2, 4), help="splitting order (default 4)")
    n.add_argument("--n-saved", type=int, default=400, help="trajectory points kept per run (default 400)")
    n.add_argument("--no-back-action", action="store_true",
                   help="force a fixed precession at omega (no torque from the fermions)")
    add_output_options(mf, "jaxmotor-out/pump-meanfield")
    mf.set_defaults(func=_meanfield)

    ch = commands.add_parser(
        "chern", help="Chern number and band gap of h(k, phi) (Sec. IV B)", formatter_class=fmt,
        description="Chern number of the lower band of h(k, phi) (Eq. 26) by the Fukui-Hatsugai-Suzuki "
        "method, its minimum band gap (Eq. 27) and the adiabatic charge per period on the L-site ring; "
        "also a scan over eta (default 0.05..1.5) showing C = -1 throughout.\nWrites DIR/pump_chern.zarr "
        "and DIR/pump_chern.png.\n\n" + _CHERN_HELP,
        epilog="example: jaxmotor pump chern --eta 0.95 --json")
    ch.add_argument("--eta", type=float, default=0.95, help="coupling eta (nonzero, default 0.95)")
    ch.add_argument("--J", type=float, default=1.0, help="hopping J (nonzero, default 1)")
    ch.add_argument("--Delta", type=float, default=1.0, help="staggered potential Delta (nonzero, default 1)")
    ch.add_argument("--n-k", type=int, default=48, help="grid points in k, 4..4096 (default 48)")
    ch.add_argument("--n-phi", type=int, default=48, help="grid points in phi, 4..4096 (default 48)")
    ch.add_argument("--L", type=int, default=8, help="ring sites for the finite-L adiabatic charge (default 8)")
    s = ch.add_argument_group("eta scan (inclusive grid; eta = 0 is skipped)")
    s.add_argument("--eta-min", type=float, default=0.05, help="first eta (default 0.05)")
    s.add_argument("--eta-max", type=float, default=1.5, help="last eta (default 1.5)")
    s.add_argument("--eta-step", type=float, default=0.05, help="step (default 0.05)")
    add_output_options(ch, "jaxmotor-out/pump-chern")
    ch.set_defaults(func=_chern)
