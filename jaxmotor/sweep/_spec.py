"""Sweep specifications: a grid over model parameters, from a TOML file or command-line flags.

A sweep has a ``model`` (``"pump"`` or ``"motor"``), ``fixed`` parameters and ``axes``. Each axis is
one dimension of the result grid; its values are given as

* a list:                 ``S = [1, 2, 5, 10]``
* a linear range:         ``omega = {start = 0.05, stop = 2.5, step = 0.05}`` (inclusive) or
                          ``{start = 0.05, stop = 2.5, num = 50}``
* a log range:            ``temperature = {start = 0.01, stop = 1, num = 20, log = true}``
* zipped parameters:      ``JD = {zip = {J = [1, 1.5], Delta = [1, 0.5]}}`` — one dimension ``JD``
                          along which several parameters change together.

Axes are ordered as written; the last axis is the fastest and one row along it is the unit of
storage (a finished row is never recomputed). Example files: ``examples/sweeps/*.toml``.

On the command line: ``--set NAME=VALUE`` for fixed values and ``--axis NAME=START:STOP:STEP``,
``--axis NAME=V1,V2,...`` or ``--axis NAME=log:START:STOP:NUM`` for axes.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validate import fail

MAX_POINTS = 10**8


@dataclass(frozen=True)
class Axis:
    """One grid dimension: its name and the values of every parameter that changes along it."""

    name: str
    values: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return len(next(iter(self.values.values())))


@dataclass(frozen=True)
class SweepSpec:
    """A grid over model parameters.

    Attributes:
        model: ``"pump"`` or ``"motor"``.
        fixed: parameter values that are the same at every grid point.
        axes: the grid dimensions, slowest first.
        options: run options that do not change results (``memory_budget_gib``, ...).
    """

    model: str
    fixed: dict
    axes: tuple[Axis, ...]
    options: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def parameters(self) -> list[str]:
        return [p for a in self.axes for p in a.values]

    def as_dict(self) -> dict:
        """Canonical, JSON-able form (it defines the identity of a stored result)."""
        return {
            "model": self.model,
            "fixed": {k: _plain(v) for k, v in sorted(self.fixed.items())},
            "axes": [{"name": a.name, "values": {k: _plain(v) for k, v in a.values.items()}} for a in self.axes],
        }

    def fingerprint(self) -> str:
        """Hash of everything that determines the results (not the run options)."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def points(self) -> dict[str, np.ndarray]:
        """Every parameter that varies, as an array of the grid shape."""
        grids = np.meshgrid(*[np.arange(a.size) for a in self.axes], indexing="ij")
        return {p: a.values[p][g] for a, g in zip(self.axes, grids) for p in a.values}


def _plain(v):
    arr = np.asarray(v)
    return arr.tolist() if arr.ndim else arr.item()


LABEL_AXES = {"noise"}  # axes whose values are labels, not numbers


def axis_values(name: str, spec) -> dict[str, np.ndarray]:
    """Parse one axis specification (list, range table, log range, zip table) to its values."""
    if isinstance(spec, dict) and "zip" in spec:
        zipped = spec["zip"]
        if not isinstance(zipped, dict) or not zipped:
            fail(f"axes.{name}.zip", zipped, "expected a table of parameter = [values]")
        values = {k: axis_values(k, v)[k] for k, v in zipped.items()}
        sizes = {len(v) for v in values.values()}
        if len(sizes) != 1:
            fail(f"axes.{name}.zip", {k: len(v) for k, v in values.items()}, "zipped lists must have equal length")
        return values
    if isinstance(spec, dict):
        unknown = set(spec) - {"start", "stop", "step", "num", "log"}
        if unknown:
            fail(f"axes.{name}", sorted(unknown), "unknown keys; use start, stop and step or num (and log = true)")
        try:
            start, stop = float(spec["start"]), float(spec["stop"])
        except (KeyError, TypeError, ValueError):
            fail(f"axes.{name}", spec, "a range needs numeric start and stop")
        if not (math.isfinite(start) and math.isfinite(stop)):
            fail(f"axes.{name}", spec, "start and stop must be finite")
        if spec.get("log", False):
            num = _count(name, spec.get("num"))
            if start <= 0 or stop <= 0:
                fail(f"axes.{name}", spec, "a log range needs start > 0 and stop > 0")
            return {name: np.geomspace(start, stop, num)}
        if "num" in spec:
            return {name: np.linspace(start, stop, _count(name, spec["num"]))}
        try:
            step = float(spec["step"])
        except (KeyError, TypeError, ValueError):
            fail(f"axes.{name}", spec, "a linear range needs step or num")
        if not (math.isfinite(step) and step > 0) or stop < start:
            fail(f"axes.{name}", spec, "needs step > 0 and stop >= start")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_POINTS:
            fail(f"axes.{name}", count, f"at most {MAX_POINTS} values")
        return {name: start + step * np.arange(count)}
    if isinstance(spec, (list, tuple)):
        if not spec:
            fail(f"axes.{name}", spec, "an axis needs at least one value")
        if name in LABEL_AXES and all(isinstance(v, str) for v in spec):  # labels: the motor's noise kinds
            if len(set(spec)) != len(spec):
                fail(f"axes.{name}", spec, "labels must be distinct")
            return {name: np.asarray(spec, dtype=str)}
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spec):
            fail(f"axes.{name}", spec, "expected a list of numbers (or of labels)")
        arr = np.asarray(spec, dtype=float)
        if not np.all(np.isfinite(arr)):
            fail(f"axes.{name}", spec, "values must be finite")
        return {name: arr}
    fail(f"axes.{name}", spec, "expected a list, a range table {start, stop, step|num[, log]} or {zip = {...}}")


