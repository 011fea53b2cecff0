"""Langevin ensembles of the Thouless motor (motor paper Eqs. 35, 59; SPEC §2).

    I θ̈ = V/(2π) - F(θ) - γ₀ [θ̇ + 2A(t)] + ξ(t),   A(t) = Σ_{n≥1} r^n θ̇(t - nτ)

**Scheme** (time step h, θ̇ = v). Over one step the instantaneous friction is integrated exactly
(exponential integrator, λ = γ₀/I, z = -λh) against a force G(s) = V/2π - F - 2γ₀A(s) + Ξ_k/h
that is linear in s: the memory A is linear between its exact values A_k and A_{k+1} (both known:
A(t) = r [v(t-τ) + A(t-τ)], a buffer of B = v + A over one τ, no truncation of the sum), a
constant load is exact, a θ-dependent load is linear between F(θ_k) and F at the predicted θ_{k+1}
(ETD2 predictor-corrector), and the noise enters through its exact step integral Ξ_k
(:mod:`~jaxmotor.motor.noise`):

    v_{k+1} = e^z v_k + (h/I) [φ₁(z) G₀ + φ₂(z)(G₁ - G₀)],     θ_{k+1} = θ_k + h (v_k + v_{k+1})/2.

The deterministic part is second order in h (tested); the stiff friction rate 1/(2πKI) costs no
stability.

**Energy balance.** Per step the forces the scheme applies, averaged over the step, are the bias
V/2π, the load (F₀+F₁)/2, the noise Ξ_k/h and the friction γ₀ Δθ_exact/h + γ₀(A_k + A_{k+1})
(instantaneous + memory), where Δθ_exact = h φ₁ v_k + (h²/I)[φ₂ G₀ + φ₃ (G₁-G₀)] is the exact ∫v of
the step. Their work over Δθ = h(v_k+v_{k+1})/2 balances the kinetic energy I(v_{k+1}² - v_k²)/2
identically, so with P_diss = (friction - noise)·θ̇ (the net heat into the electrons)

    P_in = P_load + P_diss + d(Iθ̇²/2)/dt

holds to round-off on every trajectory; the residual is computed from independently coded terms and
reported. Without noise P_diss is the friction power of SPEC §2.

**Ensembles.** ``simulate`` is a ``lax.scan`` over noise blocks and steps, vmapped over trajectories
and over the flattened parameter batch; every parameter point uses the same trajectory keys (common
random numbers). Observables are accumulated on the fly after a burn-in, so memory does not grow with
the number of steps; an optional thinned time series is recorded.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from .._validate import check_int, check_range, fail
from .noise import NoisePlan, initial_tail, noise_block, noise_filter, noise_plan
from .params import TRIG_NAME, MotorParams


class MotorResults(eqx.Module):
    """Steady-state observables of an ensemble, per parameter point (shape ``*batch``), with
    standard errors from the independent trajectories. Units ħ = e = k_B = 1.

    Attributes:
        mean_velocity, mean_velocity_err: ⟨θ̇⟩ over the window after the burn-in (rad/time).
        current, current_err: pumped current ⟨θ̇⟩/2π (Eq. 38).
        velocity_variance, velocity_variance_err: ⟨θ̇²⟩ - ⟨θ̇⟩², pooled over time and trajectories.
        power_in: V⟨θ̇⟩/2π; power_out: ⟨F(θ)θ̇⟩; power_dissipated: net heat (friction - noise)·θ̇;
            power_friction, power_noise: its two parts. Each ``*_err`` its standard error.
        efficiency, efficiency_err: power_out/power_in (delta-method error).
        energy_balance_residual: the largest relative residual of P_in = P_load + P_diss + dE_kin/dt
            over the trajectories (|W_in - W_load - W_diss - ΔE_kin| / (|W_in| + |W_load| + |W_friction|
            + |W_noise| + |ΔE_kin|) over the averaging window).
        trajectory_velocity: time-averaged θ̇ of each trajectory, (*batch, trajectories).
        trajectory_residual: the relative energy-balance residual of each trajectory.
        times: record times (records,) or None; theta_series, velocity_series: θ and θ̇ at those
            times, (*batch, trajectories, records), or None.
        dt, time, burn_in: the step, the total time and the burn-in excluded from the averages.
    """

    mean_velocity: Float[Array, "*batch"]
    mean_velocity_err: Float[Array, "*batch"]
    current: Float[Array, "*batch"]
    current_err: Float[Array, "*batch"]
    velocity_variance: Float[Array, "*batch"]
    velocity_variance_err: Float[Array, "*batch"]
    power_in: Float[Array, "*batch"]
    power_in_err: Float[Array, "*batch"]
    power_out: Float[Array, "*batch"]
    power_out_err: Float[Array, "*batch"]
    power_dissipated: Float[Array, "*batch"]
    power_dissipated_err: Float[Array, "*batch"]
    power_friction: Float[Array, "*batch"]
    power_noise: Float[Array, "*batch"]
    efficiency: Float[Array, "*batch"]
    efficiency_err: Float[Array, "*batch"]
    energy_balance_residual: Float[Array, "*batch"]
    trajectory_velocity: Float[Array, "*batch trajectories"]
    trajectory_residual: Float[Array, "*batch trajectories"]
    times: Float[Array, " records"] | None
    theta_series: Float[Array, "*batch trajectories records"] | None
    velocity_series: Float[Array, "*batch trajectories records"] | None
    dt: float = eqx.field(static=True)
    time: float = eqx.field(static=True)
    burn_in: float = eqx.field(static=True)


# Steps per innermost checkpoint of the backward pass, per backend. On a CPU 64-step segments cut the
# backward memory ~3.5x and make the gradient faster (cache); on a GPU the recomputation costs more
# than it saves in most cases (H200, unrolled: gradient/forward 2.4x, 4.1x, 2.3x, 3.5x without,
# 3.1x, 4.1x, 2.5x, 3.1x with), and the memory stays bounded by the per-block checkpoints anyway
# (benchmarks/bench_motor_gradients.py, benchmarks/results/motor_gradients_gpu_h200.json).
_SEGMENT = {"cpu": 64}

# Langevin steps per iteration of the step scans, per backend. A GPU runs a step's few elementwise
# operations as separate small kernels, so its time is launch overhead: 8 steps per iteration fuse
# into the same kernels (H200, 1024 trajectories: forward 4.7x, gradient 6.4x faster). On a CPU
# unrolling gains nothing and slows the θ-dependent load's forward run.
_UNROLL = {"gpu": 8}


# A segment's backward pass keeps cos θ, sin θ of a θ-dependent load instead of evaluating them again.
_KEEP_TRIG = jax.checkpoint_policies.save_only_these_names(TRIG_NAME)


def segment_steps() -> int | None:
    """Innermost checkpoint length for this backend (None: no segment checkpoints)."""
    return _SEGMENT.get(jax.default_backend())


def phi_functions(z: Float[Array, "*n"]) -> tuple[Array, Array, Array]:
    """φ₁ = (e^z - 1)/z, φ₂ = (φ₁ - 1)/z, φ₃ = (φ₂ - 1/2)/z, accurate for all z ≤ 0 (Taylor series
    for |z| < 1/4 where the recursion would cancel; safe for gradients at z = 0)."""
    small = jnp.abs(z) < 0.25
    zs = jnp.where(small, -1.0, z)
    phi1 = jnp.expm1(zs) / zs
    phi2 = (phi1 - 1) / zs
    phi3 = (phi2 - 0.5) / zs
    zt = jnp.where(small, z, 0.0)
    series = []
    for k in (1, 2, 3):
        terms = [zt**j / math.factorial(j + k) for j in range(16)]
        series.append(sum(terms[::-1]))
    return tuple(jnp.where(small, s, c) for s, c in zip(series, (phi1, phi2, phi3)))


def default_burn_in(params: MotorParams) -> float:
    """16 times the slowest relaxation time in the batch (host side): the friction time 2πK·I, with
    leads also 2π·I (the dc friction Γ(0) = 1/2π) and the memory decay τ/(-ln|r|) of |r|^n."""
    K = np.asarray(params.K, dtype=float)
    inertia = np.asarray(params.inertia, dtype=float)
    slowest = float(np.max(2 * np.pi * K * inertia))
    if params.leads:
        slowest = max(slowest, float(np.max(2 * np.pi * inertia)))
        r = float(np.max(np.abs(np.asarray(params.reflection))))
        if r > 0:
            slowest = max(slowest, params.tau / -math.log(r))
    return 16 * slowest


def _trajectory(p: MotorParams, generator, key, *, dt, steps, burn, every, plan: NoisePlan, v0, progress):
    """One trajectory of one parameter point: accumulated works (after the burn-in) and records."""
    m = max(plan.steps_per_round_trip, 1)
    g0 = p.gamma0
    lam = g0 / p.inertia
    z = -lam * dt
    decay = jnp.exp(z)
    phi1, phi2, phi3 = phi_functions(z)
    r, bias, inertia = p.reflection, p.bias_force, p.inertia
    load = p.load_function()  # its coefficients taken apart here, outside the step loops
    # white noise: the step scales unit normals by the amplitude √c₀ itself, so that a gradient needs
    # no cotangent per step of the noise (stored by one more kernel per iteration on a GPU) but only
    # the amplitude's, accumulated like a parameter's; colored noise enters filtered (noise_block)
    amplitude, block_generator = (generator, 1.0) if plan.white else (None, generator)

    def step(carry, inputs):
        theta, v, A0, acc = carry
        flags, xi_int, B_old = inputs
        xi = xi_int / dt if amplitude is None else amplitude * xi_int / dt
        # the memory friction 2γ₀A; without leads A ≡ 0 is neither carried nor added (a carried zero
        # was a scalar copy per scan iteration, forward and back: a kernel each on a GPU)
        A1 = r * B_old if p.leads else None
        memory0, memory1 = (2 * g0 * A0, 2 * g0 * A1) if p.leads else (0.0, 0.0)
        F0 = load(theta)
        G0 = bias - F0 - memory0 + xi
        G1 = bias - F0 - memory1 + xi
        F1 = F0
        if p.theta_dependent_load:  # predictor: the load held at F(θ_k) over the step
            v_pred = decay * v + dt / inertia * (phi1 * G0 + phi2 * (G1 - G0))
            F1 = load(theta + 0.5 * dt * (v + v_pred))
            G1 = bias - F1 - memory1 + xi
        v1 = decay * v + dt / inertia * (phi1 * G0 + phi2 * (G1 - G0))
        dtheta = 0.5 * dt * (v + v1)
        dtheta_exact = dt * phi1 * v + dt**2 / inertia * (phi2 * G0 + phi3 * (G1 - G0))
        friction = g0 * dtheta_exact / dt + (g0 * (A0 + A1) if p.leads else 0.0)
        # the bias (and a constant load) do the work force × Σ Δθ: only the rest is accumulated
        works = {"theta": dtheta, "v2": 0.5 * dt * (v**2 + v1**2), "friction": friction * dtheta,
                 "noise": xi * dtheta}
        if p.theta_dependent_load:
            works["load"] = 0.5 * (F0 + F1) * dtheta
        active, window, first = flags  # k < steps (not padding), in the averaging window, k == burn
        acc = {**{name: acc[name] + jnp.where(window, w, 0.0) for name, w in works.items()},
               "v_start": jnp.where(first, v, acc["v_start"])}
        B_new = v1 + A1 if p.leads else None  # unmasked: a padding step's entry is read by no active step
        theta, v = jnp.where(active, theta + dtheta, theta), jnp.where(active, v1, v)
        A0 = jnp.where(active, A1, A0) if p.leads else None
        return (theta, v, A0, acc), B_new

    def steps_of(carry, flags, xi):
        """A run of at most one round trip of steps. The memory buffer is kept in the order the steps
        visit it (step k reads B from step k + 1 - m and writes B_k+1 in its place), so the run takes
        its first len(xi) entries as scan inputs and appends their successors: no dynamic indexing,
        and the backward pass moves scalars, not the buffer, per step."""
        theta, v, A0, buf, acc = carry
        n = xi.shape[0]
        old = buf[:n] if p.leads else None
        unroll = _UNROLL.get(jax.default_backend(), 1)
        # checkpoints of a few steps: the backward pass keeps only their inputs (θ, θ̇, A and the
        # accumulators) and evaluates the steps' few operations again in its reverse sweep. Kept, the
        # intermediates (trig values, masks, partial forces) are a dozen arrays per step, written by
        # as many kernels on a GPU, each fusing the unrolled steps again (benchmarks/gpu_kernels.py).
        # Without leads one checkpoint holds the ``unroll`` steps of an iteration, so the state is
        # kept once per iteration (per step: two more copies and writes per iteration); with leads
        # one step, as the forward run's buffer writes fuse only so. Inside a segment checkpoint its
        # policy still keeps cos θ, sin θ (without it the CPU gradient of a θ-dependent load takes
        # 2-2.4x longer).
        size = 1 if p.leads else unroll  # steps per checkpoint
        whole = n // size * size
        inputs = (flags, xi, old)
        steps = jax.checkpoint(partial(jax.lax.scan, step, unroll=True) if size > 1 else step, prevent_cse=False)
        grouped = jax.tree.map(lambda x: x[:whole].reshape((-1, size) + x.shape[1:]), inputs) if size > 1 else inputs
        carry, B_new = jax.lax.scan(steps, (theta, v, A0, acc), grouped, unroll=unroll // size)
        if whole < n:  # a shorter last group (only without leads: no buffer)
            carry, _ = steps(carry, jax.tree.map(lambda x: x[whole:], inputs))
        theta, v, A0, acc = carry
        return theta, v, A0, (jnp.concatenate([buf[n:], B_new]) if p.leads else buf), acc

    def segment(carry, inputs):
        return steps_of(carry, *inputs), None

    def record(carry, inputs):
        # checkpointed segments (see _SEGMENT): the backward pass recomputes one segment at a time;
        # with leads a segment is at most one round trip (steps_of)
        flags, xi = inputs
        checkpoint = segment_steps()
        size = min(checkpoint or every, m) if p.leads else checkpoint
        n = every // size * size if size else 0
        if n:
            # prevent_cse=False: inside a scan XLA cannot merge the recomputation with the forward pass
            # anyway (JAX's advice for checkpoints in scans), and the barriers only cost fusion
            kept = jax.checkpoint(segment, policy=_KEEP_TRIG, prevent_cse=False) if checkpoint else segment
            carry, _ = jax.lax.scan(kept, carry, jax.tree.map(lambda x: x[:n].reshape(-1, size), (flags, xi)))
        if n < every:
            carry = steps_of(carry, *jax.tree.map(lambda x: x[n:], (flags, xi)))
        return carry, (carry[0], carry[1])

    per_record = plan.chunk // every
    blocks = -(-steps // plan.chunk)

    # the backward pass keeps (carry, noise tail) per block of ``chunk`` steps
    @partial(jax.checkpoint, prevent_cse=False)
    def advance(state, b):
        carry, tail = state
        xi, tail = noise_block(block_generator, key, b, tail, plan)
        k = b * plan.chunk + jnp.arange(plan.chunk)
        # the steps' flags, computed here for the block: inside the step loops the comparisons of a step
        # index were one more small kernel per iteration on a GPU (benchmarks/gpu_kernels.py)
        active = k < steps
        flags = tuple(f.reshape(per_record, every) for f in (active, active & (k >= burn), k == burn))
        inputs = (flags, xi.reshape(per_record, every))
        carry, series = jax.lax.scan(record, carry, inputs)
        return (carry, tail), series

    def block(state, b):
        state, series = advance(state, b)
        if progress is not None:  # one host call per block of ``chunk`` steps, never per step
            jax.debug.callback(progress, b + 1, blocks)
        return state, series

    zero = jnp.zeros(())
    acc = {name: zero for name in ("theta", "v2", "friction", "noise", "v_start")}
    if p.theta_dependent_load:
        acc["load"] = zero
    buf = jnp.zeros(m).at[-1].set(v0) if p.leads else jnp.zeros(1)  # B_0 = v(0), read by step m - 1; at rest before
    carry = (zero, zero + v0, zero if p.leads else None, buf, acc)
    (carry, _), (theta_series, velocity_series) = jax.lax.scan(
        block, (carry, initial_tail(key, plan)), jnp.arange(blocks))
    acc = carry[4]
    records = steps // every
    return acc, carry[1], theta_series.reshape(-1)[:records], velocity_series.reshape(-1)[:records]


def _error(samples: Float[Array, "*b n"]) -> Float[Array, "*b"]:
    n = samples.shape[-1]
    return jnp.std(samples, axis=-1, ddof=1) / jnp.sqrt(n) if n > 1 else jnp.full(samples.shape[:-1], jnp.nan)


@partial(jax.jit, static_argnames=("dt", "steps", "burn", "every", "plan", "v0", "recording", "progress"))
def _ensemble(flat: MotorParams, keys, *, dt, steps, burn, every, plan, v0, recording, progress):
    def point(p):
        generator = noise_filter(p, dt, plan)
        # per-trajectory copies of the parameters (and of a white-noise amplitude, which the step
        # applies): inside the step scans they are then batched like the state, so the backward pass
        # accumulates their cotangents elementwise and sums them over the trajectories once, after
        # the scans (shared, they are summed over the trajectories at every step: one reduction per
        # parameter and step, a kernel each on a GPU)
        arrays, static = eqx.partition(p, eqx.is_array)
        copies = jax.tree.map(lambda x: jnp.broadcast_to(x, keys.shape[:1] + x.shape),
                              (arrays, generator) if plan.white else arrays)

        def run(copy, key):
            arrays, noise_generator = copy if plan.white else (copy, generator)
            return _trajectory(eqx.combine(arrays, static), noise_generator, key, dt=dt, steps=steps, burn=burn,
                               every=every, plan=plan, v0=v0, progress=progress)

        acc, v_end, theta_series, velocity_series = jax.vmap(run)(copies, keys)
        window = (steps - burn) * dt
        velocity = acc["theta"] / window
        mean_v = jnp.mean(velocity)
        # pooled variance = mean within-trajectory variance + spread of the trajectory means; this
        # split keeps the per-trajectory estimates free of the 2⟨θ̇⟩δθ̇ cross term (smaller errors)
        n = velocity.shape[0]
        v2 = acc["v2"] / window - velocity**2 + (velocity - mean_v) ** 2 * (n / max(n - 1, 1))
        work_in = p.bias_force * acc["theta"]
        work_load = acc["load"] if p.theta_dependent_load else p.F_load * acc["theta"]
        p_in, p_out = work_in / window, work_load / window
        p_fric, p_noise = acc["friction"] / window, acc["noise"] / window
        p_diss = p_fric - p_noise
        kinetic = 0.5 * p.inertia * (v_end**2 - acc["v_start"] ** 2)
        scale = jnp.abs(work_in) + jnp.abs(work_load) + jnp.abs(acc["friction"]) + jnp.abs(acc["noise"]) + jnp.abs(kinetic)
        residual = jnp.abs(work_in - work_load - (acc["friction"] - acc["noise"]) - kinetic) / scale
        efficiency = jnp.mean(p_out) / jnp.mean(p_in)
        out = {
            "mean_velocity": mean_v, "mean_velocity_err": _error(velocity),
            "current": mean_v / (2 * jnp.pi), "current_err": _error(velocity) / (2 * jnp.pi),
            "velocity_variance": jnp.mean(v2), "velocity_variance_err": _error(v2),
            "power_in": jnp.mean(p_in), "power_in_err": _error(p_in),
            "power_out": jnp.mean(p_out), "power_out_err": _error(p_out),
            "power_dissipated": jnp.mean(p_diss), "power_dissipated_err": _error(p_diss),
            "power_friction": jnp.mean(p_fric), "power_noise": jnp.mean(p_noise),
            "efficiency": efficiency, "efficiency_err": _error((p_out - efficiency * p_in) / jnp.mean(p_in)),
            "energy_balance_residual": jnp.max(residual),
            "trajectory_velocity": velocity, "trajectory_residual": residual,
        }
        if recording:
            out["theta_series"], out["velocity_series"] = theta_series, velocity_series
        return out

    return jax.vmap(point)(flat)


def simulate(
    params: MotorParams,
    key: PRNGKeyArray,
    *,
    dt: float,
    time: float,
    trajectories: int = 1,
    burn_in: float | None = None,
    record_every: int | None = None,
    initial_velocity: float = 0.0,
    plan: NoisePlan | None = None,
    progress: Callable[[Array, int], None] | None = None,
) -> MotorResults:
    """Integrate an ensemble of motor trajectories for every parameter point of ``params``.

    Args:
        params: the motor; array fields may carry a batch shape, results keep it.
        key: one PRNG key (any implementation: threefry, rbg, ...); trajectory i uses
            ``split(key, trajectories)[i]`` at every parameter point.
        dt: time step h (1/energy); ``tau`` must be a multiple of it.
        time: total simulated time; ``round(time/dt)`` steps.
        trajectories: independent trajectories per point.
        burn_in: start-up time excluded from the averages (default :func:`default_burn_in`,
            rounded to whole steps; it must leave at least one step).
        record_every: record θ and θ̇ every this many steps (default: no time series).
        initial_velocity: θ̇(0); the motor is at rest before t = 0 (the memory sees θ̇ = 0).
        plan: the noise generator's sizes (default :func:`~jaxmotor.motor.noise.noise_plan` of the
            concrete parameters; pass it when ``params`` are traced, e.g. under ``jax.grad``).
        progress: optional host function ``progress(done_blocks, blocks)`` called (through
            ``jax.debug.callback``) after each block of ``plan.chunk`` steps; None traces no callback.

    Returns:
        :class:`MotorResults` with leading axes ``params.batch_shape``.
    """
    check_range("dt", dt, low=0.0, low_inclusive=False)
    check_range("time", time, low=0.0, low_inclusive=False)
    check_range("initial_velocity", initial_velocity)
    trajectories = check_int("trajectories", trajectories, low=1)
    steps = round(time / dt)
    if steps < 1:
        fail("time", time, f"must be at least one step dt={dt!r}")
    if burn_in is None:
        burn_in = default_burn_in(params)
        if burn_in >= time:
            fail("time", time, f"must exceed the default burn-in {burn_in:.4g} (16 relaxation times); "
                 "run longer or set burn_in")
    check_range("burn_in", burn_in, low=0.0)
    burn = math.ceil(burn_in / dt - 1e-9)
    if burn >= steps:
        fail("burn_in", burn_in, f"must be shorter than the time {time!r}")
    every = check_int("record_every", record_every, low=1) if record_every is not None else None
    if plan is None:
        plan = noise_plan(params, dt, record_every=every or 1)
    elif every is not None and plan.chunk % every:
        fail("record_every", every, f"must divide the plan's chunk {plan.chunk}")
    shape = params.batch_shape
    keys = jax.random.split(key, trajectories)
    out = _ensemble(params.flatten(), keys, dt=float(dt), steps=steps, burn=burn, every=every or plan.chunk,
                    plan=plan, v0=float(initial_velocity), recording=every is not None, progress=progress)
    out = {k: v.reshape(shape + v.shape[1:]) for k, v in out.items()}
    times = dt * every * jnp.arange(1, steps // every + 1) if every is not None else None
    series = {name: out.pop(name, None) for name in ("theta_series", "velocity_series")}
    return MotorResults(**out, **series, times=times, dt=float(dt), time=steps * dt, burn_in=burn * dt)
