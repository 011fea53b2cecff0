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
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
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


def annotate(ds, attrs: dict | None = None):
    """A result's Dataset (``to_dataset()``) with the run's attributes and the provenance added
    (attributes that are not plain scalars or strings are stored as JSON)."""
    extra = {}
    for key, value in {**(attrs or {}), **provenance()}.items():
        if isinstance(value, (str, int, float, bool)):
            extra[key] = value
        else:
            extra[key] = json.dumps(value, default=lambda v: np.asarray(v).tolist())
    return ds.assign_attrs(extra)


def write(ds, path: str | Path) -> Path:
    """Write a Dataset to a zarr store (replacing an existing one)."""
    path = Path(path)
    ds.to_zarr(path, mode="w", consolidated=True, zarr_format=2)  # v2: readable by every zarr reader
    return path


def open_store(path: str | Path):
    import xarray as xr

    return xr.open_zarr(path, consolidated=True)
