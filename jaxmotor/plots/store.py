"""Plots of a stored sweep: a line plot for one axis, a heat map for two."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

# Axis labels with units (ħ = e = k_B = 1; energies in units of J for the pump).
LABELS = {
    "omega": r"$\omega/J$", "eta": r"$\eta$", "S": r"spin size $S$", "J": r"$J$", "Delta": r"$\Delta/J$",
    "delta_n": r"$\Delta n$ per period $2\pi/\tilde\omega$", "delta_n_bare": r"$\Delta n$ per period $2\pi/\omega$",
    "spin_gap": r"spin gap $\Delta E_{\rm spin}/J$", "omega_tilde": r"$\tilde\omega/J$",
    "current": r"current (particles per unit time)", "E_prime_margin": r"$E'$ margin $/J$",
    "ph_gap_min": r"min particle-hole gap $/J$", "K": r"Luttinger parameter $K$", "V": r"bias $V$",
    "F_load": r"load $F$", "temperature": r"temperature $T$", "tau": r"round trip $\tau$",
    "mean_velocity": r"mean velocity $\langle\dot\theta\rangle$", "power_out": r"output power",
    "efficiency": r"efficiency",
}


def label(name: str) -> str:
    return LABELS.get(name, name)


def plot_variable(ds, variable: str, path: str | Path):
    """Line plot (one sweep axis) or heat map (two axes) of one stored variable."""
    if variable not in ds.data_vars:
        raise ValueError(f"variable={variable!r} is not allowed: the store has {', '.join(sorted(ds.data_vars))}")
    data = ds[variable]
    if data.ndim not in (1, 2):
        raise ValueError(f"variable={variable!r} is not allowed: it has {data.ndim} axes {data.dims}; "
                         "plot needs one (line) or two (heat map)")
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    coord = lambda dim: ds[dim].values if dim in ds.coords else np.arange(ds.sizes[dim])  # noqa: E731
    if data.ndim == 1:
        (dim,) = data.dims
        ax.plot(coord(dim), data.values, "o-", ms=3)
        ax.set_xlabel(label(dim))
        ax.set_ylabel(label(variable))
    else:
        ydim, xdim = data.dims
        mesh = ax.pcolormesh(coord(xdim), coord(ydim), data.values, shading="nearest")
        fig.colorbar(mesh, ax=ax, label=label(variable))
        ax.set_xlabel(label(xdim))
        ax.set_ylabel(label(ydim))
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return Path(path)
