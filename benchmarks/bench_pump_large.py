"""Pump ED beyond the paper's size: one ω point at L = 12, 14, ... in symmetry sectors, per eigh solver.

    python benchmarks/bench_pump_large.py [--L 12,14] [--S 10] [--omega 0.5] [--solvers qr,jacobi]
                                          [--single-call] [--out FILE]

For each L (N = L/2, S = 10, η = 0.95, ω/J = 0.5) and each ``eigh`` solver the backend has
(CPU: LAPACK; GPU: cuSOLVER ``qr`` = syevd and ``jacobi`` = syevj, :mod:`jaxmotor.pump._linalg`):
the first ``solve`` (compile + run), a second one (run only), Δn, whether any NaN came back, and the
peak memory (GPU: the device allocator's peak; CPU: the process's peak RSS). The fastest solver
without NaN is the one to make the backend's default.

NaN probe: complex128 ``eigh`` of random Hermitian matrices given by their lower triangle only
(upper triangle zeroed, ``symmetrize_input=False``) — the case that has returned NaN on CUDA in some
JAX versions — for each solver, at the sector sizes of the run.
Writes benchmarks/results/pump_large_<backend>.json with the machine and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxmotor  # noqa: F401  (float64)
from jaxmotor.pump import EighSolver, PumpParams, make_basis, solve
from jaxmotor.pump._linalg import _decompose
from jaxmotor.pump._sectors import make_sectors
from jaxmotor.store import provenance

from _results import results_path, write_record


def solvers() -> list[str]:
    return {"cpu": ["lapack"], "gpu": ["qr", "jacobi"]}.get(jax.default_backend(), ["auto"])


def peak_memory_gib() -> float:
    stats = jax.devices()[0].memory_stats() or {}
    if "peak_bytes_in_use" in stats:
        return stats["peak_bytes_in_use"] / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def nan_probe(size: int, algorithm: str, count: int = 4) -> dict:
    rng = np.random.default_rng(size)
    a = rng.normal(size=(count, size, size)) + 1j * rng.normal(size=(count, size, size))
    h = a + np.conj(np.swapaxes(a, -1, -2))
    lower = jnp.asarray(np.tril(h))
    vals, _ = jax.jit(lambda m: _decompose(m, algorithm))(lower)
    vals = np.asarray(vals)
    ref = np.linalg.eigvalsh(h)
    return {"size": size, "any_nan": bool(np.isnan(vals).any()),
            "max_abs_error": float(np.nanmax(np.abs(vals - ref)))}


def bench_point(L: int, S: float, omega: float, algorithm: str, rerun: bool) -> dict:
    t0 = time.perf_counter()
    basis = make_basis(L, L // 2, S)
    sectors = make_sectors(basis)
    setup = time.perf_counter() - t0
    params = PumpParams(omega=omega, eta=0.95)
    t0 = time.perf_counter()
    obs = solve(params, basis, method="sectors", solver=EighSolver(algorithm))
    first = time.perf_counter() - t0
    run = None
    if rerun:
        t0 = time.perf_counter()
        obs = solve(params, basis, method="sectors", solver=EighSolver(algorithm))
        run = time.perf_counter() - t0
    return {"L": L, "N": L // 2, "S": S, "dim": basis.dim, "sector_size": sectors.size, "omega": omega,
            "eigh": algorithm, "setup_s": setup, "first_call_s": first, "run_s": run,
            "delta_n": float(obs.delta_n), "E": float(obs.E), "omega_tilde": float(obs.omega_tilde),
            "any_nan": bool(np.isnan(obs.E) or np.isnan(obs.delta_n)), "peak_memory_gib": peak_memory_gib()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_sizes = "10" if jax.default_backend() == "cpu" else "12,14"
    parser.add_argument("--L", default=default_sizes, help="comma-separated ring sizes")
    parser.add_argument("--S", type=float, default=10.0)
    parser.add_argument("--omega", type=float, default=0.5)
    parser.add_argument("--solvers", default=None, help="comma-separated eigh solvers (default: all of the backend)")
    parser.add_argument("--single-call", action="store_true", help="time the first call only (large L)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    chosen = args.solvers.split(",") if args.solvers else solvers()
    record = {"benchmark": "pump ED in symmetry sectors, one omega point per L and eigh solver",
              "cpu_count": os.cpu_count(), **provenance(), "points": [], "nan_probe": []}
    out = results_path("pump_large", args.out)
    for L in (int(x) for x in args.L.split(",")):
        for algorithm in chosen:
            row = bench_point(L, args.S, args.omega, algorithm, rerun=not args.single_call)
            record["points"].append(row)
            print(json.dumps(row), flush=True)
            probe = nan_probe(row["sector_size"], algorithm)
            record["nan_probe"].append({"eigh": algorithm, **probe})
            print(json.dumps(record["nan_probe"][-1]), flush=True)
            write_record(record, out)  # finished rows survive a timeout
    print("wrote", out)


if __name__ == "__main__":
    main()
