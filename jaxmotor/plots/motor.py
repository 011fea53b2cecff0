"""Figures of the Thouless motor: the load curve and the start-up transient, with closed forms."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import finish


def load_curve(loads, velocity, velocity_err, power, power_err, efficiency, efficiency_err, *,
               closed_loads, closed_velocity, closed_power, closed_efficiency, max_power_load,
               title: str = "", path: str | Path | None = None):
    """Velocity, output power and efficiency versus the load F (points with 1σ error bars from the
    trajectories); lines: the closed forms θ̇ = 2πK_eff(V/2π - F), P = Fθ̇, η = 2πF/V (Eqs. 39-41),
    dotted: the maximum-power load F* = V/4π where η = 1/2."""
    fig, axes = plt.subplots(3, 1, figsize=(6.4, 7.2), sharex=True)
    rows = [(axes[0], velocity, velocity_err, closed_velocity, r"velocity $\dot\vartheta$"),
            (axes[1], power, power_err, closed_power, r"output power $F\dot\vartheta$"),
            (axes[2], efficiency, efficiency_err, closed_efficiency, r"efficiency $\eta$")]
    for ax, value, err, closed, label in rows:
        ax.plot(closed_loads, closed, "-", color="0.5", lw=1, label="closed form")
        ax.errorbar(loads, value, yerr=err, fmt="o", ms=4, capsize=2, color="tab:blue", label="Langevin ensemble")
        ax.axvline(max_power_load, color="tab:red", lw=0.8, ls=":")
        ax.set_ylabel(label)
    axes[2].axhline(0.5, color="tab:red", lw=0.6, ls="--")
    axes[0].legend(fontsize=8)
    axes[2].set_xlabel(r"load $F$ (dotted: $F^* = V/4\pi$)")
    axes[0].set_title(title)
    fig.tight_layout()
    return finish(fig, path)


def transient(times, mean_velocity, mean_velocity_err, *, exact=None, tau=None, title: str = "",
              path: str | Path | None = None):
    """Ensemble-mean θ̇(t) after the bias is switched on (band: 1σ), the exact noise-free solution
    (line) and the round trips t = nτ to the leads (dotted)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    times = np.asarray(times)
    mean_velocity, mean_velocity_err = np.asarray(mean_velocity), np.asarray(mean_velocity_err)
    ax.fill_between(times, mean_velocity - mean_velocity_err, mean_velocity + mean_velocity_err,
                    color="tab:blue", alpha=0.3, lw=0)
    ax.plot(times, mean_velocity, color="tab:blue", lw=1, label="ensemble mean")
    if exact is not None:
        ax.plot(times, exact, "--", color="k", lw=0.9, label="exact, noise-free")
    if tau is not None:
        for n in range(1, int(times[-1] // tau) + 1):
            ax.axvline(n * tau, color="0.7", lw=0.6, ls=":")
    ax.set_xlabel("time $t$")
    ax.set_ylabel(r"$\langle\dot\vartheta\rangle$")
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return finish(fig, path)

