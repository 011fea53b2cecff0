"""Throughput of the motor integrator: trajectories × steps per second, noise included.

    python benchmarks/bench_motor.py [--shapes 1024x10000,4096x2500,16384x625,65536x200] [--repeats 3]
                                     [--scaling] [--cases a,b] [--dtype float64]

    python benchmarks/bench_motor.py --cpu-devices 2   # jaxmotor on both cores of a 2-core CPU

Cases (dt = 0.01, K = 0.5, V = 1, I = 1, T = 0.1):
  (a) infinite Luttinger liquid, white noise
  (b) leads (tau = 1), ``paper`` noise (FFT moving-average filter of the exact step covariance)
Contenders, per shape (trajectories x steps): ``jaxmotor.motor.simulate`` with its default unit
normals (``LangevinSolver.normals="counter"``: SplitMix64 counters seeded from threefry keys) and with
``normals="jax"`` (``jax.random.normal``) for each PRNG implementation JAX offers (threefry2x32, rbg,
unsafe_rbg); "just the normals": the time JAX needs to draw each run's unit normals alone (the same
keys, per-block ``fold_in`` and generator as the run, jitted); a vectorized numpy implementation of
the same scheme (a Python loop over steps, numpy arrays over trajectories, numpy's PCG64 normals,
numpy FFT for the colored noise); and, for (a) at the first shape, diffrax (Euler,
UnsafeBrownianPath, vmapped over trajectories). Every contender is compiled / warmed up first, then
timed in turn (round robin) over ``repeats`` rounds (best), with ``block_until_ready``. Ratios:
numpy / the default run and numpy / best JAX (want >= 1.5), and each JAX run over the normals it
draws (want <= 1.5); case (b) skips runs shorter than its filter's half width (their cost is the
filter's history before t = 0). ``--scaling`` adds the time per trajectory x step over runs from
100 steps and from one trajectory up (the cost follows the work: no fixed block length).
Writes benchmarks/results/motor_throughput_<backend>.json with the machine, CPU count and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import jax

# --cpu-devices N splits the host CPU into N JAX devices (the batching driver then shards the
# trajectories over them, one thread each); it must be set before JAX first touches a device
if "--cpu-devices" in sys.argv:
    jax.config.update("jax_num_cpu_devices", int(sys.argv[sys.argv.index("--cpu-devices") + 1]))
import jax.numpy as jnp
import numpy as np

import jaxmotor  # noqa: F401  (float64)
from jaxmotor.motor import LangevinSolver, MotorParams, noise_plan, simulate
from jaxmotor.motor._langevin import phi_functions
from jaxmotor.motor._noise import noise_filter, unit_normals
from jaxmotor.store import provenance

from _results import results_path, write_record

DT, K, V, INERTIA, T = 0.01, 0.5, 1.0, 1.0, 0.1
CASES = {
    "a_infinite_LL_white": MotorParams(K=K, V=V, inertia=INERTIA, temperature=T, noise="white"),
    "b_leads_paper": MotorParams(K=K, V=V, inertia=INERTIA, temperature=T, noise="paper", tau=1.0),
}


def _best(fns, repeats):
    """Best wall time of each function after a warm-up, timed in turn (round robin: the shared
    machine's speed drifts, alternating keeps the drift out of the ratios)."""
    for fn in fns:
        fn()  # compile / warm up
    times = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t0)
    return [min(t) for t in times]


def run_jax(params, trajectories, steps, impl, solver):
    key = jax.random.key(0, impl=impl)

    def fn():
        res = simulate(params, key, dt=DT, time=steps * DT, trajectories=trajectories, burn_in=0.0, solver=solver)
        return res.mean_velocity.block_until_ready()

    return fn


def run_normals(params, trajectories, steps, impl, solver):
    """Only the run's unit normals: per trajectory its key, per noise block ``fold_in(key, b + 1)``
    (and the colored noise's 2·half_width samples before t = 0), as ``simulate`` draws them with
    ``solver`` (its ``normals`` generator and dtype)."""
    plan = noise_plan(params, DT, steps=steps, max_chunk=solver.noise_chunk)
    full, rest = divmod(steps, plan.chunk)
    dtype, kind = solver.dtype, solver.normals

    @jax.jit
    def draw(keys):
        def one(key):
            head = unit_normals(jax.random.fold_in(key, 0), 2 * plan.half_width, dtype, kind)
            blocks = jax.vmap(lambda b: unit_normals(jax.random.fold_in(key, b + 1), plan.chunk, dtype, kind))(
                jnp.arange(full))
            last = unit_normals(jax.random.fold_in(key, full + 1), rest, dtype, kind)
            return head.sum() + blocks.sum() + last.sum()

        return jax.vmap(one)(keys)

    keys = jax.random.split(jax.random.key(0, impl=impl), trajectories)
    return lambda: draw(keys).block_until_ready()


