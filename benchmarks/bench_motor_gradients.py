"""Cost of pathwise gradients through the motor ensemble, and of the design optimization.

    python benchmarks/bench_motor_gradients.py [--trajectories 128] [--repeats 3]
                                               [--parts gradient,memory,design] [--unroll 1,8] [--merge]

(a) gradient versus forward run: ``jax.grad`` of the ensemble-mean output power with respect to all
    scalar parameters (F_load, V, K, I, T; and a₁, b₁ for the θ-dependent load), against the forward
    simulation alone, for a constant load and a θ-dependent one (white noise, no leads; ``paper``
    noise with leads), dt = 0.05, 10⁴ steps, for 128 and 1024 trajectories (``--gradient-ensembles``;
    with 128 a constant-load forward run takes 10-30 ms and per-step overhead dominates both runs).
    Compiled first, then timed in turn (round robin), best of ``repeats`` rounds (at least 2 s of
    rounds), block_until_ready; wall and process CPU time. The gradient with and without the
    innermost segment checkpoints; ``--unroll`` repeats (a) for several numbers of steps per scan
    iteration (recorded under ``..._unroll_<n>``).
(b) backward-pass memory: XLA's compiled ``memory_analysis()`` (temporary buffers) of the forward
    and of the gradient function, for 10⁴ and 10⁵ steps. Each noise block of ``chunk`` steps is
    checkpointed (its residual: the carry and the noise filter's tail of 2·half_width white samples
    per trajectory), with checkpointed 64-step segments inside (CPU) and every step a checkpoint
    (its residual: the step's inputs): the backward memory is one block's working set plus
    (carry + tail) per block — constant in the steps for white noise, growing by the tail per block
    for colored noise.
(c) part 3 of the design issue: maximize the output power over a constant load from 3 random starts
    (white noise, T = 0.01, with and without leads, L-BFGS as in tests/motor/test_design.py): time
    per optimizer step (value_and_grad) and total wall time to converge (|∇| < 1e-9), F*, P*, η
    against V/4π, Eq. 41 and 1/2.
Writes benchmarks/results/motor_gradients_cpu.json (or _<backend>) with the machine and versions,
after each part (a run stopped by a time limit keeps the parts it finished); with ``--merge`` the
parts of an existing file that this run does not measure are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxmotor  # noqa: F401  (float64)
from jaxmotor.motor import LangevinSolver, MotorParams, closed_forms as cf, noise_plan, simulate
from jaxmotor.motor._design import ensemble, power_objective, simulate_design
from jaxmotor.optimize import optimize
from jaxmotor.store import provenance

from _results import results_path, write_record

DT = 0.05
CASES = {"infinite_LL_white": dict(tau=None, noise="white"), "leads_paper": dict(tau=2.0, noise="paper")}


def _best(fns, repeats, min_total_s=2.0):
    """Best wall and CPU (process) time of each function, after a warm-up, timed in turn (round
    robin) for ``repeats`` rounds or as many as fill ``min_total_s``: the machine's speed drifts by
    tens of percent within minutes, and alternating the contenders keeps that out of their ratios
    (a 10 ms forward run needs many rounds for a stable minimum). The CPU time is reported too: it
    is less sensitive to other processes on a shared machine."""
    t0 = time.perf_counter()
    for fn in fns:
        fn()
    rounds = max(repeats, int(min_total_s / max(time.perf_counter() - t0, 1e-6)))
    wall, cpu = [[] for _ in fns], [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[i].append(time.perf_counter() - t0)
            cpu[i].append(time.process_time() - c0)
    return [(min(w), min(c)) for w, c in zip(wall, cpu)]


def _solver(base: LangevinSolver, **changes) -> LangevinSolver:
    """``base`` with some layout settings replaced (``segment``: steps per innermost checkpoint;
    ``unroll``: steps per scan iteration); the solver is a static argument, so each compiles anew."""
    return LangevinSolver(**{"unroll": base.unroll, "segment": base.segment, "noise_chunk": base.noise_chunk,
                             "trajectory_chunk": base.trajectory_chunk, "dtype": base.dtype,
                             "normals": base.normals, **changes})


def _power_fn(case, harmonics, steps, trajectories, solver=None):
    x0 = jnp.array([0.05, 1.0, 0.5, 1.0, 0.1, 0.01, 0.01])

    def params(x):
        extra = dict(load_cos=x[5:6], load_sin=x[6:7]) if harmonics else {}
        return MotorParams(F_load=x[0], V=x[1], K=x[2], inertia=x[3], temperature=x[4], **case, **extra)

    plan = noise_plan(params(x0), DT)
    key = jax.random.key(0)

    def power(x):
        return simulate(params(x), key, dt=DT, time=steps * DT, trajectories=trajectories, burn_in=10.0,
                        plan=plan, solver=solver).power_out

    return power, x0


def gradient_cost(trajectories, repeats, solver):
    """Forward and gradient times; the gradient with the innermost segment checkpoints of the record
    scan (64 steps) and without them (one checkpoint per noise block only)."""
    out = {}
    segment = solver.segment
    for name, case in CASES.items():
        for harmonics in (False, True):
            power, x0 = _power_fn(case, harmonics, 10_000, trajectories, solver)
            compiled = {"forward": jax.jit(power).lower(x0).compile()}
            for size in dict.fromkeys((64, None, segment)):  # the backend's default is one of the two
                grad_power, _ = _power_fn(case, harmonics, 10_000, trajectories, _solver(solver, segment=size))
                compiled[size] = jax.jit(jax.grad(grad_power)).lower(x0).compile()
            times = dict(zip(compiled, _best([lambda f=f: jax.block_until_ready(f(x0)) for f in compiled.values()],
                                             repeats)))
            (w_fwd, c_fwd) = times["forward"]
            row = {"forward_wall_s": w_fwd, "forward_cpu_s": c_fwd}
            for label, size in (("_with_segment_checkpoints", 64), ("_without_segment_checkpoints", None),
                                ("", segment)):
                (w, c) = times[size]
                row.update({f"gradient{label}_wall_s": w, f"gradient{label}_cpu_s": c,
                            f"gradient{label}_over_forward_wall": w / w_fwd,
                            f"gradient{label}_over_forward_cpu": c / c_fwd})
            label = f"{name}_{'harmonic' if harmonics else 'constant'}_load"
            out[label] = row
            print(label, json.dumps(row), flush=True)
    return out


def backward_memory(trajectories):
    """Temporary buffers of the compiled forward and gradient (harmonic load, all parameters), the
    gradient also without the innermost segment checkpoints."""
    out = {}
    solver = LangevinSolver.default()
    for name, case in CASES.items():
        for steps in (10_000, 100_000):
            mem = {}
            for label, grad, size in (("forward", False, solver.segment), ("gradient", True, solver.segment),
                                      ("gradient_without_segment_checkpoints", True, None)):
                power, x0 = _power_fn(case, True, steps, trajectories, _solver(solver, segment=size))
                fn = jax.grad(power) if grad else power
                analysis = jax.jit(fn).lower(x0).compile().memory_analysis()
                mem[f"{label}_temp_bytes"] = int(analysis.temp_size_in_bytes)
            out[f"{name}_{steps}_steps"] = {"steps": steps, "trajectories": trajectories, **mem}
            print(name, steps, mem, flush=True)
    return out


def design_convergence():
    V, K = 1.0, 0.5
    settings = dict(dt=0.05, time=300.0, trajectories=128)
    out = {}
    for name, tau in (("infinite_LL", None), ("leads", 2.0)):
        leads = tau is not None
        base = MotorParams(K=K, V=V, inertia=0.5, temperature=0.01, noise="white", tau=tau)
        objective = power_objective(base, **settings)
        key = jax.random.key(1)
        step = jax.jit(jax.value_and_grad(lambda d: objective(d, key)))
        d0 = {"F_load": jnp.asarray(0.05)}
        [(t_step, c_step)] = _best([lambda: jax.block_until_ready(step(d0))], 3)
        runs = []
        for start in V / (4 * np.pi) * np.random.default_rng(7).uniform(0.3, 1.7, 3):
            t0 = time.perf_counter()
            result = optimize(objective, {"F_load": float(start)}, maximize=True, key=key, steps=40, gtol=1e-9,
                              optimizer=optax.lbfgs(learning_rate=1.0, linesearch=None))
            runs.append({"start": float(start), "F_load": result.params["F_load"], "iterations": result.iterations,
                         "converged": result.converged, "wall_s": time.perf_counter() - t0})
        found = runs[0]["F_load"]
        res = simulate_design(base, {"F_load": jnp.asarray(found)}, key, ensemble(base, **settings))
        out[name] = {
            "seconds_per_step_value_and_grad": t_step, "cpu_seconds_per_step": c_step,
            "total_wall_s_all_starts": sum(r["wall_s"] for r in runs), "runs": runs,
            "F_found": found, "F_closed_form": float(cf.max_power_load(V)),
            "F_relative_error": found / float(cf.max_power_load(V)) - 1,
            "P_found": float(res.power_out), "P_err": float(res.power_out_err),
            "P_closed_form_eq41": float(cf.max_power(V, K, leads)),
            "efficiency_found": float(res.efficiency), "efficiency_closed_form": cf.efficiency_at_max_power(),
            "settings": {**settings, "K": K, "V": V, "inertia": 0.5, "temperature": 0.01, "noise": "white",
                         "tau": tau},
        }
        print(name, json.dumps(out[name]), flush=True)
    return out


def _positive_ints(text: str) -> list[int]:
    """``"128,1024"`` -> [128, 1024] (argparse turns the ValueError into a one-line error, exit 2)."""
    values = [int(v) for v in text.split(",")]
    if not values or min(values) < 1:
        raise ValueError(text)
    return values


def _positive_int(text: str) -> int:
    """One integer >= 1 (a bad value: one-line argparse error, exit 2)."""
    [value] = _positive_ints(text)
    return value


PARTS = ("gradient", "memory", "design")


def _parts(text: str) -> list[str]:
    """``"design,gradient"`` -> ["design", "gradient"]; an unknown part is a one-line argparse error."""
    parts = text.split(",")
    if any(p not in PARTS for p in parts):
        raise ValueError(text)
    return parts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trajectories", type=_positive_int, default=128)
    parser.add_argument("--gradient-ensembles", default=[128, 1024], type=_positive_ints,
                        help="trajectory counts at which (a) is measured (small ensembles: per-step overhead)")
    parser.add_argument("--repeats", type=_positive_int, default=3)
    parser.add_argument("--unroll", default=None, type=_positive_ints,
                        help="measure (a) for these Langevin steps per scan iteration (default: the backend's)")
    parser.add_argument("--parts", default=list(PARTS), type=_parts,
                        help=f"comma-separated parts to run, in this order (default: {','.join(PARTS)})")
    parser.add_argument("--out", default=None)
    parser.add_argument("--merge", action="store_true",
                        help="keep the other parts of an existing results file (their runs listed in created_runs)")
    args = parser.parse_args()
    record = {"benchmark": "pathwise gradients through the motor ensemble and design optimization",
              "dt": DT, "dtype": "float64", "cpu_count": os.cpu_count(), "trajectories": args.trajectories,
              "optax_version": optax.__version__, **provenance()}
    out = results_path("motor_gradients", args.out)
    if args.merge and out.exists():
        previous = json.loads(out.read_text())
        runs = previous.get("created_runs", [previous.get("created")])
        record = {**previous, **record, "created_runs": runs + [record["created"]]}
    for part in args.parts:  # the record is written after each part: a stopped run keeps the finished ones
        if part == "gradient":
            default = LangevinSolver.default()
            for unroll in args.unroll or [default.unroll]:
                key = "gradient_cost_10000_steps" + ("" if unroll == default.unroll else f"_unroll_{unroll}")
                record[key] = {f"{n}_trajectories": gradient_cost(n, args.repeats, _solver(default, unroll=unroll))
                               for n in args.gradient_ensembles}
                write_record(record, out)
        elif part == "memory":
            record["backward_memory"] = backward_memory(args.trajectories)
        else:
            record["design_max_power"] = design_convergence()
        write_record(record, out)
        print("wrote", part, "to", out, flush=True)


if __name__ == "__main__":
    main()
