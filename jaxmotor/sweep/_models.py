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
from ._spec import SweepSpec


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
        from ..pump._solve import solve_spins

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

    def point_bytes(self) -> int:
        """Peak memory of one point (the largest spin size of the grid), for the engine's block size."""
        from ..pump._basis import dense_dimension, ed_bytes

        S = max(float(s) for s in np.unique(self._spins(self.spec.points())))
        N = self.fixed["N"] or self.fixed["L"] // 2
        return ed_bytes(dense_dimension(self.fixed["L"], N, S), self.fixed["L"],
                        sectors=self.fixed.get("method", "auto") != "full")


class MotorSweep:
    """Langevin ensembles of the Thouless motor over a grid (any of K, V, F_load, inertia,
    temperature, cutoff as axes, and the structural tau and noise — ``tau = 0`` is the infinite
    Luttinger liquid, ``noise`` a list of kinds; dt, time, trajectories, seed, burn_in fixed).

    Every point uses the same trajectory keys (common random numbers, from ``seed``). The points are
    grouped by (tau, noise), which fix the structure of the run; each group's noise plan and burn-in
    are chosen once from all of the grid's points of that group, so a point's result does not depend
    on which block it is computed in — a resumed sweep equals an uninterrupted one.
    """

    continuous = {"K": 1.0, "V": 1.0, "F_load": 0.0, "inertia": 1.0, "temperature": 0.0, "cutoff": None}
    options = {"tau": None, "noise": "paper", "dt": 0.01, "time": 200.0, "trajectories": 64, "seed": 0,
               "burn_in": None}
    axable = {"tau", "noise"}  # structural, but allowed as axes: the points are grouped by them
    outputs = ("mean_velocity", "mean_velocity_err", "current", "current_err", "velocity_variance",
               "velocity_variance_err", "power_in", "power_out", "power_out_err", "power_dissipated",
               "efficiency", "efficiency_err", "energy_balance_residual", "diffusion", "diffusion_err",
               "fano_factor", "fano_factor_err")

    def __init__(self, spec: SweepSpec):
        self.spec = spec
        allowed = set(self.continuous) | set(self.options)
        unknown = sorted((set(spec.fixed) | set(spec.parameters)) - allowed)
        if unknown:
            fail("motor parameter", unknown, f"unknown; allowed: {', '.join(sorted(allowed))}")
        for name in set(self.options) - self.axable:
            if name in spec.parameters:
                fail(f"axes.{name}", name, f"{', '.join(sorted(set(self.options) - self.axable))} must be fixed in a "
                     "motor sweep")
        self.fixed = {**self.continuous, **self.options, **spec.fixed}

    def _structure(self, points: dict[str, np.ndarray]) -> list[tuple[tuple, np.ndarray]]:
        """The (tau, noise) groups of a set of points: [((tau or None, noise), indices)]."""
        n = len(next(iter(points.values())))
        taus = np.broadcast_to(np.asarray(points.get("tau", self.fixed["tau"] or 0.0), dtype=float), (n,))
        kinds = np.broadcast_to(np.asarray(points.get("noise", self.fixed["noise"]), dtype=str), (n,))
        groups = {}
        for i, key in enumerate(zip(taus.tolist(), kinds.tolist())):
            groups.setdefault(key, []).append(i)
        return [((tau if tau > 0 else None, kind), np.asarray(idx)) for (tau, kind), idx in groups.items()]

    def _params(self, points: dict[str, np.ndarray], tau, noise):
        from ..motor import MotorParams

        values = {k: points.get(k, self.fixed[k]) for k in self.continuous}
        if values["cutoff"] is None:
            values.pop("cutoff")
        return MotorParams(**values, tau=None if tau is None else float(tau), noise=str(noise))

    @functools.cached_property
    def _plans(self) -> dict[tuple, tuple]:
        """Noise plan and burn-in of each (tau, noise) group of the whole grid (host side, once)."""
        from ..motor import default_burn_in, noise_plan

        grid = {k: v.reshape(-1) for k, v in self.spec.points().items()}
        plans = {}
        for (tau, noise), where in self._structure(grid):
            params = self._params({k: v[where] for k, v in grid.items() if k in self.continuous}, tau, noise)
            burn_in = self.fixed["burn_in"]
            burn_in = default_burn_in(params) if burn_in is None else float(burn_in)
            plans[tau, noise] = noise_plan(params, float(self.fixed["dt"])), burn_in
        return plans

    def validate(self) -> None:
        from .._validate import check_int, check_range

        check_range("dt", self.fixed["dt"], low=0.0, low_inclusive=False)
        check_range("time", self.fixed["time"], low=0.0, low_inclusive=False)
        check_int("trajectories", self.fixed["trajectories"], low=1, high=10**6)
        check_int("seed", self.fixed["seed"], low=0)
        for tau, _ in self._plans:
            if tau is not None:
                check_range("tau", tau, low=0.0, low_inclusive=False)
        for _, burn_in in self._plans.values():
            check_range("burn_in", burn_in, low=0.0, high=float(self.fixed["time"]) - float(self.fixed["dt"]))

    def compute(self, points: dict[str, np.ndarray], *, memory_budget=None) -> xr.Dataset:
        import jax

        from ..motor import simulate

        parts, order = [], []
        for (tau, noise), where in self._structure(points):
            plan, burn_in = self._plans[tau, noise]
            params = self._params({k: np.asarray(v[where], dtype=float) for k, v in points.items()
                                   if k in self.continuous}, tau, noise)
            res = simulate(params, jax.random.key(int(self.fixed["seed"])), dt=float(self.fixed["dt"]),
                           time=float(self.fixed["time"]), trajectories=int(self.fixed["trajectories"]),
                           burn_in=burn_in, plan=plan, memory_budget=memory_budget)
            parts.append(res.to_dataset(("point",))[list(self.outputs)])
            order.append(where)
        joined = xr.concat(parts, dim="point", combine_attrs="drop") if len(parts) > 1 else parts[0]
        return joined.isel(point=np.argsort(np.concatenate(order)))

    def attrs(self) -> dict:
        """The fixed parameters (defaults included), as ``fixed_<name>``."""
        return {f"fixed_{k}": v for k, v in self.fixed.items() if v is not None and k not in self.spec.parameters}

    def point_bytes(self) -> int:
        """Memory of one point's ensemble (its trajectories' noise blocks and results)."""
        return 8 * int(self.fixed["trajectories"]) * (8 * min(4096, int(float(self.fixed["time"]) /
                                                                    float(self.fixed["dt"]))) + 32)


_MODELS = {"pump": PumpSweep, "motor": MotorSweep}


def model_for(spec: SweepSpec):
    if spec.model not in _MODELS:
        fail("model", spec.model, f"expected one of {sorted(_MODELS)}")
    return _MODELS[spec.model](spec)
