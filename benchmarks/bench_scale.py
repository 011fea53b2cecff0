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
            compilation cache, and its number of XLA compilations.
  disorder  the full-space path with disorder (every point its own dense eigh) against a scipy loop
            of dense ``eigh`` plus the same observables (benchmarks/bench_pump_ed.py's numpy
            pipeline), at L = 8 and L = 10 (S = 10); the jaxmotor time split into eigh and the rest.
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


def part_fig4(quick: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cache, out = Path(tmp) / "xla", Path(tmp) / "out"
        spins = "1:10" if quick else "1:20"
        args = ["pump", "phase", "--S", spins, "--out", str(out), "--quiet"]
        cold, cold_compiles = _command(args, cache)
        warm, warm_compiles = _command(args, cache)
        sweep_cold, _ = _command(["pump", "sweep", "--out", str(out), "--quiet"], Path(tmp) / "xla2")
        sweep_warm, sweep_compiles = _command(["pump", "sweep", "--out", str(out), "--quiet"], Path(tmp) / "xla2")
    print(f"fig4 (S {spins}): cold {cold:.1f} s ({cold_compiles} compilations), warm cache {warm:.1f} s "
          f"({warm_compiles}); default pump sweep: cold {sweep_cold:.1f} s, warm {sweep_warm:.1f} s", flush=True)
    return {"spins": spins, "omega_points": 50, "cold_s": cold, "cold_compilations": cold_compiles, "warm_s": warm,
            "warm_compilations": warm_compiles, "pump_sweep_cold_s": sweep_cold, "pump_sweep_warm_s": sweep_warm,
            "pump_sweep_warm_compilations": sweep_compiles}


def part_disorder(quick: bool) -> dict:
    import scipy.linalg
    from bench_pump_ed import numpy_observables

    from jaxmotor.pump import EighSolver, PumpParams, hamiltonian, make_basis, solve

    rows = []
    for L, points in ((8, 8 if quick else 24), (10, 2 if quick else 4)):
        basis = make_basis(L, L // 2, 10)
        rng = np.random.default_rng(0)
        eps = 0.5 * rng.uniform(size=(points, L))
        params = PumpParams(omega=0.25, disorder=eps)
        first, run = _timed(lambda p=params: solve(p, basis, method="full").delta_n, repeats=1)
        # where the time goes: the bare batched eigh of the same matrices, jitted
        H = jax.jit(jax.vmap(lambda e: hamiltonian(PumpParams(omega=0.25, disorder=e), basis)))(jnp.asarray(eps))
        eigh = jax.jit(jax.vmap(lambda h: EighSolver.default().eigh(h)))
        _, eigh_time = _timed(lambda: eigh(H), repeats=1)
        t0 = time.perf_counter()
        for e in eps:
            Hn = np.asarray(hamiltonian(PumpParams(omega=0.25, disorder=e), basis))
            numpy_observables(Hn, basis, 0.25)
        scipy_loop = time.perf_counter() - t0
        t0 = time.perf_counter()
        scipy.linalg.eigh(np.asarray(H[0]))
        scipy_eigh_one = time.perf_counter() - t0
        rows.append({"L": L, "S": 10, "dim": basis.dim, "points": points, "jaxmotor_first_s": first,
                     "jaxmotor_run_s": run, "jaxmotor_eigh_only_s": eigh_time, "scipy_loop_s": scipy_loop,
                     "scipy_eigh_one_s": scipy_eigh_one, "speedup_vs_scipy_loop": scipy_loop / run})
        print(f"disorder L={L} (D={basis.dim}, {points} points): jaxmotor {run:.2f} s (eigh alone {eigh_time:.2f} s), "
              f"scipy loop {scipy_loop:.2f} s -> {scipy_loop / run:.2f}x", flush=True)
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
