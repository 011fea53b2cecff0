"""Figures 4-7 of the pump paper: phase diagram, spin correlations, disorder, particle-hole gap."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import finish


def phase_diagram(S, omega, delta_n, *, lower, upper, prefactor, eq20_prefactor, eq21, title: str = "",
                  path: str | Path | None = None):
    """Fig. 4: heat map of Δn over (ω/J, S); the measured transitions (where Δn crosses 1/2), the
    fitted lower law ω_min = a/S, Eq. 20's bound ηN/S and Eq. 21's 2η."""
    S, omega = np.asarray(S, dtype=float), np.asarray(omega, dtype=float)
    fig, ax = plt.subplots(figsize=(7.0, 4.8))
    mesh = ax.pcolormesh(omega, S, np.asarray(delta_n), shading="nearest", cmap="viridis", vmin=0.0, vmax=1.2)
    fig.colorbar(mesh, ax=ax, label=r"$\Delta n$ per period $2\pi/\tilde\omega$")
    ax.plot(lower, S, "o", mfc="none", color="w", ms=5, label=r"$\omega_{\min}$ ($\Delta n = 1/2$)")
    ax.plot(upper, S, "s", mfc="none", color="tab:orange", ms=5, label=r"upper transition")
    s_fine = np.linspace(S.min(), S.max(), 200)
    ax.plot(prefactor / s_fine, s_fine, "-", color="w", lw=1.2, label=rf"fit $\omega_{{\min}} = {prefactor:.2f}/S$")
    ax.plot(eq20_prefactor / s_fine, s_fine, "--", color="tab:red", lw=1.2,
            label=rf"Eq. 20: $\eta N/S = {eq20_prefactor:.2f}/S$")
    ax.axvline(eq21, color="tab:red", lw=1.2, ls=":", label=rf"Eq. 21: $2\eta = {eq21:.2f}$")
    ax.set_xlim(omega.min(), omega.max())
    ax.set_ylim(S.min() - 0.5, S.max() + 0.5)
    ax.set_xlabel(r"$\omega/J$")
    ax.set_ylabel(r"spin size $S$")
    ax.legend(fontsize=7, loc="upper right", framealpha=0.6)
    ax.set_title(title)
    fig.tight_layout()
    return finish(fig, path)


def spin_correlations(times, xx, yy, xy, omega, S, *, omega_tilde=None, title: str = "",
                      path: str | Path | None = None):
    """Fig. 5: ⟨S_x(t)S_x(0)⟩, ⟨S_y(t)S_y(0)⟩, ⟨S_x(t)S_y(0)⟩ in units of S² (real part solid,
    imaginary part dashed), one row per ω."""
    omega = np.atleast_1d(omega)
    fig, axes = plt.subplots(len(omega), 3, figsize=(11, 2.6 * len(omega)), sharex=True, squeeze=False)
    names = (r"$\langle S_x(t)S_x(0)\rangle/S^2$", r"$\langle S_y(t)S_y(0)\rangle/S^2$",
             r"$\langle S_x(t)S_y(0)\rangle/S^2$")
    for i, w in enumerate(omega):
        for j, (series, name) in enumerate(zip((xx, yy, xy), names)):
            ax = axes[i, j]
            c = np.asarray(series)[i] / S**2
            ax.plot(times, c.real, lw=0.8, color="tab:blue", label="Re")
            ax.plot(times, c.imag, lw=0.8, ls="--", color="tab:orange", label="Im")
            label = rf"({'abcdefghijklmnopqrstuvwxyz'[3 * i + j]}) $\omega/J = {w:g}$"
            if omega_tilde is not None:
                label += rf", $\tilde\omega = {np.asarray(omega_tilde)[i]:.4f}$"
            ax.set_title(label, fontsize=8)
            if i == 0:
                ax.text(0.5, 1.25, name, transform=ax.transAxes, ha="center", fontsize=9)
            if i == len(omega) - 1:
                ax.set_xlabel(r"$tJ$")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title, y=1.0)
    fig.tight_layout()
    return finish(fig, path)


def disorder(eps0, delta_n, mean, std, failed_fraction, *, title: str = "", path: str | Path | None = None):
    """Fig. 6: Δn versus ε₀ — every realization (dots), the mean ± standard deviation, and the
    fraction of failed realizations (|Δn| < 1/2, right axis)."""
    eps0 = np.asarray(eps0, dtype=float)
    delta_n = np.asarray(delta_n)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(np.repeat(eps0, delta_n.shape[-1]), delta_n.reshape(-1), ".", color="0.7", ms=3, label="realizations")
    ax.errorbar(eps0, mean, yerr=std, fmt="o-", color="tab:blue", ms=4, capsize=3, label=r"mean $\pm$ std")
    ax.axhline(1.0, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel(r"disorder strength $\epsilon_0/J$")
    ax.set_ylabel(r"$\Delta n$ per period $2\pi/\tilde\omega$")
    twin = ax.twinx()
    twin.plot(eps0, failed_fraction, "s:", color="tab:red", ms=4, label=r"failed ($|\Delta n| < 1/2$)")
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("failed fraction", color="tab:red")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="lower left")
    ax.set_title(title)
    fig.tight_layout()
    return finish(fig, path)


def particle_hole_gap(ph_gap, *, title: str = "", path: str | Path | None = None):
    """Fig. 7: the normalized particle-hole gap ΔE_{l,m}/J as an L×L heat map (hole at l, particle
    at m; blank where undefined)."""
    gap = np.ma.masked_invalid(np.asarray(ph_gap, dtype=float))
    L = gap.shape[0]
    fig, ax = plt.subplots(figsize=(5.4, 4.6))
    mesh = ax.pcolormesh(np.arange(1, L + 1), np.arange(1, L + 1), gap, shading="nearest", cmap="magma")
    fig.colorbar(mesh, ax=ax, label=r"$\Delta E_{p\text{-}h,l,m}/J$")
    ax.set_xlabel("particle site $m$")
    ax.set_ylabel("hole site $l$")
    ax.set_xticks(np.arange(1, L + 1))
    ax.set_yticks(np.arange(1, L + 1))
    ax.set_aspect("equal")
    ax.set_title(title)
    fig.tight_layout()
    return finish(fig, path)
