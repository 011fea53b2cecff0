"""The start-up transient of the motor: ensemble statistics of the recorded series and the exact
noise-free solution (motor paper Eq. 59; its Laplace solution in
:func:`~jaxmotor.motor.closed_forms.transient_velocity`).

    res = simulate(params, key, dt=0.01, time=20.0, trajectories=64, burn_in=0.0, record_every=5)
    stats = transient_statistics(res)          # mean θ̇(t) and its standard error, (*batch, records)
    exact = noise_free_transient(res.times, params)
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._validate import fail
from . import closed_forms as cf
from ._langevin import MotorResults, _error
from ._params import MotorParams

# the exact piecewise sum is O(round_trips²) terms and loses digits with each round trip
MAX_ROUND_TRIPS = 40


def transient_statistics(results: MotorResults) -> dict[str, Float[Array, "*batch records"]]:
    """Mean over the trajectories of the recorded θ̇(t) and θ(t), with standard errors.

    Args:
        results: a run with a recorded series (``record_every``), series (*batch, trajectories, records).

    Returns:
        dict with ``time`` (records,), ``mean_velocity``, ``mean_velocity_err``, ``mean_theta``,
        ``mean_theta_err`` (*batch, records); the errors are NaN for one trajectory.
    """
    if results.velocity_series is None:
        fail("results", None, "the transient needs a recorded series: run with record_every")
    velocity = jnp.moveaxis(results.velocity_series, -2, -1)  # (*batch, records, trajectories)
    theta = jnp.moveaxis(results.theta_series, -2, -1)
    return {"time": results.times, "mean_velocity": jnp.mean(velocity, axis=-1), "mean_velocity_err": _error(velocity),
            "mean_theta": jnp.mean(theta, axis=-1), "mean_theta_err": _error(theta)}


def noise_free_transient(times: Float[ArrayLike, " n"], params: MotorParams) -> np.ndarray:
    """Exact noise-free θ̇(t) after the bias is switched on at t = 0, motor at rest before
    (:func:`~jaxmotor.motor.closed_forms.transient_velocity`, constant load ``F_load`` of one point).
    With leads the piecewise sum runs over at most :data:`MAX_ROUND_TRIPS` round trips; later times
    are NaN."""
    times = np.asarray(times, dtype=float)
    if params.batch_shape:
        fail("params", params.batch_shape, "expected one parameter point")
    if params.theta_dependent_load:
        fail("params", "a θ-dependent load", "the exact transient is for a constant load")
    tau = params.tau
    trips = min(int(times[-1] // tau), MAX_ROUND_TRIPS) if tau and times.size else 0
    exact = np.array(cf.transient_velocity(times, params.V, params.F_load, params.K, params.inertia, tau,
                                           round_trips=trips))
    if tau:
        exact[times >= (trips + 1) * tau] = np.nan
    return exact
