"""The history of a gradient optimization."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .store import label


def history(result, *, path: str | Path | None = None, title: str = ""):
    """Objective, parameters and gradient norm per step of an :class:`~jaxmotor.optimize.OptimizeResult`."""
    h = result.history
    steps = np.arange(len(h["objective"]))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    axes[0].plot(steps, h["objective"])
    axes[0].set_ylabel("objective")
    for name, values in h["params"].items():
        axes[1].plot(steps, values, label=label(name))
    axes[1].legend()
    axes[1].set_ylabel("parameters")
    axes[2].semilogy(steps, np.maximum(h["grad_norm"], 1e-300))
    axes[2].set_ylabel("gradient norm")
    for ax in axes:
        ax.set_xlabel("step")
    fig.suptitle(title)
    fig.tight_layout()
    if path is None:
        return fig
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)
