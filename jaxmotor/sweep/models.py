"""How each model runs a block of sweep points: validation, the batched kernel, output axes.

A sweep model adapts one of jaxmotor's batched solvers to the engine:

* ``validate()`` raises every ``ValueError`` before the engine writes anything;
* ``compute(points)`` maps 1-D arrays of parameter values (one entry per point) to the result's
  ``to_dataset(("point",))``: every variable has the points as leading axis and names its other axes
  itself (no table of trailing axes here);
* ``attrs()`` adds stored attributes.
"""

from __future__ import annotations

import functools

import numpy as np
import xarray as xr

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

    def compute(self, points: dict[str, np.ndarray], *, memory_budget=None) -> xr.Dataset:
        from ..pump import PumpParams, make_basis
        from ..pump.spectrum import solve_spins

        n = len(next(iter(points.values())))
        spins = np.broadcast_to(self._spins(points), (n,))
        order = [np.flatnonzero(spins == S) for S in np.unique(spins)]  # one batch per spin size
        params = [PumpParams(**{k: (points[k][where] if k in points else np.full(where.size, float(self.fixed[k])))
                                for k in self.continuous}) for where in order]
        bases = [make_basis(self.fixed["L"], self.fixed["N"], S) for S in np.unique(spins)]
        kwargs = {"method": self.fixed["method"]} if "method" in self.fixed else {}
        # spin spaces padded to a few bucket sizes: one compilation per bucket (jaxmotor.pump._buckets)
        parts = [obs.to_dataset(("point",)) for obs in solve_spins(params, bases, memory_budget=memory_budget,
                                                                   **kwargs)]
        joined = xr.concat(parts, dim="point", combine_attrs="drop") if len(parts) > 1 else parts[0]
        return joined.isel(point=np.argsort(np.concatenate(order)))

    def attrs(self) -> dict:
        """The fixed parameters (defaults included), as ``fixed_<name>``."""
        return {f"fixed_{k}": v for k, v in self.fixed.items() if v is not None and k not in self.spec.parameters}


class MotorSweep:
    """Langevin ensembles of the Thouless motor over a grid (any of K, V, F_load, inertia,
    temperature, cutoff as axes; the structural options tau, noise, dt, time, trajectories, seed,
    burn_in fixed).

    Every point uses the same trajectory keys (common random numbers, from ``seed``), and the noise
    plan and burn-in are chosen once from the whole grid, so a point's result does not depend on
    which block it is computed in — a resumed sweep equals an uninterrupted one.
    """

    continuous = {"K": 1.0, "V": 1.0, "F_load": 0.0, "inertia": 1.0, "temperature": 0.0, "cutoff": None}
    options = {"tau": None, "noise": "paper", "dt": 0.01, "time": 200.0, "trajectories": 64, "seed": 0,
               "burn_in": None}
    outputs = ("mean_velocity", "mean_velocity_err", "current", "current_err", "velocity_variance",
               "velocity_variance_err", "power_in", "power_out", "power_out_err", "power_dissipated",
               "efficiency", "efficiency_err", "energy_balance_residual")

    def __init__(self, spec: SweepSpec):
        self.spec = spec
        allowed = set(self.continuous) | set(self.options)
        unknown = sorted((set(spec.fixed) | set(spec.parameters)) - allowed)
        if unknown:
            fail("motor parameter", unknown, f"unknown; allowed: {', '.join(sorted(allowed))}")
        for name in self.options:
            if name in spec.parameters:
                fail(f"axes.{name}", name, f"{', '.join(sorted(self.options))} must be fixed in a motor sweep")
        self.fixed = {**self.continuous, **self.options, **spec.fixed}

    def _params(self, points: dict[str, np.ndarray]):
        from ..motor import MotorParams

        values = {k: points.get(k, self.fixed[k]) for k in self.continuous}
        if values["cutoff"] is None:
            values.pop("cutoff")
        tau = self.fixed["tau"]
        return MotorParams(**values, tau=None if tau is None else float(tau), noise=self.fixed["noise"])

    @functools.cached_property
    def _plan_and_burn_in(self):
        """Noise plan and burn-in of the whole grid (host side, once)."""
        from ..motor import default_burn_in, noise_plan

        params = self._params(self.spec.points())
        burn_in = self.fixed["burn_in"]
        burn_in = default_burn_in(params) if burn_in is None else float(burn_in)
        return noise_plan(params, float(self.fixed["dt"])), burn_in

    def validate(self) -> None:
        from .._validate import check_int, check_range

        check_range("dt", self.fixed["dt"], low=0.0, low_inclusive=False)
        check_range("time", self.fixed["time"], low=0.0, low_inclusive=False)
        check_int("trajectories", self.fixed["trajectories"], low=1, high=10**6)
        check_int("seed", self.fixed["seed"], low=0)
        _, burn_in = self._plan_and_burn_in
        check_range("burn_in", burn_in, low=0.0, high=float(self.fixed["time"]) - float(self.fixed["dt"]))

    def compute(self, points: dict[str, np.ndarray], *, memory_budget=None) -> xr.Dataset:
        import jax

        from ..motor import simulate

        plan, burn_in = self._plan_and_burn_in
        params = self._params({k: np.asarray(v, dtype=float) for k, v in points.items()})
        res = simulate(params, jax.random.key(int(self.fixed["seed"])), dt=float(self.fixed["dt"]),
                       time=float(self.fixed["time"]), trajectories=int(self.fixed["trajectories"]),
                       burn_in=burn_in, plan=plan)
        return xr.Dataset({k: (("point",), np.asarray(getattr(res, k))) for k in self.outputs})

    def attrs(self) -> dict:
        """The fixed parameters (defaults included), as ``fixed_<name>``."""
        return {f"fixed_{k}": v for k, v in self.fixed.items() if v is not None and k not in self.spec.parameters}


_MODELS = {"pump": PumpSweep, "motor": MotorSweep}


def model_for(spec: SweepSpec):
    if spec.model not in _MODELS:
        fail("model", spec.model, f"expected one of {sorted(_MODELS)}")
    return _MODELS[spec.model](spec)
