"""Throughput of the motor integrator: trajectories × steps per second, noise generation included.

    python benchmarks/bench_motor.py [--trajectories 1024] [--steps 10000] [--repeats 3]

Cases (float64, dt = 0.01, K = 0.5, V = 1, I = 1, T = 0.1):
  (a) infinite Luttinger liquid, white noise
  (b) leads (tau = 1), ``paper`` noise (FFT moving-average filter of the exact step covariance)
Contenders: ``jaxmotor.motor.simulate`` with each PRNG implementation JAX offers (threefry2x32,
rbg, unsafe_rbg); a vectorized numpy implementation of the same scheme (a Python loop over steps,
numpy arrays over trajectories, numpy's PCG64 normals, numpy FFT for the colored noise); and, for
(a), diffrax (Euler, UnsafeBrownianPath, vmapped over trajectories). Every contender is compiled /
warmed up first, then timed over ``repeats`` runs (best), with ``block_until_ready``.
Writes benchmarks/results/motor_throughput_<backend>.json with the machine, CPU count and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxmotor  # noqa: F401  (float64)
from jaxmotor.motor import MotorParams, noise_plan, simulate
from jaxmotor.motor.langevin import phi_functions
from jaxmotor.motor.noise import noise_filter
from _results import results_path, write_record
from jaxmotor.store import provenance

DT, K, V, INERTIA, T = 0.01, 0.5, 1.0, 1.0, 0.1
CASES = {
    "a_infinite_LL_white": MotorParams(K=K, V=V, inertia=INERTIA, temperature=T, noise="white"),
    "b_leads_paper": MotorParams(K=K, V=V, inertia=INERTIA, temperature=T, noise="paper", tau=1.0),
}


def _best(fn, repeats):
    fn()  # compile / warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run_jax(params, trajectories, steps, impl):
    key = jax.random.key(0, impl=impl)

    def fn():
        res = simulate(params, key, dt=DT, time=steps * DT, trajectories=trajectories, burn_in=0.0)
        return res.mean_velocity.block_until_ready()

    return fn


def run_numpy(params, trajectories, steps):
    """The same scheme in numpy: exponential integrator, ring buffer of B = v + A, FFT-filtered noise."""
    plan = noise_plan(params, DT)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trajectories", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    work = args.trajectories * args.steps
    results = {}
    for name, params in CASES.items():
        timings = {f"jax_{impl}": _best(run_jax(params, args.trajectories, args.steps, impl), args.repeats)
                   for impl in ("threefry2x32", "rbg", "unsafe_rbg")}
        timings["numpy"] = _best(run_numpy(params, args.trajectories, args.steps), 1)
        if not params.leads:
            timings["diffrax_euler"] = _best(run_diffrax(args.trajectories, args.steps), args.repeats)
        best_jax = min(v for k, v in timings.items() if k.startswith("jax_"))
        results[name] = {
            "seconds": timings,
            "throughput_steps_per_s": {k: work / v for k, v in timings.items()},
            "speedup_best_jax_over_numpy": timings["numpy"] / best_jax,
            **({"speedup_best_jax_over_diffrax": timings["diffrax_euler"] / best_jax} if not params.leads else {}),
            "noise_plan": noise_plan(params, DT)._asdict(),
        }
        print(name, json.dumps(results[name], indent=1))
    record = {"benchmark": "motor integrator throughput (trajectories x steps / s, noise included)",
              "trajectories": args.trajectories, "steps": args.steps, "dt": DT, "dtype": "float64",
              "cpu_count": os.cpu_count(), "numpy_version": np.__version__, **provenance(), "results": results}
    try:
        import diffrax

        record["diffrax_version"] = diffrax.__version__
    except ImportError:
        pass
    out = results_path("motor_throughput", args.out)
    write_record(record, out)
    print("wrote", out)


if __name__ == "__main__":
    main()