def run_numpy(params, trajectories, steps):
    """The same scheme in numpy: exponential integrator, ring buffer of B = v + A, FFT-filtered noise."""
    plan = noise_plan(params, DT, steps=steps)
    g0 = 1 / (2 * np.pi * K)
    z = -g0 / INERTIA * DT
    phi1, phi2, _ = (float(f) for f in phi_functions(jnp.asarray(z)))
    decay, bias = np.exp(z), V / (2 * np.pi)
    r = float(params.reflection)
    m = max(plan.steps_per_round_trip, 1)
    generator = np.asarray(noise_filter(params, DT, plan))

    def fn():
        rng = np.random.default_rng(0)
        if plan.half_width == 0:
            xi = generator * rng.standard_normal((trajectories, steps))
        else:
            w = 2 * plan.half_width
            xi = np.empty((trajectories, steps))
            tail = rng.standard_normal((trajectories, w))
            for start in range(0, steps, plan.chunk):
                seq = np.concatenate([tail, rng.standard_normal((trajectories, plan.chunk))], axis=1)
                out = np.fft.irfft(np.fft.rfft(seq, axis=1) * generator, plan.fft, axis=1)[:, w:]
                n = min(plan.chunk, steps - start)
                xi[:, start:start + n] = out[:, :n]
                tail = seq[:, plan.chunk:]
        xi /= DT
        v = np.zeros(trajectories)
        theta = np.zeros(trajectories)
        A0 = np.zeros(trajectories)
        buf = np.zeros((m, trajectories))
        for k in range(steps):
            A1 = r * buf[(k + 1) % m] if params.leads else A0
            G0 = bias - 2 * g0 * A0 + xi[:, k]
            G1 = bias - 2 * g0 * A1 + xi[:, k]
            v1 = decay * v + DT / INERTIA * (phi1 * G0 + phi2 * (G1 - G0))
            theta += 0.5 * DT * (v + v1)
            if params.leads:
                buf[(k + 1) % m] = v1 + A1
            v, A0 = v1, A1
        return theta

    return fn


def run_diffrax(trajectories, steps):
    import diffrax

    g0 = 1 / (2 * np.pi * K)
    sigma = np.sqrt(2 * g0 * T)

    def drift(t, y, args):
        return jnp.stack([y[1], (V / (2 * np.pi) - g0 * y[1]) / INERTIA])

    def diffusion(t, y, args):
        return jnp.array([0.0, sigma / INERTIA])

    @jax.jit
    def solve(keys):
        def one(key):
            bm = diffrax.UnsafeBrownianPath(shape=(), key=key)
            terms = diffrax.MultiTerm(diffrax.ODETerm(drift), diffrax.ControlTerm(diffusion, bm))
            sol = diffrax.diffeqsolve(terms, diffrax.Euler(), 0.0, steps * DT, DT, jnp.zeros(2),
                                      saveat=diffrax.SaveAt(t1=True), max_steps=steps + 1,
                                      adjoint=diffrax.ForwardMode())
            return sol.ys[-1]

        return jax.vmap(one)(keys)

    keys = jax.random.split(jax.random.key(0), trajectories)
    return lambda: solve(keys).block_until_ready()


def _shapes(text):
    out = []
    for item in text.split(","):
        t, n = item.lower().split("x")
        out.append((int(t), int(n)))
        if min(out[-1]) < 1:
            raise ValueError(text)
    return out


IMPLS = ("threefry2x32", "rbg", "unsafe_rbg")


def _contenders(solver):
    """The JAX runs: the default counter normals (threefry keys), and JAX's normals with each key
    implementation, as (name, key implementation, solver)."""
    jax_normals = LangevinSolver(**{**_settings(solver), "normals": "jax"})
    return ([("counter", "threefry2x32", LangevinSolver(**{**_settings(solver), "normals": "counter"}))]
            + [(f"jax_normals_{impl}", impl, jax_normals) for impl in IMPLS])


def _settings(solver):
    return {name: getattr(solver, name) for name in ("unroll", "segment", "noise_chunk", "trajectory_chunk",
                                                     "dtype", "normals")}


