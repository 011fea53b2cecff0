"""Real-time quantum dynamics of the pump: matrix-free Krylov (jaxmotor) against scipy's expm_multiply.

    python benchmarks/bench_dynamics.py [--L 12] [--S 10] [--omega 0.3] [--periods 20] [--records 201]
                                        [--krylov-dim 60] [--repeats 3] [--big] [--skip-scipy] [--out FILE]

One run (N = L/2, η = 0.95, start along +y, T = periods·2π/ω, R records 0..T):

* jaxmotor: :func:`jaxmotor.pump._dynamics.dynamics` with ``method="krylov"`` — every observable at
  every record (spin moments, bond currents, entanglement entropy, energy, norm) and the charge
  integrated inside each Krylov step; the first call (compile + run) and then ``--repeats`` runs,
  the fastest reported (each run's time is kept).
* scipy: ``scipy.sparse.linalg.expm_multiply`` of the same H (CSR, built from the same gather tables
  and checked against jaxmotor's H·v) on the same record grid (``start=0, stop=T, num=R``); it only
  propagates the state (no observables); ``--repeats`` runs, the fastest reported. ⟨S_z⟩(T) of both
  is compared.

``--big`` adds L = 16 (D = 270270) over the same number of periods with jaxmotor only (one call:
compile + run), recording the peak memory (process RSS) — minutes on a 2-core CPU. The GPU part
(L = 20, D ≈ 3.9e6) is the command printed by ``--gpu-command`` (not run here):

    python benchmarks/bench_dynamics.py --L 20 --S 10 --periods 20 --records 201 --krylov-dim 60 \\
        --skip-scipy --out benchmarks/results/dynamics_gpu.json

Writes benchmarks/results/dynamics_<backend>.json with the machine and versions.
"""

from __future__ import annotations

import argparse
import resource
import time

import jax
import numpy as np
import scipy
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply

import jaxmotor  # noqa: F401  (float64)
from jaxmotor.pump import PumpParams, _dynamics as dy
from jaxmotor.store import provenance

from _results import results_path, write_record

GPU_COMMAND = ("python benchmarks/bench_dynamics.py --L 20 --S 10 --periods 20 --records 201 --krylov-dim 60 "
               "--skip-scipy --out benchmarks/results/dynamics_gpu.json")


def sparse_hamiltonian(params: PumpParams, tables: dy.HopTables) -> sp.csr_matrix:
    """H of Eq. 33 as a scipy CSR matrix from the gather tables (fermion-major, like ψ.reshape(-1))."""
    C, M, L = tables.n_configs, tables.n_spin, tables.L
    source, sign = np.asarray(tables.source), np.asarray(tables.sign)
    direction, stagger = np.asarray(tables.direction), np.asarray(tables.stagger)
    u = sign * np.exp(1j * float(params.flux) * direction)
    rows = np.repeat(np.arange(C)[:, None], L, axis=1)
    keep = sign != 0
    T0 = sp.csr_matrix((u[keep], (rows[keep], source[keep])), shape=(C, C))
    Ts = sp.csr_matrix(((u * stagger)[keep], (rows[keep], source[keep])), shape=(C, C))
    splus = np.asarray(tables.splus)
    sx = sp.diags([splus / 2, splus / 2], [1, -1])
    sy = sp.diags([-0.5j * splus, 0.5j * splus], [1, -1])
    sz = sp.diags(np.asarray(tables.m))
    g = float(params.eta) / tables.S
    P = sp.diags(np.asarray(tables.potential))
    H = (-float(params.omega) * sp.kron(sp.eye(C), sz) - 0.5 * float(params.J) * sp.kron(T0, sp.eye(M))
         - 0.5 * float(params.J) * g * sp.kron(Ts, sx) + float(params.Delta) * g * sp.kron(P, sy))
    return H.tocsr()


