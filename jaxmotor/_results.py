"""Results that know their axes: ``to_dataset()`` for every result Module of jaxmotor.

A result Module holds arrays whose leading axes are the batch (the broadcast shape of the
parameters) and whose trailing axes have fixed names (bonds, times, ...). Each result class names
them once, in a class-level ``dims`` table; :func:`to_dataset` turns an instance into a labeled
``xarray.Dataset`` (the batch axes named by the caller, e.g. ``("omega",)``), with the static fields
(method names, sizes) as attributes. The CLI and the sweep engine write these Datasets as they are.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


def to_dataset(
    module: Any,
    *,
    reference: str,
    trailing: dict[str, tuple[str, ...]] | None = None,
    shared: dict[str, tuple[str, ...]] | None = None,
    batch_dims: tuple[str, ...] | None = None,
    coords: dict | None = None,
    attrs: dict | None = None,
):
    """An ``xarray.Dataset`` of the array fields of ``module``.

    Args:
        module: an equinox Module of result arrays.
        reference: a field with no trailing axes: its number of dimensions is the batch's.
        trailing: the names of the trailing axes of the fields that have them.
        shared: fields without batch axes (e.g. the record times shared by every point), with their
            dims.
        batch_dims: names of the batch axes (default ``batch_0``, ``batch_1``, ...).
        coords: coordinates, e.g. ``{"omega": omega_grid}``.
        attrs: extra attributes; the static fields of the Module are added.
    """
    import xarray as xr

    trailing, shared = trailing or {}, shared or {}
    ndim = np.ndim(getattr(module, reference))
    if batch_dims is None:
        batch_dims = tuple(f"batch_{i}" for i in range(ndim))
    batch_dims = tuple(batch_dims)
    if len(batch_dims) != ndim:
        from ._validate import fail

        fail("batch_dims", batch_dims, f"expected {ndim} names (the result's batch has shape "
                                       f"{np.shape(getattr(module, reference))})")
    variables, static = {}, {}
    for field in dataclasses.fields(module):
        value = getattr(module, field.name)
        if value is None:
            continue
        if field.metadata.get("static", False):
            static[field.name] = value
            continue
        if isinstance(value, dict) or field.name in (coords or {}):  # a coordinate already
            continue
        dims = shared[field.name] if field.name in shared else batch_dims + trailing.get(field.name, ())
        variables[field.name] = (dims, np.asarray(value))
    merged = {}
    for key, value in {**static, **(attrs or {})}.items():
        merged[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
    return xr.Dataset(variables, coords=coords or {}, attrs=merged)


def dataset_arrays(ds) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    """(values, trailing dims) of a Dataset whose first axis is the points of a sweep block."""
    values = {k: np.asarray(v.values) for k, v in ds.data_vars.items()}
    trailing = {k: tuple(v.dims[1:]) for k, v in ds.data_vars.items() if len(v.dims) > 1}
    return values, trailing
