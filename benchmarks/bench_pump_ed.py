"""Pump ED speed: the default Fig. 3 sweep and one L = 10 point, jaxmotor against dense baselines.

    python benchmarks/bench_pump_ed.py [--points 50] [--no-quspin] [--no-l10] [--out FILE]

Fig. 3 sweep: L = 8, N = 4, S = 10 (D = 1470), η = 0.95, ω/J = 0.05..2.5 (50 points), every
observable of the selected state. Contenders, in one process:
  * jaxmotor ``solve`` with ``method="sectors"`` (L blocks of 168-210) and ``method="full"`` (dense):
    the first call (compile + run) and the best of the next ``repeats`` calls (run only);
  * a dense numpy/scipy loop: per point, H from its Kronecker factors, ``scipy.linalg.eigh``, and
    the observables in numpy (selection, ω̃, currents, spin and particle-hole gaps, moments);
  * QuSpin: per point, H built by QuSpin's tensor basis and ``hamiltonian.eigh()``. Its basis order
    differs from ours, so the QuSpin time covers the ED only (no observables): a lower bound, which
    makes the ratio conservative for jaxmotor.
The contenders' Δn must agree (sanity check). L = 10 (D = 5292): one ω point, jaxmotor sectors
(compile + run, and run) against the dense ``scipy.linalg.eigh`` of the same H.
Writes benchmarks/results/pump_ed_<backend>.json with the machine, CPU count and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from fractions import Fraction

import numpy as np
import scipy.linalg

import jaxmotor  # noqa: F401  (float64)
from jaxmotor.pump import PumpParams, hamiltonian, make_basis, solve
from jaxmotor.pump._basis import forward_hop
from jaxmotor.store import provenance

from _results import results_path, write_record

L, N, S, ETA = 8, 4, 10, 0.95


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def numpy_observables(H, basis, omega):
    """Every observable of the selected state from a dense eigendecomposition, in numpy."""
    C, M = basis.n_configs, basis.n_spin
    sx, sy, sz = (np.asarray(a) for a in (basis.sx, basis.sy, basis.sz))
    evals, evecs = scipy.linalg.eigh(H)
    weights = np.abs(evecs.reshape(C, M, -1)) ** 2
    selection = evals + omega * np.einsum("cmn,m->n", weights, np.real(np.diag(sz)))
    n = int(np.argmin(selection))
    psi = evecs[:, n].reshape(C, M)
    energy = evals[n]
    lines = np.abs(evecs.conj().T @ (psi @ sx.T).reshape(-1)) ** 2
    gaps = evals - energy
    up = np.where(gaps > 1e-12, lines, 0)
    down = np.where(gaps < -1e-12, lines, 0)
    iu, idn = np.argmax(up), np.argmax(down)
    omega_tilde = (up[iu] * abs(gaps[iu]) + down[idn] * abs(gaps[idn])) / (up[iu] + down[idn])
    source, sign = np.asarray(basis.pair_source), np.asarray(basis.pair_sign)
    g = ETA / S
    currents = []
    for j in range(L):
        hop = forward_hop(source, sign, j)  # c†_j c_{j+1}
        a = hop.T - hop
        stagger = (-1.0) ** (j + 1)
        val = np.vdot(psi, a @ psi) + stagger * g * np.vdot(psi, a @ psi @ sx.T)
        currents.append(np.real(-1j * 0.5 * val))
    current = np.mean(currents)
    phi = (psi @ (sx + 1j * sy).T).reshape(-1)
    spin_gap = np.real(np.vdot(phi, H @ phi) / np.vdot(phi, phi)) - energy
    ph = np.full((L, L), np.nan)
    for l_ in range(L):
        for m in range(L):
            if l_ == m:
                continue
            op = np.zeros((C, C))
            op[np.arange(C), source[m, l_]] = sign[m, l_]
            x = (op @ psi).reshape(-1)
            norm = np.real(np.vdot(x, x))
            if norm > 1e-12:
                ph[l_, m] = np.real(np.vdot(x, H @ x)) / norm - energy
    moments = [np.real(np.vdot(psi, psi @ (s @ s).T)) for s in (sx, sy, sz)]
    return {"delta_n": current * 2 * np.pi / omega_tilde, "spin_gap": spin_gap,
            "ph_gap_min": np.nanmin(ph), "moments": moments}


def quspin_hamiltonian(omega):
    """H of the pump built by QuSpin (dense): S_x, S_y through S±."""
    from quspin.basis import spin_basis_1d, spinless_fermion_basis_1d, tensor_basis
    from quspin.operators import hamiltonian as qs_hamiltonian

    basis = tensor_basis(spinless_fermion_basis_1d(L, Nf=N), spin_basis_1d(1, S=str(Fraction(S)), pauli=0))
    g = ETA / S
    hop, hop_sp, hop_sm, dens_sp, dens_sm = [], [], [], [], []
    for j in range(L):
        k = (j + 1) % L
        sign = (-1.0) ** (j + 1)
        hop += [[-0.5, j, k], [-0.5, k, j]]
        coeff = -0.25 * g * sign
        hop_sp += [[coeff, j, k, 0], [coeff, k, j, 0]]
        hop_sm += [[coeff, j, k, 0], [coeff, k, j, 0]]
        dens_sp += [[g * sign / 2j, j, 0]]
        dens_sm += [[-g * sign / 2j, j, 0]]
    static = [["|z", [[-omega, 0]]], ["+-|", hop], ["+-|+", hop_sp], ["+-|-", hop_sm], ["n|+", dens_sp],
              ["n|-", dens_sm]]
    return qs_hamiltonian(static, [], basis=basis, dtype=np.complex128, check_herm=False, check_symm=False,
                          check_pcon=False)


def bench_fig3(points: int, repeats: int, with_quspin: bool, methods: tuple[str, ...] = ("sectors", "full")) -> dict:
    omega = np.arange(1, points + 1) * 0.05
    basis = make_basis(L, N, S)
    params = PumpParams(omega=omega, eta=ETA)
    out = {"L": L, "N": N, "S": S, "dim": basis.dim, "points": points}
    reference = None
    for method in methods:
        obs, first = _timed(lambda: solve(params, basis, method=method))
        runs = [_timed(lambda: solve(params, basis, method=method))[1] for _ in range(repeats)]
        out[f"jaxmotor_{method}"] = {"first_call_s": first, "run_s": min(runs), "compile_s": first - min(runs)}
        print(method, json.dumps(out[f"jaxmotor_{method}"]), flush=True)
        if reference is None:
            reference = obs.delta_n
        np.testing.assert_allclose(obs.delta_n, reference, atol=1e-6)

    def scipy_loop():
        return [numpy_observables(np.asarray(hamiltonian(PumpParams(omega=w, eta=ETA), basis)), basis, w)
                for w in omega]

    records, seconds = _timed(scipy_loop)
    np.testing.assert_allclose([r["delta_n"] for r in records], reference, atol=1e-6)
    out["scipy_loop_s"] = seconds
    print("scipy loop", seconds, flush=True)
    if with_quspin:
        def quspin_loop():
            return [quspin_hamiltonian(w).eigh()[0] for w in omega]

        spectra, seconds = _timed(quspin_loop)
        out["quspin_ed_only_s"] = seconds
    for method in methods:
        jm = out[f"jaxmotor_{method}"]
        for name in ("scipy_loop_s", "quspin_ed_only_s"):
            if name in out:
                key = name.removesuffix("_s")
                jm[f"speedup_vs_{key}_with_compile"] = out[name] / jm["first_call_s"]
                jm[f"speedup_vs_{key}_run_only"] = out[name] / jm["run_s"]
    return out


def bench_l10() -> dict:
    basis = make_basis(10, 5, 10)
    params = PumpParams(omega=0.5, eta=ETA)
    obs, first = _timed(lambda: solve(params, basis))
    _, run = _timed(lambda: solve(params, basis))
    H = np.asarray(hamiltonian(params, basis))
    _, dense = _timed(lambda: scipy.linalg.eigh(H))
    return {"L": 10, "N": 5, "S": 10, "dim": basis.dim, "omega": 0.5, "delta_n": float(obs.delta_n),
            "jaxmotor_sectors_first_call_s": first, "jaxmotor_sectors_run_s": run,
            "scipy_dense_eigh_s": dense, "speedup_run_only": dense / run, "speedup_with_compile": dense / first}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-quspin", action="store_true")
    parser.add_argument("--no-l10", action="store_true")
    parser.add_argument("--methods", default="sectors,full", help="jaxmotor methods to time")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    record = {"benchmark": "pump ED: Fig. 3 sweep (all observables) and one L=10 point",
              "cpu_count": os.cpu_count(), "numpy_version": np.__version__, "scipy_version": scipy.__version__,
              **provenance()}
    try:
        import quspin

        record["quspin_version"] = quspin.__version__
    except ImportError:
        args.no_quspin = True
    record["fig3"] = bench_fig3(args.points, args.repeats, not args.no_quspin, tuple(args.methods.split(",")))
    print(json.dumps(record["fig3"], indent=1))
    if not args.no_l10:
        record["l10_point"] = bench_l10()
        print(json.dumps(record["l10_point"], indent=1))
    record["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    out = results_path("pump_ed", args.out)
    write_record(record, out)
    print("wrote", out)


if __name__ == "__main__":
    main()
