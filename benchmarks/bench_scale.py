"""Throughput against problem size, on whatever backend this runs: does the cost follow the work and
does a big problem fill the device?

    python benchmarks/bench_scale.py [--quick] [--parts pump,motor,fig4,disorder] [--out FILE]

Parts (each writes its rows as soon as it finishes, so a cut run keeps what it measured):
  pump      points/s of the Fig. 3 ED pipeline (L = 8, S = 10, sectors) against the batch size, and the
            time to the first result (first call: compile + run) — chunk sizes from the memory budget.
  motor     trajectory-steps/s of ``motor.simulate`` (white noise, no leads, float64 and float32)
            from 10^3 to 10^6 trajectories (to 10^5 with --quick), with the time to the first result.
  fig4      the Fig. 4 grid (S = 1..20 x 50 omega at L = 8) as a whole command (``jaxmotor pump
            phase``, a fresh process: import, compile, run, store, plot), with a cold and a warm
            compilation cache, and its number of XLA compilations; the default ``jaxmotor pump sweep``
            as a whole command (cold, then warm in turn with its baseline: 50 dense scipy ``eigh`` of
            its D = 1470 H, one per omega) and the ratio.
  disorder  the full-space path with disorder (every point its own dense eigh) against a scipy loop
            of dense ``eigh`` plus the same observables (benchmarks/bench_pump_ed.py's numpy
            pipeline) on the same points and matrices, at L = 8 (24 points) and L = 10 (2 points),
            S = 10: first calls and warm calls in turn, each side split into eigh and the rest.
The GPU part of issue 17 is this script without --quick (under 8 minutes on an H200):
    python benchmarks/bench_scale.py --parts motor,fig4,pump,disorder
Writes benchmarks/results/scale_<backend>.json with the device, machine and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import jaxmotor  # noqa: F401  (float64)
from jaxmotor.store import provenance

from _results import results_path, write_record


def _block(tree):
    return jax.tree.map(lambda x: x.block_until_ready() if hasattr(x, "block_until_ready") else x, tree)


def _timed(fn, repeats=1):
    t0 = time.perf_counter()
    first = fn()
    _block(first)
    first_time = time.perf_counter() - t0
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        _block(fn())
        best = min(best, time.perf_counter() - t0)
    return first_time, best


def part_pump(quick: bool) -> dict:
    from jaxmotor.pump import PumpParams, make_basis, solve

    basis = make_basis(8, 4, 10)
    rows = []
    for n in ([16, 64, 256] if quick else [16, 64, 256, 1024, 4096]):
        params = PumpParams(omega=np.linspace(0.05, 2.5, n))
        first, best = _timed(lambda p=params: solve(p, basis).delta_n, repeats=1 if quick else 2)
        rows.append({"points": n, "first_s": first, "run_s": best, "points_per_s": n / best})
        print(f"pump  {n:6d} points: first {first:.2f} s, run {best:.3f} s, {n / best:.0f} points/s", flush=True)
    return {"L": 8, "S": 10, "rows": rows}


def part_motor(quick: bool) -> dict:
    from jaxmotor.motor import LangevinSolver, MotorParams, simulate

    params = MotorParams(K=0.5, V=1.0, temperature=0.1, noise="white")
    rows = []
    sizes = [10**3, 10**4, 10**5] if quick else [10**3, 10**4, 10**5, 10**6]
    steps = 200 if quick else 1000
    for dtype in ("float64", "float32"):
        solver = LangevinSolver.default()
        solver = type(solver)(**{**{f: getattr(solver, f) for f in solver.__dataclass_fields__}, "dtype": dtype})
        for n in sizes:
            run = lambda n=n, s=solver: simulate(params, jax.random.key(0), dt=0.01, time=steps * 0.01,  # noqa: E731
                                                 trajectories=n, burn_in=0.5, solver=s).mean_velocity
            first, best = _timed(run, repeats=1)
            rate = n * steps / best
            rows.append({"dtype": dtype, "trajectories": n, "steps": steps, "first_s": first, "run_s": best,
                         "trajectory_steps_per_s": rate})
            print(f"motor {dtype} {n:8d} x {steps}: first {first:.2f} s, run {best:.3f} s, {rate:.3g} traj-steps/s",
                  flush=True)
    return {"noise": "white", "rows": rows}


def _command(args: list[str], cache: Path) -> tuple[float, int]:
    """Wall time of a whole ``jaxmotor`` command in a fresh process, and its XLA compilations."""
    probe = ("import logging, sys, jax\n"
             "n = [0]\n"
             "class C(logging.Handler):\n"
             "    def emit(self, r):\n"
             "        n[0] += r.getMessage().startswith('Finished XLA compilation')\n"
             "jax.config.update('jax_log_compiles', True)\n"
             "logging.getLogger('jax').addHandler(C())\n"
             "from jaxmotor.cli.main import main\n"
             "rc = main(sys.argv[1:])\n"
             "print('COMPILES', n[0]); sys.exit(rc)\n")
    env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    compiles = int(next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith("COMPILES")))
    return elapsed, compiles


def _fifty_dense_eigh() -> tuple[float, float]:
    """The baseline of the default ``jaxmotor pump sweep``: one dense ``scipy.linalg.eigh`` (its
    default driver) of the full H (L = 8, N = 4, S = 10, D = 1470) at each of the command's 50 ω,
    summed; and the fastest single one."""
    import scipy.linalg

    from jaxmotor.pump import PumpParams, hamiltonian, make_basis

    basis = make_basis(8, 4, 10)
    total, fastest = 0.0, np.inf
    for omega in 0.05 + 0.05 * np.arange(50):
        H = np.asarray(hamiltonian(PumpParams(omega=omega, eta=0.95), basis))
        t0 = time.perf_counter()
        scipy.linalg.eigh(H)
        elapsed = time.perf_counter() - t0
        total, fastest = total + elapsed, min(fastest, elapsed)
    return total, fastest


def part_fig4(quick: bool) -> dict:
    """Whole commands in fresh processes. The default ``jaxmotor pump sweep`` (with its figure, and
    with --no-plot) is run cold, then ``repeats`` times warm (persistent compilation cache), in turn
    with the 50 dense eigh of its baseline; ratios use the best warm run."""
    repeats = 2 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        cache, out = Path(tmp) / "xla", Path(tmp) / "out"
        spins = "1:10" if quick else "1:20"
        args = ["pump", "phase", "--S", spins, "--out", str(out), "--quiet"]
        cold, cold_compiles = _command(args, cache)
        warm, warm_compiles = _command(args, cache)
        sweep = ["pump", "sweep", "--out", str(out), "--quiet"]
        sweep_cold, _ = _command(sweep, Path(tmp) / "xla2")
        _command(sweep + ["--no-plot"], Path(tmp) / "xla2")  # both variants' kernels in the cache
        warm_runs, no_plot_runs, baselines, fastest = [], [], [], np.inf
        for _ in range(repeats):
            seconds, sweep_compiles = _command(sweep, Path(tmp) / "xla2")
            warm_runs.append(seconds)
            no_plot_runs.append(_command(sweep + ["--no-plot"], Path(tmp) / "xla2")[0])
            total, one = _fifty_dense_eigh()
            baselines.append(total)
            fastest = min(fastest, one)
    sweep_warm, no_plot, baseline = min(warm_runs), min(no_plot_runs), min(baselines)
    print(f"fig4 (S {spins}): cold {cold:.1f} s ({cold_compiles} compilations), warm cache {warm:.1f} s "
          f"({warm_compiles}); default pump sweep: cold {sweep_cold:.1f} s, warm {sweep_warm:.2f} s "
          f"({no_plot:.2f} s --no-plot); 50 dense eigh {baseline:.1f} s -> {baseline / sweep_warm:.1f}x "
          f"({baseline / no_plot:.1f}x --no-plot), load {os.getloadavg()[0]:.1f}", flush=True)
    return {"spins": spins, "omega_points": 50, "cold_s": cold, "cold_compilations": cold_compiles, "warm_s": warm,
            "warm_compilations": warm_compiles, "pump_sweep_cold_s": sweep_cold, "pump_sweep_warm_s": sweep_warm,
            "pump_sweep_warm_runs_s": warm_runs, "pump_sweep_warm_no_plot_s": no_plot,
            "pump_sweep_warm_no_plot_runs_s": no_plot_runs, "pump_sweep_warm_compilations": sweep_compiles,
            "fifty_dense_eigh_s": baseline, "fifty_dense_eigh_runs_s": baselines, "one_dense_eigh_fastest_s": fastest,
            "dense_eigh": "scipy.linalg.eigh (default driver evr), full H of L=8, N=4, S=10 (D=1470), 50 omega",
            "pump_sweep_speedup_vs_50_eigh": baseline / sweep_warm,
            "pump_sweep_no_plot_speedup_vs_50_eigh": baseline / no_plot, "load_avg_1min": os.getloadavg()[0]}


def part_disorder(quick: bool) -> dict:
    """jaxmotor's full-space path against a scipy loop over the same points and the same matrices,
    timed in turn (round robin, best of ``rounds``): first calls (jaxmotor: trace + compile + run) and
    warm calls; jaxmotor's time split into its batched eigh (same solver, same matrices) and the rest
    (H, observables, chunking), scipy's into ``scipy.linalg.eigh`` (its default driver, heevr) and the
    numpy observables. The scipy loop gets its matrices prebuilt (H construction is not timed there,
    it is in jaxmotor's time)."""
    import scipy.linalg
    from bench_pump_ed import numpy_observables

    from jaxmotor.pump import EighSolver, PumpParams, hamiltonian, make_basis, solve

    rows = []
    for L, points, rounds in ((8, 8 if quick else 24, 2 if quick else 3), (10, 2, 1)):
        basis = make_basis(L, L // 2, 10)
        eps = 0.5 * np.random.default_rng(0).uniform(size=(points, L))
        params = PumpParams(omega=0.25, disorder=eps)
        solver = EighSolver.default()
        H = jax.jit(jax.vmap(lambda e: hamiltonian(PumpParams(omega=0.25, disorder=e), basis)))(jnp.asarray(eps))
        H = jax.block_until_ready(H)
        matrices = [np.asarray(h) for h in H]
        eigh = jax.jit(jax.vmap(solver.eigh))

        def jaxmotor_run(p=params, b=basis):
            return solve(p, b, method="full").delta_n

        def scipy_loop(ms=matrices, b=basis):
            return np.array([numpy_observables(m, b, 0.25)["delta_n"] for m in ms])

        def scipy_eigh(ms=matrices):
            for m in ms:
                scipy.linalg.eigh(m)

        t = {}
        t["jaxmotor_first_s"], _ = _timed(jaxmotor_run, repeats=0)
        t["jaxmotor_eigh_first_s"], _ = _timed(lambda h=H: eigh(h), repeats=0)
        t0 = time.perf_counter()
        reference = scipy_loop()
        t["scipy_first_s"] = time.perf_counter() - t0
        for name in ("jaxmotor_run_s", "jaxmotor_eigh_only_s", "scipy_loop_s", "scipy_eigh_only_s"):
            t[name] = np.inf
        for _ in range(rounds):
            for name, fn in (("jaxmotor_run_s", jaxmotor_run), ("scipy_loop_s", scipy_loop),
                             ("jaxmotor_eigh_only_s", lambda h=H: eigh(h)), ("scipy_eigh_only_s", scipy_eigh)):
                t0 = time.perf_counter()
                _block(fn())
                t[name] = min(t[name], time.perf_counter() - t0)
        delta_n = np.asarray(jaxmotor_run())
        np.testing.assert_allclose(delta_n, reference, atol=1e-6)  # the contenders agree
        row = {"L": L, "S": 10, "dim": basis.dim, "points": points, "rounds": rounds,
               "eigh_solver": f"{solver.algorithm}, tridiagonal_from={solver.tridiagonal_from}",
               "scipy_eigh_driver": "evr (scipy.linalg.eigh default)", **t,
               "jaxmotor_rest_s": t["jaxmotor_run_s"] - t["jaxmotor_eigh_only_s"],
               "scipy_observables_s": t["scipy_loop_s"] - t["scipy_eigh_only_s"],
               "speedup_first_call": t["scipy_first_s"] / t["jaxmotor_first_s"],
               "speedup_warm": t["scipy_loop_s"] / t["jaxmotor_run_s"],
               "speedup_eigh_alone": t["scipy_eigh_only_s"] / t["jaxmotor_eigh_only_s"],
               "load_avg_1min": os.getloadavg()[0]}
        rows.append(row)
        print(f"disorder L={L} (D={basis.dim}, {points} points): jaxmotor first {t['jaxmotor_first_s']:.2f} s, warm "
              f"{t['jaxmotor_run_s']:.2f} s (eigh {t['jaxmotor_eigh_only_s']:.2f} s, "
              f"rest {row['jaxmotor_rest_s']:.2f} s); "
              f"scipy first {t['scipy_first_s']:.2f} s, best {t['scipy_loop_s']:.2f} s (eigh "
              f"{t['scipy_eigh_only_s']:.2f} s) -> {row['speedup_first_call']:.2f}x first call, "
              f"{row['speedup_warm']:.2f}x warm (load {row['load_avg_1min']:.1f})", flush=True)
    return {"rows": rows}


PARTS = {"pump": part_pump, "motor": part_motor, "fig4": part_fig4, "disorder": part_disorder}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="pump,motor,fig4,disorder")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a 2-core CPU)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"--parts: unknown {unknown}; choose from {sorted(PARTS)}")
    path = results_path("scale", args.out)
    record = json.loads(path.read_text()) if path.exists() else {}
    record.update({"provenance": provenance(), "quick": args.quick, "cpu_count": os.cpu_count(),
                   "device": str(jax.devices()[0]), "device_count": jax.device_count()})
    for part in parts:
        record[part] = PARTS[part](args.quick)
        write_record(record, path)
    print(f"written {path}")


if __name__ == "__main__":
    main()
