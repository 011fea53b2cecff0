"""The optax-based optimizer: known optima, constraints, noise keys, bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxmotor.optimize import Box, Positive, optimize


def test_recovers_the_closed_form_maximum_power_load():
    # P(F) = F · 2πK (V/2π - F) is maximal at F* = V/4π (motor paper Eq. 41).
    K, V = 0.5, 1.0
    power = lambda p, key: p["F"] * 2 * jnp.pi * K * (V / (2 * jnp.pi) - p["F"])  # noqa: E731
    result = optimize(power, {"F": 0.01}, maximize=True, constraints={"F": Positive()},
                      optimizer=optax.adam(0.01), steps=2000, gtol=1e-10)
    assert result.params["F"] == pytest.approx(V / (4 * np.pi), rel=1e-6)
    assert result.objective == pytest.approx(2 * np.pi * K * (V / (4 * np.pi)) ** 2, rel=1e-9)
    assert result.converged and result.iterations == len(result.history["objective"])


def test_box_constraint_is_never_left():
    result = optimize(lambda p, key: p["x"], {"x": 0.5}, constraints={"x": Box(0.2, 1.0)},
                      optimizer=optax.sgd(1.0), steps=300)
    xs = result.history["params"]["x"]
    assert np.all((xs > 0.2) & (xs < 1.0)) and xs[-1] < 0.21


def test_common_random_numbers_optimize_one_realization_fresh_keys_average():
    # maximize -(x - ξ)², ξ ~ N(1, 1) drawn from the key: CRN finds that ξ; fresh keys find E[ξ] = 1.
    def objective(p, key):
        xi = 1.0 + jax.random.normal(key)
        return -((p["x"] - xi) ** 2)

    key = jax.random.key(3)
    crn = optimize(objective, {"x": 0.0}, maximize=True, key=key, optimizer=optax.adam(0.05), steps=800)
    assert crn.params["x"] == pytest.approx(1.0 + float(jax.random.normal(key)), abs=1e-3)
    fresh = optimize(objective, {"x": 0.0}, maximize=True, key=key, common_random_numbers=False,
                     optimizer=optax.sgd(optax.exponential_decay(0.2, 50, 0.9)), steps=1500)
    assert fresh.params["x"] == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("kwargs,match", [
    ({"init": {}}, "^init="),
    ({"init": {"x": float("nan")}}, "^x="),
    ({"init": {"x": -1.0}, "constraints": {"x": Positive()}}, "^initial value="),
    ({"init": {"x": 1.0}, "constraints": {"y": Positive()}}, "^constraints="),
    ({"init": {"x": 1.0}, "steps": 0}, "^steps="),
])
def test_bad_input_raises_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimize(lambda p, key: p.get("x", 0.0) ** 2, **kwargs)


def test_box_bounds_are_validated():
    with pytest.raises(ValueError, match="^Box.hi="):
        Box(1.0, 0.5)


def test_infeasible_steps_are_rejected_and_the_step_shrinks_at_the_boundary():
    feasible = lambda p: p["x"] < 0.5  # noqa: E731  (a constraint without a useful gradient)
    result = optimize(lambda p, key: p["x"], {"x": 0.0}, maximize=True, feasible=feasible,
                      optimizer=optax.sgd(0.3), steps=60)
    xs = result.history["params"]["x"]
    assert np.all(xs < 0.5) and xs[-1] > 0.49
    with pytest.raises(ValueError, match="^init="):
        optimize(lambda p, key: p["x"], {"x": 1.0}, feasible=feasible)
