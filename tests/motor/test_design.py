"""Known optima recovered by gradient: F* = V/4π, P* = 2πK_eff(V/4π)² (Eq. 41), efficiency 1/2 there."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxmotor.motor import MotorParams, closed_forms as cf
from jaxmotor.motor._design import (
    default_constraints,
    design_optimizer,
    efficiency_at_min_power_objective,
    ensemble,
    harmonic_names,
    power_constraint,
    power_objective,
    random_search,
    simulate_design,
    with_design,
)
from jaxmotor.optimize import optimize

V, K = 1.0, 0.5
F_STAR = V / (4 * np.pi)
SETTINGS = dict(dt=0.05, time=300.0, trajectories=128)


@pytest.mark.parametrize("tau", [None, 2.0], ids=["infinite-LL", "leads"])
def test_maximum_power_load_and_efficiency_one_half_from_random_starts(tau, getkey):
    leads = tau is not None
    base = MotorParams(K=K, V=V, inertia=0.5, temperature=0.01, noise="white", tau=tau)
    key = getkey()
    objective = power_objective(base, **SETTINGS)
    starts = F_STAR * np.random.default_rng(7).uniform(0.3, 1.7, 3)
    # P(F) is an exact quadratic of a constant load for fixed keys: quasi-Newton steps converge in a few
    found = []
    for start in starts:
        result = optimize(objective, {"F_load": float(start)}, maximize=True, key=key, steps=40, gtol=1e-9,
                          optimizer=optax.lbfgs(learning_rate=1.0, linesearch=None))
        assert result.converged
        found.append(result.params["F_load"])
    found = np.array(found)

    # independent of the optimizer: with the same keys the sampled θ̇ is exactly linear in a constant
    # load, θ̇(F) = a - bF, so the sampled power F(a - bF) peaks at a/2b
    res = simulate_design(base, {"F_load": jnp.array([0.0, F_STAR, found[0]])}, key, ensemble(base, **SETTINGS))
    a = float(res.mean_velocity[0])
    b = float(res.mean_velocity[0] - res.mean_velocity[1]) / F_STAR
    np.testing.assert_allclose(found, a / (2 * b), rtol=1e-6)
    k_eff = float(cf.effective_K(K, leads))
    assert b == pytest.approx(2 * np.pi * k_eff, rel=1e-6)  # the dc friction 1/(2πK_eff) (Eqs. 39, 62)

    # the sample optimum scatters around F* by σ_F = σ(θ̇)/2b; the 1 % check must resolve it
    sigma_f = float(res.mean_velocity_err[0]) / (2 * b)
    assert sigma_f < 0.01 * F_STAR / 3
    np.testing.assert_allclose(found, F_STAR, rtol=0.01)
    assert abs(float(res.power_out[2]) - float(cf.max_power(V, K, leads))) < 4 * float(res.power_out_err[2])
    assert abs(float(res.efficiency[2]) - cf.efficiency_at_max_power()) < 0.01


@pytest.mark.slow  # about 90 s: 150 gradient steps (and feasibility checks) and 150 random designs
def test_efficiency_at_required_power_gradient_beats_random_search(getkey):
    # colored (paper) noise with leads, three load harmonics; the required power is 60 % of P*
    base = MotorParams(K=K, V=V, inertia=1.0, temperature=0.1, noise="paper", tau=2.0)
    settings = dict(dt=0.1, time=300.0, trajectories=32)
    p_star = float(cf.max_power(V, K, leads=True))
    p_min = 0.6 * p_star
    objective = efficiency_at_min_power_objective(base, p_min, **settings)
    key, search_key = getkey(), getkey()
    names = harmonic_names(3)
    init = {"F_load": 0.5 * F_STAR, **dict(zip(names, np.random.default_rng(1).uniform(-0.02, 0.02, len(names))))}
    steps = 150
    grad = optimize(objective, init, maximize=True, constraints=default_constraints(list(init)), key=key,
                    optimizer=design_optimizer(list(init), steps), steps=steps,
                    feasible=power_constraint(base, p_min, key, **settings))
    bounds = {"F_load": (0.0, V / (2 * np.pi)), **{n: (-0.05, 0.05) for n in names}}
    search = random_search(objective, bounds, steps, search_key, objective_key=key)  # as many simulations
    assert grad.objective > float(jnp.nanmax(search["objective"]))
    assert grad.params["F_load"] > search["best"]["F_load"]  # efficiency 2πF_load/V

    # fresh keys: the gradient design delivers the required power within the statistical error
    check = {name: jnp.array([grad.params[name]]) for name in init}
    res = simulate_design(base, check, jax.random.fold_in(key, 1), ensemble(base, **settings))
    power = grad.params["F_load"] * float(res.mean_velocity[0])
    power_err = grad.params["F_load"] * float(res.mean_velocity_err[0])
    assert abs(power - p_min) < 4 * power_err
    # a harmonic does no net work per turn: the load reaches the larger root of 2πF(V/2π - F) = P_min
    # (K_eff = 1, the constant-load optimum) within the scatter σ_P/|∂P/∂F| of the sampled root; the
    # ripples left over (~1e-2, set by this noise sample's linear response) gain nothing resolvable
    f_root = F_STAR * (1 + np.sqrt(1 - p_min / p_star))
    sigma_f = power_err / abs(V - 4 * np.pi * f_root)  # ∂P/∂F = V - 4πF
    assert abs(grad.params["F_load"] - f_root) < 4 * sigma_f


def test_design_names_are_validated():
    base = MotorParams()
    with pytest.raises(ValueError, match="^design parameter="):
        with_design(base, {"F": 0.1})
    with pytest.raises(ValueError, match="^design parameter="):
        default_constraints(["a0"])
    p = with_design(base, {"F_load": 0.2, "b2": 0.1})
    np.testing.assert_array_equal(p.load_cos, [0.0, 0.0])
    np.testing.assert_array_equal(p.load_sin, [0.0, 0.1])
    with pytest.raises(ValueError, match="^min_power="):
        efficiency_at_min_power_objective(base, 0.0, **SETTINGS)
    with pytest.raises(ValueError, match="^barrier="):
        efficiency_at_min_power_objective(base, 0.01, barrier=-1.0, **SETTINGS)
