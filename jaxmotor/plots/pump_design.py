"""The history of the pump's gap design (:func:`jaxmotor.pump._design.optimize_gap`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import finish
from .store import label


def gap_history(design, *, quantization_tol: float | None = None, title: str = "",
                path: str | Path | None = None):
    """Four panels per iterate: the minimum particle-hole gap (and the barrier objective), the path
    in the (η, Δ/J) plane, Δn with the plateau band |Δn - 1| < tol, and the gradient norm."""
    h = design.history
    steps = np.arange(len(h["objective"]))
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    axes[0].plot(steps, h["ph_gap_min"], label=r"$\min\,\Delta E_{l,m}$")
    axes[0].plot(steps, h["objective"], "--", lw=1, label="with barrier")
    axes[0].set_ylabel(label("ph_gap_min"))
    axes[0].legend(fontsize=8)
    axes[1].plot(h["eta"], h["Delta"], ".-", ms=3, lw=0.8)
    axes[1].plot(h["eta"][0], h["Delta"][0], "o", color="tab:green", label="start")
    axes[1].plot(h["eta"][-1], h["Delta"][-1], "*", ms=10, color="tab:red", label="optimum")
    axes[1].set_xlabel(label("eta"))
    axes[1].set_ylabel(label("Delta"))
    axes[1].legend(fontsize=8)
    axes[2].plot(steps, h["delta_n"])
    if quantization_tol is not None:
        axes[2].axhspan(1 - quantization_tol, 1 + quantization_tol, color="tab:green", alpha=0.15, lw=0)
    axes[2].set_ylabel(label("delta_n"))
    axes[3].semilogy(steps, np.maximum(h["grad_norm"], 1e-300))
    axes[3].set_ylabel("gradient norm (box variables)")
    for ax in (axes[0], axes[2], axes[3]):
        ax.set_xlabel("step")
    fig.suptitle(title)
    fig.tight_layout()
    return finish(fig, path)