def peak_rss_gib() -> float:
    stats = jax.devices()[0].memory_stats() or {}
    if "peak_bytes_in_use" in stats:
        return stats["peak_bytes_in_use"] / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_jaxmotor(L: int, S: float, omega: float, periods: int, records: int, krylov_dim: int,
                 repeats: int = 2) -> dict:
    params = PumpParams(omega=omega, eta=0.95)
    t_max = periods * 2 * np.pi / omega
    config = dy.DynamicsConfig(method="krylov", krylov_dim=krylov_dim)
    plan = dy.make_plan(params, L, L // 2, S, t_max, records, config)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = dy.dynamics(params, L, L // 2, S, t_max=t_max, records=records, config=config)
        times.append(time.perf_counter() - t0)
    matvecs = (records - 1) * plan.substeps * plan.krylov_dim
    return {"first_call_s": times[0], "run_s": min(times[1:]) if repeats > 1 else None, "run_times_s": times[1:],
            "krylov_dim": plan.krylov_dim, "substeps": plan.substeps,
            "steps": (records - 1) * plan.substeps, "matvecs": matvecs, "error_bound": plan.error_bound,
            "error_estimate": float(res.error_estimate), "width_bound": plan.width_bound,
            "Sz_T": float(res.Sz[-1]), "charge_T": float(res.charge[-1]),
            "charge_per_revolution": float(res.charge_per_revolution),
            "energy_drift": float(np.ptp(res.energy)), "norm_drift": float(np.max(np.abs(res.norm - 1))),
            "peak_memory_gib": peak_rss_gib()}


def run_scipy(L: int, S: float, omega: float, periods: int, records: int, repeats: int = 1) -> dict:
    params = PumpParams(omega=omega, eta=0.95)
    tables = dy.make_hop_tables(L, L // 2, S)
    H = sparse_hamiltonian(params, tables)
    psi0 = np.asarray(dy.coherent_initial_state(params, tables)).astype(complex)
    check = np.max(np.abs(H @ psi0.ravel() - np.asarray(dy.apply_hamiltonian_free(params, tables, psi0)).ravel()))
    t_max = periods * 2 * np.pi / omega
    A = (-1j * H).tocsr()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        states = expm_multiply(A, psi0.ravel(), start=0.0, stop=t_max, num=records, endpoint=True)
        times.append(time.perf_counter() - t0)
    elapsed = min(times)
    last = states[-1].reshape(tables.n_configs, tables.n_spin)
    sz_t = float(np.sum(np.abs(last) ** 2 * np.asarray(tables.m)))
    return {"run_s": elapsed, "run_times_s": times, "nnz": int(H.nnz), "matvec_check": float(check), "Sz_T": sz_t,
            "norm_T": float(np.linalg.norm(last))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--L", type=int, default=12)
    parser.add_argument("--S", type=float, default=10.0)
    parser.add_argument("--omega", type=float, default=0.3)
    parser.add_argument("--periods", type=int, default=20)
    parser.add_argument("--records", type=int, default=201)
    parser.add_argument("--krylov-dim", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs of each (after jaxmotor's first, compiling call); the fastest is reported")
    parser.add_argument("--big", action="store_true", help="also L = 16 (D = 270270), jaxmotor only")
    parser.add_argument("--skip-scipy", action="store_true")
    parser.add_argument("--gpu-command", action="store_true", help="print the GPU command and exit")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.gpu_command:
        print(GPU_COMMAND)
        return
    L, S = args.L, args.S
    tables = dy.make_hop_tables(L, L // 2, S)
    record = {"benchmark": "bench_dynamics", **provenance(), "scipy_version": scipy.__version__,
              "L": L, "N": L // 2, "S": S, "dim": tables.dim, "omega": args.omega, "eta": 0.95,
              "periods": args.periods, "records": args.records, "start": "+y",
              "gpu_command": GPU_COMMAND}
    record["jaxmotor"] = run_jaxmotor(L, S, args.omega, args.periods, args.records, args.krylov_dim,
                                      repeats=1 + args.repeats)
    print("jaxmotor:", record["jaxmotor"], flush=True)
    if not args.skip_scipy:
        record["scipy_expm_multiply"] = run_scipy(L, S, args.omega, args.periods, args.records, args.repeats)
        print("scipy:", record["scipy_expm_multiply"], flush=True)
        record["speedup_run"] = record["scipy_expm_multiply"]["run_s"] / record["jaxmotor"]["run_s"]
        record["speedup_first_call"] = record["scipy_expm_multiply"]["run_s"] / record["jaxmotor"]["first_call_s"]
        record["Sz_T_difference"] = abs(record["scipy_expm_multiply"]["Sz_T"] - record["jaxmotor"]["Sz_T"])
    if args.big:
        big = dy.make_hop_tables(16, 8, S)
        record["big"] = {"L": 16, "N": 8, "dim": big.dim,
                         **run_jaxmotor(16, S, args.omega, args.periods, args.records, args.krylov_dim, repeats=1)}
        print("big:", record["big"], flush=True)
    path = results_path("dynamics", args.out)
    write_record(record, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
