"""Pathwise gradients through the Langevin ensemble (noise from fixed keys): against central finite
differences with the same keys, and against the derivatives of the closed forms (Eqs. 39-41)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.motor import MotorParams, closed_forms as cf, noise_plan, simulate

NAMES = ("F_load", "V", "K", "inertia", "temperature", "a1", "a2", "b1", "b2")
X0 = np.array([0.05, 1.0, 0.5, 0.8, 0.1, 0.01, -0.005, 0.008, 0.004])
OUTPUTS = ("power_out", "efficiency", "mean_velocity")


def _params(x, tau, noise, cutoff=None):
    x = jnp.asarray(x)
    return MotorParams(F_load=x[..., 0], V=x[..., 1], K=x[..., 2], inertia=x[..., 3], temperature=x[..., 4],
                       load_cos=x[..., 5:7], load_sin=x[..., 7:9], tau=tau, noise=noise, cutoff=cutoff)


@pytest.mark.parametrize("tau,noise,cutoff", [(None, "white", None), (2.0, "paper", None),
                                              pytest.param(2.0, "fdt", 4.0, marks=pytest.mark.slow)],
                         ids=["infinite-LL-white", "leads-paper", "leads-fdt"])
def test_gradient_matches_finite_differences_with_the_same_keys(tau, noise, cutoff, getkey):
    dt, key = 0.05, getkey()
    plan = noise_plan(_params(X0, tau, noise, cutoff), dt)  # fixed: the FD points must draw the same noise

    def observables(x):
        res = simulate(_params(x, tau, noise, cutoff), key, dt=dt, time=30.0, trajectories=2, burn_in=10.0, plan=plan)
        return jnp.stack([getattr(res, name) for name in OUTPUTS], axis=-1)

    jac = np.asarray(jax.jit(jax.jacrev(observables))(jnp.asarray(X0)))  # (outputs, parameters)
    # fourth-order central differences, all points in one batched run (every point gets the same keys)
    h = 1e-3 * np.maximum(np.abs(X0), 0.01)
    offsets = np.array([-2, -1, 1, 2])
    points = X0 + offsets[:, None, None] * np.diag(h)[None]  # (4, parameters, parameters)
    values = np.asarray(jax.jit(observables)(points.reshape(-1, X0.size))).reshape(4, X0.size, len(OUTPUTS))
    fd = ((values[0] - values[3]) + 8 * (values[2] - values[1])) / (12 * h[:, None])  # (parameters, outputs)
    for row, name in enumerate(OUTPUTS):  # relative 1e-5, entries far below the row's largest to 1e-6 of it
        np.testing.assert_allclose(jac[row], fd[:, row], rtol=1e-5, atol=1e-6 * np.max(np.abs(jac[row])), err_msg=name)
    assert np.all(np.abs(jac) > 0)  # every parameter, the temperature and the harmonics included, enters


@pytest.mark.parametrize("tau", [None, 1.0], ids=["infinite-LL", "leads"])
def test_mean_gradient_matches_the_closed_form_derivatives(tau, getkey):
    # constant load plus a zero-amplitude harmonic (the θ-dependent integrator path): at a₁ = b₁ = 0
    # a harmonic does no net work and, to first order, costs no velocity, so its derivatives vanish
    leads = tau is not None
    V, F, K = 1.0, 0.03, 0.5
    x0 = jnp.array([F, V, K, 0.5, 0.05, 0.0, 0.0])
    groups, per_group = 16, 8
    plan = noise_plan(MotorParams(K=K, V=V, inertia=0.5, temperature=0.05, tau=tau, noise="white"), 0.05)

    def observables(x, key):
        p = MotorParams(F_load=x[0], V=x[1], K=x[2], inertia=x[3], temperature=x[4], load_cos=x[5:6],
                        load_sin=x[6:7], tau=tau, noise="white")
        res = simulate(p, key, dt=0.05, time=110.0, trajectories=per_group, burn_in=50.0, plan=plan)
        return jnp.stack([getattr(res, name) for name in OUTPUTS])

    keys = jax.random.split(getkey(), groups)
    grads = np.asarray(jax.jit(jax.vmap(jax.jacrev(observables), in_axes=(None, 0)))(x0, keys))  # (groups, 3, 7)
    mean = grads.mean(axis=0)
    err = grads.std(axis=0, ddof=1) / np.sqrt(groups)

    closed = {"power_out": cf.power_out, "efficiency": cf.efficiency, "mean_velocity": cf.steady_velocity}
    expected = np.zeros_like(mean)
    for row, name in enumerate(OUTPUTS):
        dF, dV, dK = jax.grad(lambda f, v, k: closed[name](v, f, k, leads), argnums=(0, 1, 2))(F, V, K)
        expected[row, :3] = dF, dV, dK  # inertia, temperature and the harmonics: 0
    assert expected[2, 0] == pytest.approx(-2 * np.pi * (1.0 if leads else K))  # dθ̇/dF = -2πK_eff
    slack = 1e-5 * np.max(np.abs(expected), axis=1, keepdims=True)  # the burn-in transient, e^{-50/2πI}
    assert np.all(np.abs(mean - expected) <= 4 * err + slack), (mean, expected, err)
    # the statistical check has power: the nonzero derivatives are resolved to 15 %
    nonzero = np.abs(expected) > 1e-12  # dη/dK is 0 up to round-off
    assert np.all(4 * err[nonzero] < 0.15 * np.abs(expected[nonzero]))


def test_efficiency_of_a_constant_load_is_2piF_over_V_on_every_path(getkey):
    # P_out/P_in = F Σθ̇ / (V/2π Σθ̇) pathwise: its gradient is exactly that of 2πF/V (no statistics)
    x0 = jnp.array([0.06, 1.2, 0.7])

    def efficiency(x):
        p = MotorParams(F_load=x[0], V=x[1], K=x[2], temperature=0.2, tau=1.0, noise="paper")
        return simulate(p, key, dt=0.05, time=60.0, trajectories=4, burn_in=20.0, plan=plan).efficiency

    key = getkey()
    plan = noise_plan(MotorParams(K=0.7, temperature=0.2, tau=1.0, noise="paper"), 0.05)
    np.testing.assert_allclose(jax.grad(efficiency)(x0), [2 * np.pi / 1.2, -2 * np.pi * 0.06 / 1.2**2, 0.0],
                               rtol=1e-10, atol=1e-12)