def _count(name, num) -> int:
    if isinstance(num, bool) or not isinstance(num, (int, float)) or num != int(num) or not 1 <= num <= MAX_POINTS:
        fail(f"axes.{name}.num", num, f"expected an integer in [1, {MAX_POINTS}]")
    return int(num)


def from_dict(raw: dict) -> SweepSpec:
    """Build and check a spec from its dictionary form (the parsed TOML)."""
    if not isinstance(raw, dict):
        fail("config", raw, "expected a table")
    unknown = set(raw) - {"model", "fixed", "axes", "run"}
    if unknown:
        fail("config", sorted(unknown), "unknown top-level keys; allowed: model, fixed, axes, run")
    model = raw.get("model")
    if model not in ("pump", "motor"):
        fail("model", model, "expected 'pump' or 'motor'")
    fixed = raw.get("fixed", {})
    axes_raw = raw.get("axes", {})
    options = raw.get("run", {})
    for label, table in (("fixed", fixed), ("axes", axes_raw), ("run", options)):
        if not isinstance(table, dict):
            fail(label, table, "expected a table")
    unknown_run = set(options) - {"memory_budget_gib", "block_points"}
    if unknown_run:
        fail("run", sorted(unknown_run), "unknown keys; allowed: memory_budget_gib, block_points")
    budget = options.get("memory_budget_gib", 1)
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not budget > 0 or not math.isfinite(budget):
        fail("run.memory_budget_gib", budget, "expected a number > 0")
    if not axes_raw:
        fail("axes", axes_raw, "a sweep needs at least one axis")
    axes = tuple(Axis(name, axis_values(name, spec)) for name, spec in axes_raw.items())
    names = [p for a in axes for p in a.values]
    repeated = sorted({p for p in names if names.count(p) > 1} | (set(names) & set(fixed)))
    if repeated:
        fail("axes", repeated, "each parameter may appear once, either fixed or on one axis")
    total = math.prod(a.size for a in axes)
    if total > MAX_POINTS:
        fail("axes", total, f"at most {MAX_POINTS} grid points")
    return SweepSpec(model=model, fixed=dict(fixed), axes=axes, options=dict(options))


def load(path: str | Path) -> SweepSpec:
    """Read a TOML sweep file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        fail("config", str(path), "file not found")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        fail("config", str(path), f"not valid TOML ({err})")
    return from_dict(raw)


def parse_value(text: str):
    """A command-line value: int, float, bool or string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def from_flags(model: str, sets: list[str], axes: list[str]) -> SweepSpec:
    """Build a spec from ``--set NAME=VALUE`` and ``--axis NAME=...`` flags."""
    fixed = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail("sets", item, "expected NAME=VALUE")
        fixed[name] = parse_value(value)
    axes_raw = {}
    for item in axes:
        name, sep, value = item.partition("=")
        if not sep or not name:
            fail("axes", item, "expected NAME=START:STOP:STEP, NAME=V1,V2,... or NAME=log:START:STOP:NUM")
        parts = value.split(":")
        try:
            if parts[0] == "log" and len(parts) == 4:
                axes_raw[name] = {"start": float(parts[1]), "stop": float(parts[2]), "num": int(parts[3]), "log": True}
            elif len(parts) == 3:
                axes_raw[name] = {"start": float(parts[0]), "stop": float(parts[1]), "step": float(parts[2])}
            else:
                values = value.split(",")
                try:
                    axes_raw[name] = [float(v) for v in values]
                except ValueError:  # labels (e.g. noise=white,paper)
                    if not all(v.strip().isidentifier() for v in values):
                        raise
                    axes_raw[name] = [v.strip() for v in values]
        except ValueError:
            fail("axes", item, "expected NAME=START:STOP:STEP, NAME=V1,V2,... or NAME=log:START:STOP:NUM")
    return from_dict({"model": model, "fixed": fixed, "axes": axes_raw})