def shape_row(params, trajectories, steps, repeats, with_diffrax, solver):
    contenders = _contenders(solver)
    runs = [run_jax(params, trajectories, steps, impl, s) for _, impl, s in contenders]
    draws = [run_normals(params, trajectories, steps, impl, s) for _, impl, s in contenders]
    [times_numpy] = _best([run_numpy(params, trajectories, steps)], max(1, repeats // 2))
    # every JAX run and its normals in one round robin (the machine's speed drifts)
    timed = _best(runs + draws, repeats)
    times = {f"jax_{name}": t for (name, _, _), t in zip(contenders, timed)}
    times.update({f"normals_{name}": t for (name, _, _), t in zip(contenders, timed[len(runs):])})
    times["numpy"] = times_numpy
    if with_diffrax:
        [times["diffrax_euler"]] = _best([run_diffrax(trajectories, steps)], repeats)
    best_name = min((name for name, _, _ in contenders), key=lambda name: times[f"jax_{name}"])
    best = times[f"jax_{best_name}"]
    default = times[f"jax_{solver.normals if solver.normals == 'counter' else 'jax_normals_threefry2x32'}"]
    work = trajectories * steps
    row = {"trajectories": trajectories, "steps": steps, "seconds": times,
           "throughput_steps_per_s": {k: work / v for k, v in times.items()},
           "best_jax": best_name,
           "speedup_default_over_numpy": times["numpy"] / default,
           "speedup_best_jax_over_numpy": times["numpy"] / best,
           "best_jax_over_its_normals": best / times[f"normals_{best_name}"],
           "jax_over_its_normals": {name: times[f"jax_{name}"] / times[f"normals_{name}"] for name, _, _ in contenders},
           "noise_plan": noise_plan(params, DT, steps=steps)._asdict()}
    if with_diffrax:
        row["speedup_best_jax_over_diffrax"] = times["diffrax_euler"] / best
    return row


def scaling(params, repeats, solver, impl="threefry2x32"):
    """Seconds per trajectory x step: steps from 100 up at 4096 trajectories, trajectories from 1 up
    at 10^4 steps (the cost follows the work when these are flat, up to the fixed cost of a call)."""
    out = {}
    for label, shapes in (("steps_at_4096_trajectories", [(4096, s) for s in (100, 200, 1000, 4096, 4097, 10_000)]),
                          ("trajectories_at_10000_steps", [(t, 10_000) for t in (1, 16, 256, 4096)])):
        fns = [run_jax(params, t, s, impl, solver) for t, s in shapes]
        times = _best(fns, repeats)
        out[label] = [{"trajectories": t, "steps": s, "seconds": w, "ns_per_trajectory_step": 1e9 * w / (t * s)}
                      for (t, s), w in zip(shapes, times)]
        print(label, json.dumps(out[label]), flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", type=_shapes, default=_shapes("1024x10000,4096x2500,16384x625,65536x200"))
    parser.add_argument("--cases", default="a,b", help="comma list of the cases a, b (default both)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--scaling", action="store_true", help="also the cost per trajectory x step (case a)")
    parser.add_argument("--cpu-devices", type=int, default=None,
                        help="split the CPU into this many JAX devices (read before JAX starts; e.g. 2 on 2 cores)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--merge", action="store_true", help="keep the results of an existing file this run does "
                        "not measure (shapes, cases, scaling)")
    args = parser.parse_args()
    solver = LangevinSolver.default(dtype=args.dtype)
    wanted = [c.strip() for c in args.cases.split(",")]
    record = {"benchmark": "motor integrator throughput (trajectories x steps / s, noise included)",
              "dt": DT, "dtype": args.dtype, "solver": _settings(solver), "jax_device_count": jax.device_count(),
              "cpu_count": os.cpu_count(), "numpy_version": np.__version__, **provenance(),
              "note": "shared machine (2 cores, other processes running): ratios are timed in turn, round robin",
              "results": {}}
    try:
        import diffrax

        record["diffrax_version"] = diffrax.__version__
    except ImportError:
        diffrax = None
    out = results_path("motor_throughput", args.out)
    if args.merge and out.exists():  # keep what this run does not measure
        previous = json.loads(out.read_text())
        runs = previous.get("created_runs", [previous.get("created")])
        record = {**previous, **{k: v for k, v in record.items() if k != "results"},
                  "results": previous.get("results", {}), "created_runs": runs + [record["created"]]}
    for name, params in CASES.items():
        if name[0] not in wanted:
            continue
        rows = dict(record["results"].get(name, {}))
        for i, (trajectories, steps) in enumerate(args.shapes):
            if params.leads and steps < noise_plan(params, DT).half_width:
                # colored noise: the filter reaches 2·half_width steps back before t = 0 (1.5·10⁴ here), so a
                # short run draws mostly that history (and numpy materializes it: 8 GB at 65536 trajectories)
                print(name, f"{trajectories}x{steps}", "skipped: shorter than the filter's half width", flush=True)
                continue
            row = shape_row(params, trajectories, steps, args.repeats,
                            diffrax is not None and not params.leads and i == 0, solver)
            rows[f"{trajectories}x{steps}"] = row
            print(name, f"{trajectories}x{steps}", json.dumps({k: v for k, v in row.items() if k != "noise_plan"}),
                  flush=True)
            record["results"][name] = rows
            write_record(record, out)
    if args.scaling:
        record["scaling_a"] = scaling(CASES["a_infinite_LL_white"], args.repeats, solver)
        record.pop("scaling_a_threefry", None)
    write_record(record, out)
    print("wrote", out)


if __name__ == "__main__":
    main()
