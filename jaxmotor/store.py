"""Labeled results on disk: xarray Datasets in zarr stores.

Why xarray + zarr: a sweep's result is a set of arrays over named axes (ω, S, disorder
realization, …). xarray keeps the axis names, coordinates and the run's attributes together, and
zarr stores them chunked so that a user opens them with ``xarray.open_zarr(path)`` from any tool
of the field, without jaxmotor.
"""

from __future__ import annotations

import datetime
import json
import platform
from pathlib import Path

import jax
import numpy as np


def provenance() -> dict[str, str]:
    """Versions and machine, attached to every stored result."""
    from . import __version__

    device = jax.devices()[0]
    return {
        "jaxmotor_version": __version__,
        "jax_version": jax.__version__,
        "backend": jax.default_backend(),
        "device_kind": getattr(device, "device_kind", str(device)),
        "device_count": str(jax.device_count()),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def dataset(variables: dict[str, tuple[tuple[str, ...], np.ndarray]], coords: dict, attrs: dict):
    """Build an xarray Dataset; attributes that are not plain scalars/strings are stored as JSON."""
    import xarray as xr

    clean = {}
    for key, value in {**attrs, **provenance()}.items():
        if isinstance(value, (str, int, float, bool)):
            clean[key] = value
        else:
            clean[key] = json.dumps(value, default=lambda v: np.asarray(v).tolist())
    return xr.Dataset({k: (dims, np.asarray(v)) for k, (dims, v) in variables.items()}, coords=coords, attrs=clean)


def write(ds, path: str | Path) -> Path:
    """Write a Dataset to a zarr store (replacing an existing one)."""
    path = Path(path)
    ds.to_zarr(path, mode="w", consolidated=True, zarr_format=2)  # v2: readable by every zarr reader
    return path


def open_store(path: str | Path):
    import xarray as xr

    return xr.open_zarr(path, consolidated=True)


def module_variables(module, batch_dims: tuple[str, ...], trailing: dict[str, tuple[str, ...]] | None = None):
    """Variables of an equinox Module of result arrays, for :func:`dataset` (static fields, such as
    a method name, are not arrays: they belong in the attributes).

    ``trailing`` names the extra axes of fields that have them, e.g. ``{"ph_gap": ("l", "m")}``.
    """
    import dataclasses

    trailing = trailing or {}
    return {
        f.name: (batch_dims + trailing.get(f.name, ()), np.asarray(getattr(module, f.name)))
        for f in dataclasses.fields(module)
        if not f.metadata.get("static", False)
    }
