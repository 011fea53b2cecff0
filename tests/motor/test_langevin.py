"""Langevin ensembles against the physics: closed forms, equipartition, energy balance, memory, order."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.motor import MotorParams, closed_forms as cf, default_burn_in, simulate
from jaxmotor.motor._langevin import phi_functions


def _within(value, expected, err, sigmas=4.0):
    value, expected, err = map(np.asarray, (value, expected, err))
    assert np.all(np.abs(value - expected) <= sigmas * err), (value, expected, err)


@pytest.mark.parametrize("tau", [None, 0.5], ids=["infinite-LL", "leads"])
def test_steady_velocity_is_K_V_without_leads_and_V_with_leads(tau, getkey):
    K = np.array([0.3, 0.6, 1.5])[:, None]
    V = np.array([0.5, 2.0])[None, :]
    p = MotorParams(K=K, V=V, inertia=0.2, temperature=0.01, noise="white", tau=tau)
    res = simulate(p, getkey(), dt=0.02, time=120.0, trajectories=32)
    assert res.mean_velocity.shape == (3, 2)
    expected = cf.steady_velocity(V, 0.0, K, leads=tau is not None)
    np.testing.assert_allclose(expected, K * V if tau is None else np.broadcast_to(V, (3, 2)))
    _within(res.mean_velocity, expected, res.mean_velocity_err)
    assert np.all(res.mean_velocity_err < 0.05 * np.abs(expected))


@pytest.mark.parametrize("tau", [None, 0.5], ids=["infinite-LL", "leads"])
def test_load_curve_maximum_power_at_V_over_4pi_with_efficiency_one_half(tau, getkey):
    V, K = 1.0, 0.5
    loads = V / (4 * np.pi) * np.array([0.0, 0.5, 1.0, 1.5])
    p = MotorParams(K=0.5, V=V, F_load=loads, inertia=0.5, temperature=0.05, noise="white", tau=tau)
    res = simulate(p, getkey(), dt=0.02, time=150.0, trajectories=32)
    leads = tau is not None
    _within(res.mean_velocity, cf.steady_velocity(V, loads, K, leads), res.mean_velocity_err)
    _within(res.power_out, cf.power_out(V, loads, K, leads), res.power_out_err)
    star = 2  # F* = V/4π
    _within(res.power_out[star], cf.max_power(V, K, leads), res.power_out_err[star])
    assert res.efficiency[star] == pytest.approx(cf.efficiency_at_max_power(), rel=1e-12)
    # the net heat at steady velocity is θ̇²/(2πK_eff) (Eqs. 49, 66): P_in = P_out + P_diss
    _within(res.power_dissipated, cf.steady_dissipation(res.mean_velocity, K, leads),
            res.power_dissipated_err + res.power_in_err)
    _within(res.power_dissipated[star], res.power_out[star], res.power_dissipated_err[star] + res.power_out_err[star])


@pytest.mark.parametrize("tau", [None, 1.0], ids=["infinite-LL", "leads"])
def test_equipartition_velocity_variance_is_T_over_I_for_white_noise(tau, getkey):
    p = MotorParams(K=0.5, V=1.0, inertia=1.0, temperature=np.array([0.1, 0.4]), noise="white", tau=tau)
    res = simulate(p, getkey(), dt=0.02, time=400.0, trajectories=64)
    _within(res.velocity_variance, np.array([0.1, 0.4]), res.velocity_variance_err)
    assert np.all(res.velocity_variance_err < 0.1 * np.array([0.1, 0.4]))


def test_paper_noise_velocity_variance_matches_the_quadrature_of_its_spectrum(getkey):
    p = MotorParams(K=0.5, V=1.0, inertia=1.0, temperature=0.3, noise="paper", tau=1.0)
    res = simulate(p, getkey(), dt=0.02, time=300.0, trajectories=64)
    expected = float(cf.velocity_variance(p))
    assert expected < 0.3 * 0.9  # quantum noise: visibly below the classical T/I
    _within(res.velocity_variance, expected, res.velocity_variance_err)


def test_noise_free_transient_with_leads_matches_the_exact_piecewise_solution(getkey):
    p = MotorParams(K=0.5, V=1.0, inertia=0.05, tau=1.0)
    dt = 0.005
    res = simulate(p, getkey(), dt=dt, time=6.0, burn_in=0.0, record_every=10)
    exact = cf.transient_velocity(res.times, 1.0, 0.0, 0.5, 0.05, 1.0)
    v = res.velocity_series[0]
    # velocity plateaus K·V, then steps at t = τ, 2τ, ... towards V (Eq. 62)
    plateau = 0.5 * -np.expm1(-0.9 / (2 * np.pi * 0.5 * 0.05))
    assert abs(float(exact[int(0.9 / (10 * dt)) - 1]) - plateau) < 1e-12
    np.testing.assert_allclose(v, exact, atol=2e-4)
    res2 = simulate(p, getkey(), dt=dt / 2, time=6.0, burn_in=0.0, record_every=20)
    error, error2 = np.max(np.abs(v - exact)), np.max(np.abs(res2.velocity_series[0] - exact))
    assert error / error2 > 3.0  # the deviation is the O(dt²) discretization error


def test_energy_balance_closes_to_round_off_on_every_trajectory(getkey):
    cases = [
        MotorParams(K=0.4, V=1.0, F_load=0.03, inertia=0.3, temperature=0.2, noise="paper", tau=0.4,
                    load_cos=jnp.array([0.02, 0.01]), load_sin=jnp.array([0.015, 0.0])),
        MotorParams(K=1.7, V=2.0, F_load=0.1, inertia=2.0, temperature=0.3, noise="fdt", cutoff=8.0,
                    load_fn=lambda th: 0.05 * jnp.sin(th) ** 2),
        MotorParams(K=0.5, V=1.0, F_load=0.04, inertia=1e-3, temperature=1.0, noise="white", tau=0.2),
    ]
    for p in cases:
        res = simulate(p, getkey(), dt=0.02, time=40.0, burn_in=5.0, trajectories=8)
        assert np.all(res.trajectory_residual < 1e-12), res.trajectory_residual
        assert float(res.energy_balance_residual) == pytest.approx(float(np.max(res.trajectory_residual)))
        assert abs(float(res.power_friction - res.power_noise - res.power_dissipated)) < 1e-12


def test_memory_recursion_equals_the_truncated_direct_sum(getkey):
    K, inertia, tau, dt, steps = 0.4, 0.5, 0.2, 0.01, 500
    p = MotorParams(K=K, V=1.0, F_load=0.02, inertia=inertia, tau=tau)
    res = simulate(p, getkey(), dt=dt, time=steps * dt, burn_in=0.0, record_every=1)
    g0, r, m = 1 / (2 * np.pi * K), (K - 1) / (K + 1), round(tau / dt)
    z = -g0 / inertia * dt
    phi1, phi2, _ = (float(f) for f in phi_functions(jnp.asarray(z)))
    force = 1.0 / (2 * np.pi) - 0.02
    v = np.zeros(steps + 1)
    for k in range(steps):  # A(t_k) = Σ_{n=1}^{k/m} r^n θ̇(t_k - nτ), summed directly
        A0 = sum(r**n * v[k - n * m] for n in range(1, k // m + 1))
        A1 = sum(r**n * v[k + 1 - n * m] for n in range(1, (k + 1) // m + 1))
        G0, G1 = force - 2 * g0 * A0, force - 2 * g0 * A1
        v[k + 1] = np.exp(z) * v[k] + dt / inertia * (phi1 * G0 + phi2 * (G1 - G0))
    np.testing.assert_allclose(res.velocity_series[0], v[1:], rtol=1e-12, atol=1e-14)


def test_deterministic_part_is_second_order_in_dt(getkey):
    p = MotorParams(K=0.4, V=1.0, F_load=0.02, inertia=0.3, tau=0.4,
                    load_cos=jnp.array([0.05]), load_sin=jnp.array([0.03]))
    theta = {dt: float(simulate(p, getkey(), dt=dt, time=4.0, burn_in=0.0).mean_velocity) * 4.0
             for dt in (0.04, 0.02, 0.01, 0.0025)}
    errors = [abs(theta[dt] - theta[0.0025]) for dt in (0.04, 0.02, 0.01)]
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert all(3.3 < q < 4.8 for q in ratios), (errors, ratios)


def test_parameter_batch_equals_separate_runs_with_common_keys(getkey):
    key = getkey()
    from jaxmotor.motor import noise_plan

    batch = MotorParams(K=np.array([0.5, 1.5]), V=1.0, temperature=0.2, noise="white", tau=0.5)
    plan = noise_plan(batch, 0.05)  # one filter length for the batch: the same white draws
    res = simulate(batch, key, dt=0.05, time=30.0, burn_in=5.0, trajectories=4)
    for i, K in enumerate((0.5, 1.5)):
        single = simulate(MotorParams(K=K, V=1.0, temperature=0.2, noise="white", tau=0.5), key,
                          dt=0.05, time=30.0, burn_in=5.0, trajectories=4, plan=plan)
        np.testing.assert_allclose(res.trajectory_velocity[i], single.trajectory_velocity, rtol=1e-12)


def test_gradient_of_mean_power_with_fixed_keys_matches_the_closed_form(getkey):
    key = getkey()
    from jaxmotor.motor import noise_plan

    base = MotorParams(K=0.5, V=1.0, F_load=0.05, inertia=0.5, temperature=0.0, noise="white")
    plan = noise_plan(base, 0.02)

    def power(load):
        p = MotorParams(K=0.5, V=1.0, F_load=load, inertia=0.5, temperature=0.0, noise="white")
        return simulate(p, key, dt=0.02, time=60.0, burn_in=30.0, plan=plan).power_out

    grad = float(jax.grad(power)(0.05))
    expected = float(jax.grad(lambda f: cf.power_out(1.0, f, 0.5, False))(0.05))
    assert grad == pytest.approx(expected, rel=1e-6)


def test_default_burn_in_covers_the_slowest_relaxation():
    p = MotorParams(K=0.5, inertia=2.0, tau=1.0)
    assert default_burn_in(p) == pytest.approx(16 * max(2 * np.pi * 0.5 * 2.0, 2 * np.pi * 2.0, 1 / np.log(3)))
    with pytest.raises(ValueError, match="time=10.0 is not allowed: must exceed the default burn-in"):
        simulate(p, jax.random.key(0), dt=0.01, time=10.0)
    with pytest.raises(ValueError, match="burn_in=20.0 is not allowed"):
        simulate(p, jax.random.key(0), dt=0.01, time=10.0, burn_in=20.0)


@pytest.mark.parametrize("tau", [None, 0.05, 1.0], ids=["infinite-LL", "one-step-round-trip", "leads"])
def test_checkpoint_layout_and_unrolling_change_neither_results_nor_gradients(tau):
    """64-step segments (CPU default), none (the GPU default) and 7-step segments, with round trips
    shorter than a segment and records of 10 steps that are not a multiple of either, each step scan
    run one step per iteration or unrolled (8 as on a GPU, and 3, which divides none of the lengths):
    the memory buffer in visiting order and the steps grouped under checkpoints (without leads, as
    many as are unrolled, and a shorter last group) must give the same trajectories and gradient.
    The run (1203 steps) ends in a block shorter than the plan's and leaves 3 steps after its last
    record."""
    from jaxmotor.motor import LangevinSolver, noise_plan

    p = MotorParams(K=0.5, tau=tau, noise="white" if tau is None else "paper", temperature=0.1, F_load=0.03,
                    load_cos=[0.01])
    plan = noise_plan(p, 0.05, record_every=10)
    outputs = []
    for size, unroll in ((64, 1), (None, 1), (7, 1), (None, 8), (7, 3)):
        solver = LangevinSolver(segment=size, unroll=unroll)

        def power(x):  # F_load, temperature (the noise amplitude), a Fourier coefficient of the load
            res = simulate(MotorParams(K=0.5, tau=tau, noise=p.noise, temperature=x[1], F_load=x[0], load_cos=x[2:]),
                           jax.random.key(3), dt=0.05, time=60.15, trajectories=4, burn_in=10.0, record_every=10,
                           plan=plan, solver=solver)
            return res.power_out, res.velocity_series

        (value, series), grad = jax.value_and_grad(power, has_aux=True)(jnp.array([0.03, 0.1, 0.01]))
        outputs.append((float(value), np.asarray(series), np.asarray(grad)))
    assert np.all(outputs[0][2] != 0)
    for value, series, grad in outputs[1:]:
        assert value == pytest.approx(outputs[0][0], abs=1e-15)
        np.testing.assert_allclose(series, outputs[0][1], atol=1e-13)
        # colored noise: the temperature's derivative sums the cotangents of the filtered noise over
        # the steps in an order that depends on the layout (round-off ~1e-10 of the gradient's scale,
        # more relative to a small component)
        tol = (dict(rtol=1e-12) if tau is None else
               dict(rtol=1e-9, atol=1e-10 * float(np.max(np.abs(outputs[0][2])))))
        np.testing.assert_allclose(grad, outputs[0][2], **tol)


def _step_scan_primitives(jaxpr) -> set[str]:
    """Primitives in the bodies of the innermost scans (the Langevin step scans and, in a gradient,
    their linearized and transposed versions) of a jaxpr, at any depth. Comparisons of integers
    are named ``int_<primitive>`` (a step index compared), those of floats keep their name (the
    normal quantile's branches, drawn in the step)."""
    found = set()

    def name(e):
        comparison = e.primitive.name in ("lt", "le", "gt", "ge", "eq", "ne")
        integer = comparison and any(jnp.issubdtype(v.aval.dtype, jnp.integer) for v in e.invars)
        return f"int_{e.primitive.name}" if integer else e.primitive.name

    def subjaxprs(eqn):
        for value in eqn.params.values():
            for item in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(item, jax.extend.core.ClosedJaxpr):
                    yield item.jaxpr
                elif isinstance(item, jax.extend.core.Jaxpr):
                    yield item

    def names(jx):
        return {name(e) for e in jx.eqns} | {n for e in jx.eqns for sub in subjaxprs(e) for n in names(sub)}

    def visit(jx):
        for eqn in jx.eqns:
            for sub in subjaxprs(eqn):
                inner = names(sub)
                if eqn.primitive.name == "scan" and "scan" not in inner:
                    found.update(inner)
                else:
                    visit(sub)

    visit(jaxpr)
    return found


@pytest.mark.parametrize("tau", [None, 2.0], ids=["infinite-LL", "leads"])
def test_step_scans_have_no_reductions_or_index_comparisons(tau):
    """On a GPU a reduction ends the kernel that fuses the unrolled Langevin steps (3x the kernels of
    a forward run with a θ-dependent load when its Fourier sum was a jnp.sum; one reduction per
    parameter and step in the backward pass when the trajectories shared the parameters): the steps,
    their linearization and their transpose must stay elementwise across the trajectories, and take
    their per-step flags as inputs."""
    from jaxmotor.motor import noise_plan

    def params(x):
        return MotorParams(F_load=x[0], K=x[1], temperature=x[2], tau=tau, noise="white" if tau is None else "paper",
                           load_cos=x[3:5], load_sin=x[5:7])

    x0 = jnp.array([0.05, 0.5, 0.1, 0.01, 0.02, 0.01, 0.0])
    plan = noise_plan(params(x0), 0.05)

    def power(x):
        return simulate(params(x), jax.random.key(0), dt=0.05, time=30.0, trajectories=4, burn_in=10.0,
                        plan=plan).power_out

    for fn in (power, jax.grad(power)):
        primitives = _step_scan_primitives(jax.make_jaxpr(fn)(x0).jaxpr)
        assert {"sin", "cos", "mul"} <= primitives  # the step scans were found
        assert not {p for p in primitives if p.startswith(("reduce_", "argmax", "argmin", "cumsum"))}, primitives
        # the steps' flags (running, in the averaging window, first of it) arrive as inputs: compared
        # from a step index inside the loop, they were one more small kernel per iteration on a GPU
        assert not primitives & {"int_lt", "int_le", "int_gt", "int_ge", "int_eq", "int_ne"}, primitives
