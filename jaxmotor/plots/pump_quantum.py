"""Figures of the pump's real-time quantum dynamics (jaxmotor.pump.dynamics) and of the transport of
every eigenstate (jaxmotor/pump/_dynamics_eigenstates.py)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import finish


def quantum_dynamics(time, spin, charge, entropy, S: float, omega: float, *, meanfield_time=None,
                     meanfield_spin=None, meanfield_charge=None, title: str = "", path: str | Path | None = None):
    """Three panels: the charge Q(t) (left), the spin's path in the plane ⟨S_x⟩/S, ⟨S_y⟩/S (middle; the
    cross marks the origin) and the spin-fermion entanglement entropy with |⟨S⟩|/S (right). Time in
    bare periods ωt/2π. The mean-field run from the same start is overlaid (dashed) when given.

    Shapes: time (R,), spin (R, 3), charge and entropy (R,); meanfield_time (T,), meanfield_spin
    (T, 3), meanfield_charge (T,).
    """
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.0), gridspec_kw={"width_ratios": [1.3, 1, 1.3]})
    periods = omega * np.asarray(time) / (2 * np.pi)
    spin = np.asarray(spin)
    has_mf = meanfield_time is not None
    if has_mf:
        mf_periods = omega * np.asarray(meanfield_time) / (2 * np.pi)
        mf_spin = np.asarray(meanfield_spin)
    ax = axes[0]
    ax.plot(periods, charge, color="C0", label="quantum")
    if has_mf:
        ax.plot(mf_periods, meanfield_charge, "--", color="C1", label="mean field")
    ax.plot(periods, periods, ":", color="0.6", lw=0.8, label="one per period")
    ax.set_xlabel(r"$\omega t/2\pi$")
    ax.set_ylabel(r"charge $Q(t)$")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(spin[:, 0] / S, spin[:, 1] / S, color="C0", lw=0.8, label="quantum")
    ax.plot(spin[0, 0] / S, spin[0, 1] / S, "o", color="C0", ms=4)
    if has_mf:
        ax.plot(mf_spin[:, 0] / S, mf_spin[:, 1] / S, "--", color="C1", lw=0.8, label="mean field")
    ax.plot(0, 0, "k+", ms=10)
    ax.set_aspect("equal")
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel(r"$\langle S_x\rangle/S$")
    ax.set_ylabel(r"$\langle S_y\rangle/S$")
    ax.legend(fontsize=8, loc="lower right")
    ax = axes[2]
    ax.plot(periods, entropy, color="C2", label="entanglement entropy")
    ax.set_xlabel(r"$\omega t/2\pi$")
    ax.set_ylabel("entropy of the spin (nats)")
    twin = ax.twinx()
    twin.plot(periods, np.linalg.norm(spin, axis=-1) / S, color="C0", lw=0.8, label=r"$|\langle S\rangle|/S$")
    if has_mf:
        twin.plot(mf_periods, np.linalg.norm(mf_spin, axis=-1) / S, "--", color="C1", lw=0.8)
    twin.set_ylim(0, 1.05)
    twin.set_ylabel(r"$|\langle \mathbf{S}\rangle|/S$")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="center right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, path)


def spin_spreading(results, *, title: str = "", path: str | Path | None = None):
    """Quantum versus mean field for several spin sizes: |⟨S⟩ - S_mf|/S (left) and |Q - Q_mf| (right)
    versus time. ``results``: list of dicts with keys S, time, spin_deviation, charge_deviation."""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    for i, r in enumerate(results):
        axes[0].semilogy(r["time"], np.maximum(r["spin_deviation"], 1e-8), color=f"C{i}", label=f"S = {r['S']:g}")
        axes[1].semilogy(r["time"], np.maximum(r["charge_deviation"], 1e-8), color=f"C{i}", label=f"S = {r['S']:g}")
    axes[0].set_ylabel(r"$|\langle \mathbf{S}\rangle - \mathbf{S}_{\rm mf}|/S$")
    axes[1].set_ylabel(r"$|Q - Q_{\rm mf}|$")
    for ax in axes:
        ax.set_xlabel(r"$Jt$")
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, path)


def eigenstate_transport(E_prime, delta_n, Sz, S: float, fraction: dict, *, title: str = "",
                         path: str | Path | None = None):
    """Δn of every eigenstate versus its fermion energy E' = E + ω⟨S_z⟩ (left; colour ⟨S_z⟩/S, Δn
    clipped to [-1, 3]) and the fraction of pumping states (|Δn - 1| < tol) per window of E' (right,
    with the number of states per window)."""
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0))
    sc = axes[0].scatter(E_prime, np.clip(delta_n, -1, 3), c=np.asarray(Sz) / S, s=4, cmap="coolwarm", vmin=-1, vmax=1)
    axes[0].axhline(1.0, color="0.5", lw=0.8, ls="--")
    axes[0].set_xlabel(r"$E' = E + \omega\langle S_z\rangle$")
    axes[0].set_ylabel(r"$\Delta n = \bar J\, 2\pi/\tilde\omega$ (clipped)")
    fig.colorbar(sc, ax=axes[0], label=r"$\langle S_z\rangle/S$")
    edges = fraction["edges"]
    centers = 0.5 * (edges[1:] + edges[:-1])
    axes[1].bar(centers, np.nan_to_num(fraction["fraction"]), width=0.9 * np.diff(edges), color="C0")
    for x, n in zip(centers, fraction["count"]):
        axes[1].text(x, 0.02, str(int(n)), ha="center", fontsize=6, rotation=90)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_xlabel(r"window of $E'$")
    axes[1].set_ylabel(r"fraction pumping ($|\Delta n - 1| < $ tol)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, path)
