"""Figures of the pump paper."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import finish


def transport_and_spin_gap(omega, delta_n, spin_gap, *, title: str = "", path: str | Path | None = None):
    """Fig. 3: Δn per period 2π/ω̃ (crosses) and the normalized spin gap (red) versus ω/J."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(omega, delta_n, "x", color="tab:blue", label=r"$\Delta n$ (period $2\pi/\tilde\omega$)")
    ax.axhline(1.0, color="0.7", lw=0.8, ls="--")
    ax.set_xlabel(r"$\omega/J$")
    ax.set_ylabel(r"$\Delta n$", color="tab:blue")
    twin = ax.twinx()
    twin.plot(omega, spin_gap, ".-", color="tab:red", ms=3, lw=0.8, label=r"$\Delta E_{\rm spin}$")
    twin.axhline(0.0, color="tab:red", lw=0.6, ls=":")
    twin.set_ylabel(r"spin gap $\Delta E_{\rm spin}/J$", color="tab:red")
    ax.set_title(title)
    # fixed margins for the twin axes (tight_layout would lay the text out once more before saving)
    fig.subplots_adjust(left=0.1, right=0.88, bottom=0.12, top=0.92)
    return finish(fig, path)


def spectrum(eigenvalues, *, title: str = "", path: str | Path | None = None):
    """Fig. 2: the eigenvalues of H in ascending order (index n versus E_n/J)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(np.arange(len(eigenvalues)), eigenvalues, ".", ms=2)
    ax.set_xlabel("eigenstate index $n$")
    ax.set_ylabel("$E_n/J$")
    ax.set_title(title)
    fig.tight_layout()
    return finish(fig, path)

