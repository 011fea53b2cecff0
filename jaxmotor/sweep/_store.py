"""The resumable results store of a sweep: a zarr group that xarray opens as a labeled Dataset.

Layout: one array per observable, shaped like the grid (plus trailing axes such as bonds), chunked
so that one row along the last grid axis is one zarr chunk; coordinates are the sweep axes;
attributes hold the fixed parameters, the sweep config, its fingerprint and the provenance
(versions, device). Open it with ``xarray.open_zarr(path)``.

Durability: a row's data are written first, then its completion marker (an empty file created
atomically under ``<store>/.jaxmotor-progress/``). A run killed at any moment — SIGKILL included —
leaves at worst a row with data but no marker, which the next run recomputes and overwrites. The
store skeleton itself is created in a temporary folder and renamed into place, so a store either
exists whole or not at all. A store is only ever resumed by the sweep that made it (same
fingerprint); anything else is refused.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from .. import store
from ._spec import SweepSpec

_PROGRESS = ".jaxmotor-progress"


class SweepStore:
    """A results store bound to one sweep specification."""

    def __init__(self, path: str | Path, spec: SweepSpec):
        self.path = Path(path)
        self.spec = spec

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def check_compatible(self) -> None:
        """Refuse a store made by a different sweep (or that is not a sweep store)."""
        if not self.exists:
            return
        attrs_file = self.path / ".zattrs"
        try:
            attrs = json.loads(attrs_file.read_text())
        except (OSError, ValueError):
            raise ValueError(
                f"out={str(self.path)!r} is not allowed: it exists and is not a jaxmotor sweep store; "
                "choose another folder or remove it"
            ) from None
        found = attrs.get("sweep_fingerprint")
        if found != self.spec.fingerprint():
            raise ValueError(
                f"out={str(self.path)!r} is not allowed: the store there was made by a different sweep "
                f"(fingerprint {found}, this sweep {self.spec.fingerprint()}); use the same parameters "
                "to resume it, or choose another folder"
            )

    def done_rows(self) -> set[int]:
        folder = self.path / _PROGRESS
        if not folder.is_dir():
            return set()
        return {int(name.split("-")[1]) for name in os.listdir(folder) if name.startswith("row-")}

    def create(self, sample: dict[str, np.ndarray], trailing_dims: dict[str, tuple[str, ...]], attrs: dict) -> None:
        """Create the store skeleton from one computed row (for shapes and dtypes), atomically."""
        spec = self.spec
        grid = spec.shape
        dims = tuple(a.name for a in spec.axes)
        variables, encoding = {}, {}
        for name, row in sample.items():
            trailing = row.shape[1:]
            fill = np.nan if np.issubdtype(row.dtype, np.floating) else -1
            data = np.full(grid + trailing, fill, dtype=row.dtype)
            variables[name] = (dims + trailing_dims.get(name, ()), data)
            encoding[name] = {"chunks": (1,) * (len(grid) - 1) + (grid[-1],) + trailing}
        coords = {}
        for axis in spec.axes:
            for param, values in axis.values.items():
                coords[param] = ((axis.name,), values)
            if axis.name not in axis.values:
                coords[axis.name] = ((axis.name,), np.arange(axis.size))
        ds = store.dataset(
            variables,
            coords=coords,
            attrs={**attrs, "sweep_model": spec.model, "sweep_axes": [a.name for a in spec.axes],
                   "sweep_config": spec.as_dict(), "sweep_fingerprint": spec.fingerprint()},
        )
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        ds.to_zarr(tmp, mode="w", consolidated=True, zarr_format=2, encoding=encoding)
        (tmp / _PROGRESS).mkdir()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, self.path)

    def write_rows(self, rows: list[int], values: dict[str, np.ndarray]) -> None:
        """Write finished rows (values shaped (len(rows), row_length, ...)), then mark them done."""
        import zarr

        group = zarr.open_group(str(self.path), mode="r+", zarr_format=2)
        lead = self.spec.shape[:-1]
        for i, row in enumerate(rows):
            index = np.unravel_index(row, lead) if lead else ()
            for name, data in values.items():
                group[name][tuple(int(j) for j in index)] = data[i]
        for row in rows:
            marker = self.path / _PROGRESS / f"row-{row}"
            tmp = marker.with_name(f".{marker.name}.tmp")
            tmp.touch()
            os.replace(tmp, marker)

    def open(self):
        return store.open_store(self.path)
