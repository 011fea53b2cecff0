"""The composable core: ``ensemble`` (one parameter point, pure) under jit, vmap and grad against the
host driver ``simulate`` and finite differences with the same keys; the noise generator under the
same transforms; the cost that follows the steps (normals drawn counted in the jaxpr); chunking over
trajectories; the memory refusal; the labeled dataset."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.motor import LangevinSolver, MotorParams, _noise as noise, ensemble, noise_plan, simulate
from jaxmotor.motor._langevin import MotorResults

DT = 0.05


def _white(F_load=0.03, temperature=0.1, K=0.5):
    return MotorParams(K=K, V=1.0, F_load=F_load, inertia=0.5, temperature=temperature, noise="white")


def test_ensemble_under_jit_equals_the_host_driver_with_the_same_key(getkey):
    key = getkey()
    p = MotorParams(K=0.5, V=1.0, F_load=0.03, inertia=0.5, temperature=0.1, noise="paper", tau=1.0,
                    load_cos=jnp.array([0.01]))
    plan = noise_plan(p, DT, record_every=10)
    host = simulate(p, key, dt=DT, time=61.0, trajectories=3, burn_in=10.0, record_every=10, plan=plan)

    @jax.jit
    def run(p, key):
        return ensemble(p, key, dt=DT, steps=1220, trajectories=3, burn_in_steps=200, record_every=10, plan=plan)

    pure = run(p, key)
    assert isinstance(pure, MotorResults)
    for name in ("mean_velocity", "power_out", "velocity_variance", "trajectory_velocity", "velocity_series"):
        np.testing.assert_allclose(getattr(pure, name), getattr(host, name), rtol=1e-13, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(pure.times, host.times)


def test_vmap_of_ensemble_over_parameters_equals_the_batched_host_driver(getkey):
    key = getkey()
    loads, temperatures = jnp.array([0.0, 0.03, 0.06]), jnp.array([0.05, 0.1, 0.2])

    def one(load, temperature):  # MotorParams built from traced values: white noise needs no plan
        return ensemble(_white(load, temperature), key, dt=DT, steps=800, trajectories=4, burn_in_steps=100)

    batched = jax.jit(jax.vmap(one))(loads, temperatures)
    host = simulate(_white(loads, temperatures), key, dt=DT, time=40.0, trajectories=4, burn_in=5.0)
    assert batched.mean_velocity.shape == (3,)
    for name in ("mean_velocity", "mean_velocity_err", "power_out", "efficiency", "trajectory_velocity"):
        np.testing.assert_allclose(getattr(batched, name), getattr(host, name), rtol=1e-13, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("tau,kind", [(None, "white"), (1.0, "paper")], ids=["white", "paper-leads"])
def test_grad_of_ensemble_matches_finite_differences_and_the_host_driver(tau, kind, getkey):
    key = getkey()
    x0 = jnp.array([0.03, 0.1, 0.5])  # F_load, temperature, K
    plan = noise_plan(MotorParams(K=0.5, temperature=0.1, noise=kind, tau=tau), DT)

    def params(x):
        return MotorParams(K=x[2], V=1.0, F_load=x[0], inertia=0.5, temperature=x[1], noise=kind, tau=tau)

    def pure(x):
        return ensemble(params(x), key, dt=DT, steps=600, trajectories=2, burn_in_steps=100, plan=plan).power_out

    def host(x):
        return simulate(params(x), key, dt=DT, time=30.0, trajectories=2, burn_in=5.0, plan=plan).power_out

    grad = np.asarray(jax.jit(jax.grad(pure))(x0))
    # colored noise: the temperature's derivative sums the cotangents of the filtered noise over the
    # steps in an order that the program around it sets (round-off ~1e-10 of the gradient's scale,
    # more relative to a small component)
    tol = dict(rtol=1e-12) if kind == "white" else dict(rtol=1e-9, atol=1e-10 * np.max(np.abs(grad)))
    np.testing.assert_allclose(grad, jax.grad(host)(x0), **tol)
    # steps of 1e-3 relative: the stencil's truncation error (h⁴) is then far below the round-off of
    # the filter's FFTs (~1e-13 of the power, not smooth in T), which grows as 1/h
    h = 1e-3 * np.asarray(x0)
    points = np.asarray(x0) + np.array([-2, -1, 1, 2])[:, None, None] * np.diag(h)[None]  # (4, 3, 3)
    values = np.asarray(jax.jit(jax.vmap(jax.vmap(pure)))(jnp.asarray(points)))
    fd = ((values[0] - values[3]) + 8 * (values[2] - values[1])) / (12 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9 * np.max(np.abs(grad)))
    assert np.all(grad != 0)


def test_colored_noise_under_tracing_needs_an_explicit_plan_and_a_burn_in():
    def run(T):
        p = MotorParams(K=0.5, temperature=T, noise="paper")
        return ensemble(p, jax.random.key(0), dt=DT, steps=100, burn_in_steps=10).mean_velocity

    with pytest.raises(ValueError, match="^plan=None is not allowed: noise='paper' needs concrete"):
        jax.jit(run)(0.1)
    with pytest.raises(ValueError, match="^burn_in_steps=None is not allowed"):
        jax.jit(lambda F: ensemble(_white(F), jax.random.key(0), dt=DT, steps=100).mean_velocity)(0.01)
    with pytest.raises(ValueError, match="^params=.* is not allowed: ensemble takes one parameter point"):
        ensemble(_white(np.array([0.0, 0.1])), jax.random.key(0), dt=DT, steps=100)


def test_noise_generator_under_jit_vmap_and_grad(getkey):
    key = getkey()
    p = MotorParams(K=0.5, temperature=0.3, noise="paper", tau=0.5)
    plan = noise_plan(p, 0.1, steps=700)
    eager = noise.sample_noise(p, key, 0.1, 700, plan)
    tol = dict(rtol=1e-12, atol=1e-12 * float(jnp.max(jnp.abs(eager))))  # FFT round-off
    np.testing.assert_allclose(jax.jit(lambda k: noise.sample_noise(p, k, 0.1, 700, plan))(key), eager, **tol)
    keys = jax.random.split(key, 3)
    batched = jax.vmap(lambda k: noise.sample_noise(p, k, 0.1, 700, plan))(keys)
    np.testing.assert_allclose(batched[1], noise.sample_noise(p, keys[1], 0.1, 700, plan), **tol)

    # white noise ∝ √T: d Ξ_k/dT = Ξ_k/(2T), pathwise, for any T (no plan needed under grad)
    def first(T, k):
        return noise.sample_noise(MotorParams(K=0.5, temperature=T, noise="white"), key, 0.1, 300)[k]

    for k in (0, 299):
        np.testing.assert_allclose(jax.grad(first)(0.2, k), first(0.2, k) / 0.4, rtol=1e-12)


def _draws(jaxpr) -> dict:
    """Random numbers a program draws, times the trip counts of the scans around them: ``bits``,
    the sizes of its random_bits (threefry or the key's implementation), and ``counters``, the
    SplitMix64 outputs it computes (the counter normals, one float64 normal each)."""
    total = {"bits": 0, "counters": 0}
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "random_bits":
            total["bits"] += math.prod(eqn.params["shape"])
        # a SplitMix64 output is seed + (index + 1)·γ mixed: count the products with γ, whether a
        # block's counters (an iota) or one step's counter (white noise draws it in the step)
        if eqn.primitive.name == "mul" and any(
                isinstance(v, jax.extend.core.Literal) and np.asarray(v.val).dtype == np.uint64
                and int(v.val) == noise._WEYL for v in eqn.invars):
            total["counters"] += math.prod(eqn.outvars[0].aval.shape)
        trips = eqn.params.get("length", 1) if eqn.primitive.name == "scan" else 1
        for value in eqn.params.values():
            for item in value if isinstance(value, (tuple, list)) else (value,):
                inner = item.jaxpr if isinstance(item, jax.extend.core.ClosedJaxpr) else item
                if isinstance(inner, jax.extend.core.Jaxpr):
                    for name, count in _draws(inner).items():
                        total[name] += trips * count
    return total


@pytest.mark.parametrize("steps", [100, 200, 4097, 9001])
@pytest.mark.parametrize("kind", ["white", "paper"])
@pytest.mark.parametrize("normals", ["counter", "jax"])
def test_a_run_draws_the_normals_of_its_steps_only(steps, kind, normals):
    """The work follows the steps: one normal per step and trajectory (plus, for colored noise, the
    2·half_width white samples before t = 0 that the filter reaches back to), never a whole block.
    The counter normals draw one 64-bit seed per block (and one for the samples before t = 0)."""
    p = MotorParams(K=0.5, temperature=0.1, noise=kind, tau=None if kind == "white" else 1.0)
    solver = LangevinSolver(normals=normals)
    for plan in (noise_plan(p, DT), noise_plan(p, DT, steps=steps)):  # with a fixed block and one from steps
        jaxpr = jax.make_jaxpr(lambda k: ensemble(p, k, dt=DT, steps=steps, trajectories=1, burn_in_steps=0,
                                                  plan=plan, solver=solver).mean_velocity)(jax.random.key(0))
        draws = _draws(jaxpr.jaxpr)
        normals_needed = steps + 2 * plan.half_width
        if normals == "jax":
            assert draws == {"bits": normals_needed, "counters": 0}
        else:
            blocks = -(-steps // plan.chunk) + (plan.half_width > 0)
            assert draws == {"bits": blocks, "counters": normals_needed}
    if kind == "paper":  # a short run's FFT block is no longer than it needs
        assert noise_plan(p, DT, steps=steps).fft <= steps + 2 * noise_plan(p, DT).half_width
    assert noise_plan(p, DT, steps=steps).chunk <= steps


@pytest.mark.parametrize("steps,dtype", [(100, "float64"), (4097, "float64"), (4097, "float32")])
def test_normals_drawn_inside_the_steps_are_counted_and_change_nothing(steps, dtype, getkey):
    """White noise with the counter normals drawn in the step (LangevinSolver.noise_in_step): one
    normal per step and trajectory, no block (counted in the per-trajectory program the host driver
    runs), and the same results as the normals read from a block, per trajectory, to round-off
    (float32: its round-off accumulated over the run), with a θ-dependent load, a recorded series
    and a short last block."""
    from jaxmotor.motor._langevin import _chunk_kernel, _config

    p = MotorParams(K=0.5, V=1.0, F_load=0.02, inertia=0.5, temperature=0.1, noise="white",
                    load_cos=jnp.array([0.01]))
    cfg = _config(p, dt=DT, steps=steps, burn=10, record_every=None, initial_velocity=0.0, plan=None,
                  solver=LangevinSolver(segment=64, dtype=dtype))
    for in_step in (True, False):
        kernel = _chunk_kernel(cfg._replace(noise_in_step=in_step), None)
        jaxpr = jax.make_jaxpr(kernel)((jnp.int32(0), jax.random.key(0)), p.flatten(), jnp.ones((1,)))
        draws = _draws(jaxpr.jaxpr)
        # a float32 block takes two normals from each 64-bit output; a step takes its half of one
        full, rest = divmod(steps, cfg.plan.chunk)
        words = steps if in_step or dtype == "float64" else full * -(-cfg.plan.chunk // 2) + -(-rest // 2)
        assert draws == {"bits": full + (rest > 0), "counters": words}, (in_step, draws)
        if in_step:  # no (steps,)-long array of normals or counters anywhere in the program
            assert not any(len(v.aval.shape) and v.aval.shape[0] >= min(steps, 100) and
                           v.aval.dtype in (jnp.uint64, jnp.dtype(dtype)) for e in jaxpr.jaxpr.eqns
                           for v in e.outvars)
    key = getkey()
    runs = [simulate(p, key, dt=DT, time=steps * DT, trajectories=5, burn_in=0.5, record_every=steps // 4 or 1,
                     solver=LangevinSolver(segment=64, dtype=dtype, noise_in_step=flag)) for flag in (True, False)]
    rtol, atol, balance = (1e-12, 1e-14, 1e-12) if dtype == "float64" else (2e-4, 2e-5, 1e-4)
    for name in ("trajectory_velocity", "power_out", "power_noise", "velocity_series"):
        np.testing.assert_allclose(getattr(runs[0], name), getattr(runs[1], name), rtol=rtol, atol=atol,
                                   err_msg=name)
    assert runs[0].trajectory_velocity.dtype == np.dtype(dtype)
    assert float(runs[0].energy_balance_residual) < balance


@pytest.mark.parametrize("kind,tau", [("white", None), ("paper", 1.0)], ids=["white", "paper-leads"])
def test_chunking_over_trajectories_does_not_change_results(kind, tau, getkey):
    key = getkey()
    p = MotorParams(K=0.5, V=1.0, F_load=np.array([0.0, 0.04]), inertia=0.5, temperature=0.1, noise=kind, tau=tau)
    args = dict(dt=DT, time=50.0, trajectories=7, burn_in=5.0, record_every=10)
    whole = simulate(p, key, **args)
    from jaxmotor.motor._langevin import _config, bytes_per_trajectory

    cfg = _config(p, dt=DT, steps=1000, burn=100, record_every=10, initial_velocity=0.0, plan=None, solver=None)
    # 3 trajectories per chunk: 5 chunks, the last one padded; by the memory budget where the noise
    # block sets it (white noise keeps no block: its results would not fit such a budget)
    settings = {name: getattr(cfg.solver, name) for name in ("unroll", "segment", "noise_chunk", "dtype", "normals")}
    chunked = [simulate(p, key, **args, solver=LangevinSolver(**settings, trajectory_chunk=3))]
    if kind == "paper":
        chunked.append(simulate(p, key, **args, memory_budget=3.5 * bytes_per_trajectory(cfg)))
    for run in chunked:
        for name in ("mean_velocity", "velocity_variance_err", "power_out", "trajectory_velocity", "velocity_series",
                     "energy_balance_residual"):
            # trajectories depend on their keys alone; XLA may vectorize a chunk's trajectories
            # differently (fused multiply-adds), which moves the last bit at most
            np.testing.assert_allclose(getattr(run, name), getattr(whole, name), rtol=1e-14, atol=1e-15,
                                       err_msg=name)


def test_a_run_that_cannot_fit_or_is_absurd_is_refused_up_front():
    p = _white()
    with pytest.raises(ValueError, match="^trajectories=100000 is not allowed: the results of 1 point"):
        simulate(p, jax.random.key(0), dt=DT, time=1000.0, trajectories=100_000, burn_in=1.0, record_every=1,
                 memory_budget=2**30)
    with pytest.raises(ValueError, match="^time=1e\\+20 is not allowed"):
        simulate(p, jax.random.key(0), dt=DT, time=1e20, burn_in=1.0)
    with pytest.raises(ValueError, match="^memory_budget=-1"):
        simulate(p, jax.random.key(0), dt=DT, time=10.0, burn_in=1.0, memory_budget=-1)


def test_solver_settings_are_validated_data():
    solver = LangevinSolver.default("cpu")
    assert (solver.unroll, solver.segment) == (1, 64)
    assert (LangevinSolver.default("gpu").unroll, LangevinSolver.default("gpu").segment) == (8, None)
    assert hash(solver) == hash(LangevinSolver.default("cpu"))  # static data: a jit cache key
    with pytest.raises(ValueError, match="^unroll=0 is not allowed"):
        LangevinSolver(unroll=0)
    with pytest.raises(ValueError, match="^dtype='float16' is not allowed"):
        LangevinSolver(dtype="float16")
    with pytest.raises(ValueError, match="^noise_in_step='yes' is not allowed: expected None, True or False"):
        LangevinSolver(noise_in_step="yes")


def test_results_as_a_labeled_dataset(getkey):
    p = _white(np.array([[0.0, 0.02, 0.04]]), np.array([[0.1], [0.2]]))
    res = simulate(p, getkey(), dt=DT, time=20.0, trajectories=3, burn_in=5.0, record_every=40)
    ds = res.to_dataset(("temperature", "load"), coords={"load": [0.0, 0.02, 0.04]})
    assert ds["mean_velocity"].dims == ("temperature", "load")
    assert ds["trajectory_velocity"].dims == ("temperature", "load", "trajectory")
    assert ds["velocity_series"].dims == ("temperature", "load", "trajectory", "record")
    np.testing.assert_allclose(ds["time"].values, res.times)
    np.testing.assert_array_equal(ds["power_out"].values, res.power_out)
    assert ds.attrs["burn_in"] == res.burn_in
    assert res.to_dataset()["mean_velocity"].dims == ("batch_0", "batch_1")
    with pytest.raises(ValueError, match="^batch_dims="):
        res.to_dataset(("load",))
