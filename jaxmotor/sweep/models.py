"""How each model runs a block of sweep points: validation, the batched kernel, output axes.

A sweep model adapts one of jaxmotor's batched solvers to the engine:

* ``validate()`` raises every ``ValueError`` before the engine writes anything;
* ``compute(points)`` maps 1-D arrays of parameter values (one entry per point) to a dict of
  result arrays with the points as leading axis;
* ``trailing_dims()`` names the extra axes of the results; ``attrs()`` adds stored attributes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import fail
from .spec import SweepSpec


class PumpSweep:
    """The pump's exact diagonalization over a grid (any of ω, η, J, Δ, S as axes; L, N fixed)."""

    continuous = {"omega": 0.25, "eta": 0.95, "J": 1.0, "Delta": 1.0}
    structural = {"L": 8, "N": None, "S": 10}
    options = {"method"}

    def __init__(self, spec: SweepSpec):
        self.spec = spec
        allowed = set(self.continuous) | set(self.structural) | self.options
        unknown = sorted((set(spec.fixed) | set(spec.parameters)) - allowed)
        if unknown:
            fail("pump parameter", unknown, f"unknown; allowed: {', '.join(sorted(allowed))}")
        for name in ("L", "N"):
            if name in spec.parameters:
                fail(f"axes.{name}", name, "L and N must be fixed in a sweep (results have L-dependent axes)")
        self.fixed = {**self.continuous, **self.structural, **spec.fixed}

    def _spins(self, points) -> np.ndarray:
        return np.atleast_1d(points["S"]) if "S" in points else np.array([self.fixed["S"]])

    def validate(self) -> None:
        from ..pump import PumpParams, make_basis

        points = self.spec.points()
        for S in np.unique(self._spins(points)):
            make_basis(self.fixed["L"], self.fixed["N"], S)
        PumpParams(**{k: points.get(k, self.fixed[k]) for k in self.continuous})

    def compute(self, points: dict[str, np.ndarray], *, memory_budget=None) -> dict[str, np.ndarray]:
        from ..pump import PumpParams, make_basis, solve

        n = len(next(iter(points.values())))
        spins = np.broadcast_to(self._spins(points), (n,))
        results = None
        for S in np.unique(spins):  # one batched solve per spin size (Hilbert spaces differ)
            where = np.flatnonzero(spins == S)
            params = PumpParams(**{k: (points[k][where] if k in points else np.full(where.size, float(self.fixed[k])))
                                   for k in self.continuous})
            kwargs = {"method": self.fixed["method"]} if "method" in self.fixed else {}
            obs = solve(params, make_basis(self.fixed["L"], self.fixed["N"], S), memory_budget=memory_budget, **kwargs)
            fields = {f.name: np.asarray(getattr(obs, f.name)) for f in dataclasses.fields(obs)
                      if not f.metadata.get("static", False)}
            if results is None:
                results = {k: np.empty((n,) + v.shape[1:], dtype=v.dtype) for k, v in fields.items()}
            for k, v in fields.items():
                results[k][where] = v
        return results

    def trailing_dims(self) -> dict[str, tuple[str, ...]]:
        return {"bond_currents": ("bond",), "ph_gap": ("l", "m")}

    def attrs(self) -> dict:
        """The fixed parameters (defaults included), as ``fixed_<name>``."""
        return {f"fixed_{k}": v for k, v in self.fixed.items() if v is not None and k not in self.spec.parameters}


_MODELS = {"pump": PumpSweep}


def register(name: str, model_class) -> None:
    """Make a sweep model available under ``name`` (used by the motor package)."""
    _MODELS[name] = model_class


def model_for(spec: SweepSpec):
    if spec.model not in _MODELS:
        fail("model", spec.model, f"expected one of {sorted(_MODELS)}")
    return _MODELS[spec.model](spec)
