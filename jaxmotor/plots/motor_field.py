"""Figures of the motor paper's field theory and statics: the energy current j_E(x, t) with the plasmon
reflections (Fig. 4 made real), the field's force against the Langevin friction, the energy balance,
and the gap of Eq. 15 against K with the numerically integrated RG flows."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import SymLogNorm

from . import finish


def field(res, *, title: str = "", path: str | Path | None = None):
    """Three panels for a :class:`~jaxmotor.motor._field.FieldResults`: j_E(x, t) (Eq. 47; red: energy
    moving right; symmetric-log colours down to 1e-3 of the largest |j_E|; dashed: the wire's ends
    x = ±D/2), the force of the field on the motor with the Langevin friction of Eq. 59 (dashed), and
    the energies (work done by the motor, field energy, energy carried into the leads or, without
    leads, to ±∞)."""
    fig = plt.figure(figsize=(11, 5.2))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.15, 1))
    ax_map = fig.add_subplot(grid[:, 0])
    x, t = np.asarray(res.x), np.asarray(res.frame_times)
    current = np.asarray(res.energy_current)
    scale = float(np.max(np.abs(current))) or 1.0
    # symmetric-log colours: the plasmon echoes, |r|^n weaker each round trip, stay visible
    norm = SymLogNorm(linthresh=1e-3 * scale, vmin=-scale, vmax=scale, base=10)
    mesh = ax_map.pcolormesh(x, t, current, cmap="RdBu_r", norm=norm, shading="auto", rasterized=True)
    fig.colorbar(mesh, ax=ax_map, label=r"energy current $j_E(x, t)$ (symmetric log)")
    if res.tau is not None:
        for edge in (-0.5, 0.5):
            ax_map.axvline(edge * res.v_c * res.tau, color="k", lw=0.8, ls="--")
    ax_map.set_xlabel("position $x$")
    ax_map.set_ylabel("time $t$")
    ax_map.set_title(title, fontsize=9)

    times = np.asarray(res.times)
    ax_force = fig.add_subplot(grid[0, 1])
    ax_force.plot(times, np.asarray(res.force), color="tab:blue", lw=1.2,
                  label=r"field: $-(v_c/2\pi K)[\partial_x\phi]_{0^-}^{0^+}$")
    ax_force.plot(times, np.asarray(res.friction), "--", color="k", lw=0.9, label="Langevin friction (Eq. 59)")
    ax_force.set_ylabel("force on the motor")
    ax_force.legend(fontsize=8)
    if res.tau is not None:
        for n in range(1, int(times[-1] // res.tau) + 1):
            ax_force.axvline(n * res.tau, color="0.75", lw=0.5, ls=":")

    ax_energy = fig.add_subplot(grid[1, 1], sharex=ax_force)
    ax_energy.plot(times, np.asarray(res.work), color="k", lw=1.2, label="work done by the motor")
    ax_energy.plot(times, np.asarray(res.field_energy), color="tab:orange", lw=1, label="field energy on the grid")
    label = "carried into the leads" if res.tau is not None else "emitted towards $\\pm\\infty$"
    ax_energy.plot(times, np.asarray(res.energy_into_leads), color="tab:green", lw=1, label=label)
    ax_energy.plot(times, np.asarray(res.field_energy + res.energy_out), ":", color="tab:red", lw=1.2,
                   label="field energy + energy out")
    ax_energy.set_xlabel("time $t$")
    ax_energy.set_ylabel("energy")
    ax_energy.legend(fontsize=8)
    fig.tight_layout()
    return finish(fig, path)


def statics(grid, point=None, *, title: str = "", path: str | Path | None = None):
    """Two panels: the gap Δ(K) of Eq. 15 (line) with the gaps where the numerically integrated flows
    of Eq. 13 and Eq. 9 stop (points), and the ratio Δ(K)/Δ(1) against the printed Eq. 16 (dotted);
    right: the flow of Eq. 13 for ``point`` (a :class:`~jaxmotor.motor._statics.StaticsResults`, or
    a few K of ``grid``): the running gap √(4V(l)Kv_c/λ) meets the cutoff (2πv_c/λ)e^{-l} at l*."""
    fig, (ax_gap, ax_flow) = plt.subplots(1, 2, figsize=(11, 4.3))
    K = np.asarray(grid.K)
    ax_gap.semilogy(K, np.asarray(grid.gap), color="k", lw=1.2, label=r"Eq. 15")
    ax_gap.semilogy(K, np.asarray(grid.rg_gap), "o", ms=4, mfc="none", color="tab:blue", label="flow of Eq. 13 (RK4)")
    ax_gap.semilogy(K, np.asarray(grid.rg_gap_rescaled), "x", ms=4, color="tab:orange", label="flow of Eq. 9 (RK4)")
    ax_gap.semilogy(K, np.asarray(grid.gap_ratio), color="tab:green", lw=1, label=r"$\Delta(K)/\Delta(1)$ from Eq. 15")
    ax_gap.semilogy(K, np.asarray(grid.gap_ratio_printed), ":", color="tab:green", lw=1.2, label="Eq. 16 as printed")
    ax_gap.axvline(1.0, color="0.7", lw=0.6)
    ax_gap.set_xlabel("Luttinger parameter $K$")
    ax_gap.set_ylabel(r"gap $\Delta$, ratio")
    ax_gap.legend(fontsize=8)
    ax_gap.set_title(title, fontsize=9)

    flows = point if point is not None else grid
    l = np.asarray(flows.l)
    picks = range(len(flows.K)) if point is not None else np.unique(np.linspace(0, len(K) - 1, 4).round().astype(int))
    ax_flow.semilogy(l, np.asarray(flows.cutoff), color="k", lw=1.2, label=r"cutoff $(2\pi v_c/\lambda)e^{-l}$")
    for i in picks:
        line, = ax_flow.semilogy(l, np.asarray(flows.running_gap)[i], lw=1,
                                 label=f"running gap, K = {float(flows.K[i]):.3g}")
        ax_flow.plot([float(flows.rg_scale[i])], [float(flows.rg_gap[i])], "o", color=line.get_color())
    ax_flow.set_xlabel(r"flow scale $l = \ln b$")
    ax_flow.set_ylabel("energy")
    ax_flow.legend(fontsize=8)
    fig.tight_layout()
    return finish(fig, path)
