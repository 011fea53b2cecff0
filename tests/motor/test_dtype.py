"""Where float32 is safe (LangevinSolver(dtype="float32")): the mean velocity, the velocity variance
and the energy balance against closed forms, within statistical error; the noise-free transient to
float32 round-off. (float32 draws other normals than float64 from the same key: an equally valid
noise realization, so the two runs agree statistically, not digit by digit.)"""

import jax
import numpy as np
import pytest

from jaxmotor.motor import LangevinSolver, MotorParams, closed_forms as cf, simulate
from jaxmotor.motor._transient import noise_free_transient, transient_statistics

F32 = LangevinSolver.default(dtype="float32")


def _within(value, expected, err, sigmas=4.0):
    value, expected, err = (np.asarray(x, dtype=float) for x in (value, expected, err))
    assert np.all(np.abs(value - expected) <= sigmas * err), (value, expected, err)


@pytest.mark.parametrize("tau", [None, 1.0], ids=["infinite-LL", "leads"])
def test_float32_velocity_variance_and_energy_balance_against_closed_forms(tau, getkey):
    T = np.array([0.1, 0.4])
    p = MotorParams(K=0.5, V=1.0, F_load=0.02, inertia=1.0, temperature=T, noise="white", tau=tau)
    res = simulate(p, getkey(), dt=0.02, time=300.0, trajectories=64, solver=F32, burn_in=50.0)
    assert res.mean_velocity.dtype == np.float32
    leads = tau is not None
    _within(res.mean_velocity, cf.steady_velocity(1.0, 0.02, 0.5, leads), res.mean_velocity_err)
    _within(res.velocity_variance, T, res.velocity_variance_err)  # equipartition T/I
    _within(res.power_out, cf.power_out(1.0, 0.02, 0.5, leads), res.power_out_err)
    # the balance closes to float32 round-off of the accumulated works (float64: 1e-14)
    assert np.all(res.trajectory_residual < 1e-4), np.max(res.trajectory_residual)


def test_float32_paper_noise_variance_matches_the_quadrature_of_its_spectrum(getkey):
    p = MotorParams(K=0.5, V=1.0, inertia=1.0, temperature=0.3, noise="paper", tau=1.0)
    res = simulate(p, getkey(), dt=0.02, time=300.0, trajectories=64, solver=F32)
    _within(res.velocity_variance, float(cf.velocity_variance(p)), res.velocity_variance_err)


def test_float32_noise_free_transient_matches_the_exact_solution_to_float32_round_off(getkey):
    p = MotorParams(K=0.5, V=1.0, inertia=0.05, tau=1.0)
    res = simulate(p, getkey(), dt=0.005, time=6.0, burn_in=0.0, record_every=10, solver=F32)
    exact = noise_free_transient(res.times, p)
    stats = transient_statistics(res)
    # the float64 run's O(dt²) error is 2e-4 here (test_langevin); float32 adds ~1e-6
    np.testing.assert_allclose(stats["mean_velocity"], exact, atol=2.5e-4)
    f64 = simulate(p, jax.random.key(0), dt=0.005, time=6.0, burn_in=0.0, record_every=10)
    np.testing.assert_allclose(stats["mean_velocity"], f64.velocity_series[0], atol=1e-5)
