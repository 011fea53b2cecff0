"""Figures of the pump's mean-field dynamics and topology (pump paper Sec. IV, docs/physics.md §1)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import finish


def meanfield_transport(omega, S_values, charge, encircles, omega_min, *, eta: float, N: int, title: str = "",
                        path: str | Path | None = None):
    """Charge per revolution versus ω (left) and versus ωS (right: the lower transition collapses,
    ω_min ∝ 1/S), one curve per spin length. Open symbols: the spin did not encircle the origin
    (charge per bare period 2π/ω plotted there as 0). Dotted: the measured ω_min; dashed: Eq. 20's
    bound ηN/S; grey: Eq. 21's 2η.

    Shapes: omega (n,), S_values (s,), charge and encircles (s, n), omega_min (s,).
    """
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    for i, S in enumerate(np.atleast_1d(S_values)):
        color = f"C{i}"
        enc = np.asarray(encircles[i], dtype=bool)
        q = np.where(enc, charge[i], 0.0)
        for ax, x in ((axes[0], omega), (axes[1], omega * S)):
            ax.plot(x[enc], q[enc], "o-", ms=3, lw=1, color=color, label=f"S = {S:g}")
            ax.plot(x[~enc], q[~enc], "o", ms=4, mfc="none", color=color)
        if np.isfinite(omega_min[i]):
            axes[0].axvline(omega_min[i], color=color, ls=":", lw=1)
            axes[1].axvline(omega_min[i] * S, color=color, ls=":", lw=1)
        axes[0].axvline(eta * N / S, color=color, ls="--", lw=0.8)
    axes[0].axvline(2 * eta, color="0.5", lw=0.8)
    axes[0].set_xlabel(r"$\omega/J$  (dotted: $\omega_{\min}$, dashed: Eq. 20 $\eta N/S$, grey: Eq. 21 $2\eta$)",
                       fontsize=8)
    axes[1].set_xlabel(r"$\omega S/J$ (zoom on the lower transition)")
    finite = np.asarray(omega_min)[np.isfinite(omega_min)] * np.asarray(S_values)[np.isfinite(omega_min)]
    if finite.size:
        axes[1].set_xlim(0, 3 * finite.max())
    for ax in axes:
        ax.axhline(1.0, color="0.7", lw=0.6, ls="--")
        ax.set_ylabel(r"charge per revolution $\Delta n$")
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, path)


def spin_trajectories(time, spin, S: float, omega, *, title: str = "", path: str | Path | None = None):
    """Mean-field spin trajectories: in-plane projection (S_x/S, S_y/S) (left; the cross marks the
    origin, which the spin encircles in the pumping phase) and S_z/S versus time in bare periods
    ωt/2π (right). time: (m, T), spin: (m, T, 3), omega: (m,)."""
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.4), gridspec_kw={"width_ratios": [1, 1.4]})
    for i, (t, traj, w) in enumerate(zip(np.asarray(time), np.asarray(spin), np.asarray(omega))):
        label = rf"$\omega/J = {w:.3g}$"
        axes[0].plot(traj[:, 0] / S, traj[:, 1] / S, lw=0.8, color=f"C{i}", label=label)
        axes[0].plot(traj[0, 0] / S, traj[0, 1] / S, "o", ms=4, color=f"C{i}")
        axes[1].plot(w * t / (2 * np.pi), traj[:, 2] / S, lw=0.8, color=f"C{i}", label=label)
    axes[0].plot(0, 0, "k+", ms=10)
    axes[0].set_aspect("equal")
    axes[0].set_xlim(-1.05, 1.05)
    axes[0].set_ylim(-1.05, 1.05)
    axes[0].set_xlabel(r"$S_x/S$")
    axes[0].set_ylabel(r"$S_y/S$")
    axes[1].set_xlabel(r"$\omega t/2\pi$")
    axes[1].set_ylabel(r"$S_z/S$")
    axes[1].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, path)


def chern_and_bands(eta_scan, chern_scan, gap_scan, gap_closed, k, phi, gap_grid, lattice_k, *, eta: float,
                    chern: int, title: str = "", path: str | Path | None = None):
    """Left: FHS Chern number and minimum band gap versus η (line: the closed form of Eq. 27).
    Right: the gap 2E(k, φ) over the torus for the chosen η, with the L-site ring's momenta
    k = 4πn/L marked. Shapes: eta_scan, chern_scan, gap_scan, gap_closed (n,); gap_grid (len(phi), len(k))."""
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    ax = axes[0]
    ax.plot(eta_scan, chern_scan, "s", ms=4, color="tab:blue", label="Chern number (FHS)")
    ax.set_xlabel(r"$\eta$")
    ax.set_ylabel("Chern number of the lower band", color="tab:blue")
    ax.set_ylim(-1.5, 1.5)
    twin = ax.twinx()
    twin.plot(eta_scan, gap_closed, "-", color="0.5", lw=1, label="closed form")
    twin.plot(eta_scan, gap_scan, ".", color="tab:red", label="grid minimum")
    twin.set_ylabel(r"min gap $2\mathcal{E}/J$", color="tab:red")
    twin.legend(fontsize=8, loc="lower right")
    mesh = axes[1].pcolormesh(k, phi, gap_grid, shading="auto", cmap="viridis")
    for kk in lattice_k:
        axes[1].axvline(kk, color="w", lw=0.6, ls=":")
    fig.colorbar(mesh, ax=axes[1], label=r"$2\mathcal{E}(k,\phi)/J$")
    axes[1].set_xlabel(r"$k$ (dotted: ring momenta $4\pi n/L$)")
    axes[1].set_ylabel(r"$\phi$")
    axes[1].set_title(rf"$\eta = {eta:g}$, $C = {chern:+d}$", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, path)
