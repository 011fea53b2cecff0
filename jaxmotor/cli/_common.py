"""Pieces shared by every subcommand: one-line errors, JSON output, output folders."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits 2."""

    def error(self, message):  # noqa: D102 - argparse API
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def one_line(message: str) -> str:
    """``message`` with every line break or control character escaped, so it prints as one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message))


def to_jsonable(value):
    """numpy/JAX arrays and scalars to plain JSON values; NaN and ±inf become null."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "__array__") and not isinstance(value, (str, bytes)):
        arr = np.asarray(value)
        if arr.ndim == 0:
            return to_jsonable(arr.item())
        return [to_jsonable(v) for v in arr.tolist()]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return to_jsonable(value.item())
    return value


def print_json(obj) -> None:
    """Print one JSON object on stdout (strict JSON: no NaN)."""
    json.dump(to_jsonable(obj), sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


def print_record(record: dict, as_json: bool) -> None:
    """With ``--json`` the whole record; else one aligned ``key = value`` line per entry (no history)."""
    if as_json:
        print_json(record)
        return
    width = max(len(k) for k in record)
    for key, value in record.items():
        if key != "history":
            print(f"{key:>{width}} = {value}")


def add_output_options(parser: argparse.ArgumentParser, default_out: str) -> None:
    """--json, --out, --quiet, --no-plot."""
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout (no progress bars)")
    parser.add_argument("--out", default=default_out, metavar="DIR",
                        help="folder for data and figures (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--no-plot", action="store_true", help="write data only, no PNG")


def add_omega_grid(parser: argparse.ArgumentParser, *, first: float = 0.05,
                   title: str = "omega grid (inclusive)") -> argparse._ArgumentGroup:
    """--omega-min, --omega-max, --omega-step: an inclusive grid of omega/J (read with float_grid)."""
    grid = parser.add_argument_group(title)
    grid.add_argument("--omega-min", type=float, default=first, help=f"first omega/J (default {first:g})")
    grid.add_argument("--omega-max", type=float, default=2.5, help="last omega/J (default 2.5)")
    grid.add_argument("--omega-step", type=float, default=0.05, help="step (default 0.05)")
    return grid


def output_dir(path: str) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"--out={path!r} is not allowed: cannot create the folder ({err.strerror})") from None
    return out


def float_grid(start: float, stop: float, step: float, name: str) -> np.ndarray:
    """Inclusive grid start, start+step, …, ≤ stop (tolerant of round-off)."""
    from .._validate import check_finite, fail

    for label, v in (("start", start), ("stop", stop), ("step", step)):
        check_finite(f"{name} {label}", v)
    if step <= 0:
        fail(f"{name} step", step, "must be > 0")
    if stop < start:
        fail(f"{name} stop", stop, f"must be >= the start {start}")
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    if count > 10**6:
        fail(f"{name} grid", count, "at most 10^6 points")
    return start + step * np.arange(count)
