"""Boundary checks shared by both models.

Every check raises a ``ValueError`` whose message names the parameter, the offending value and the
allowed range, so that the CLI can print it as one line. Checks run on concrete (host) values at
construction time; inside ``jit`` the values are tracers and the checks are skipped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _is_concrete(value: Any) -> bool:
    try:
        np.asarray(value)
    except Exception:  # a jax tracer cannot be converted: skip the check inside transformations
        return False
    return True


def _show(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(arr.item())
    return np.array2string(arr, threshold=6, precision=6)


def fail(name: str, value: Any, allowed: str) -> None:
    """Raise the library's standard boundary error."""
    raise ValueError(f"{name}={_show(value)} is not allowed: {allowed}")


def check_finite(name: str, value: Any) -> None:
    """All entries of ``value`` are finite real numbers."""
    if not _is_concrete(value):
        return
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        fail(name, value, "expected a real number")
    if not np.all(np.isfinite(arr)):
        fail(name, value, "expected a finite real number")


def check_range(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> None:
    """All entries of ``value`` are finite and lie in the given interval."""
    check_finite(name, value)
    if not _is_concrete(value):
        return
    arr = np.asarray(value, dtype=float)
    ok = np.ones(arr.shape, dtype=bool)
    if low is not None:
        ok &= arr >= low if low_inclusive else arr > low
    if high is not None:
        ok &= arr <= high if high_inclusive else arr < high
    if not np.all(ok):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        lb = "[" if (low is not None and low_inclusive) else "("
        rb = "]" if (high is not None and high_inclusive) else ")"
        fail(name, value, f"must lie in {lb}{lo}, {hi}{rb}")


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` is an integer (bools rejected) in [low, high]; returns it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            fail(name, value, "expected an integer")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        fail(name, value, f"must be an integer in [{lo}, {hi}]")
    return value
