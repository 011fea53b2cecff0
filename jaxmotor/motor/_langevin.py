"""Langevin ensembles of the Thouless motor (motor paper Eqs. 35, 59; docs/physics.md §2).

    I θ̈ = V/(2π) - F(θ) - γ₀ [θ̇ + 2A(t)] + ξ(t),   A(t) = Σ_{n≥1} r^n θ̇(t - nτ)

**Scheme** (time step h, θ̇ = v). Over one step the instantaneous friction is integrated exactly
(exponential integrator, λ = γ₀/I, z = -λh) against a force G(s) = V/2π - F - 2γ₀A(s) + Ξ_k/h
that is linear in s: the memory A is linear between its exact values A_k and A_{k+1} (both known:
A(t) = r [v(t-τ) + A(t-τ)], a buffer of B = v + A over one τ, no truncation of the sum), a
constant load is exact, a θ-dependent load is linear between F(θ_k) and F at the predicted θ_{k+1}
(ETD2 predictor-corrector), and the noise enters through its exact step integral Ξ_k
(:mod:`jaxmotor.motor._noise`):

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
reported. Without noise P_diss is the friction power of docs/physics.md §2.

**Ensembles.** :func:`ensemble` is the pure one-point function: the trajectories (one per key,
``lax.scan`` over noise blocks and steps, vmapped over the keys), then their statistics; it
composes with ``jit``, ``vmap`` and ``grad``. :func:`simulate` is its host driver over a parameter
batch: every (point, trajectory) pair is one item of :func:`jaxmotor.batching.run`, chunked to a
memory budget, and the statistics are taken per point afterwards, so the chunking never changes a
result; every parameter point uses the same trajectory keys (common random numbers). Observables
are accumulated on the fly after a burn-in, so memory does not grow with the number of steps; an
optional thinned time series is recorded. The noise is drawn for the steps of the run only (the
last block is as long as the steps left): the cost follows trajectories × steps. Loop layout,
checkpoints, noise blocks and precision are data: :class:`LangevinSolver`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache, partial
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from .._validate import check_int, check_range, fail
from ._noise import (
    NORMALS,
    NoisePlan,
    counter_normal,
    counter_seed,
    initial_tail,
    noise_block,
    noise_filter,
    noise_plan,
    steps_per_round_trip,
)
from ._params import TRIG_NAME, MotorParams


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
        diffusion, diffusion_err: the diffusion coefficient of θ, Var(Δθ)/(2t) over the trajectories'
            windows of length t (rad²/time; biased by ~relaxation time/t). White-noise closed form
            2πK_eff·T (:func:`~jaxmotor.motor.closed_forms.diffusion_coefficient`).
        fano_factor, fano_factor_err: the current noise of the pumped charge Q = Δθ/2π,
            Var(Q)/⟨Q⟩ (units of e); closed form 2T/(V - 2πF_load)
            (:func:`~jaxmotor.motor.closed_forms.fano_factor`).
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
    diffusion: Float[Array, "*batch"]
    diffusion_err: Float[Array, "*batch"]
    fano_factor: Float[Array, "*batch"]
    fano_factor_err: Float[Array, "*batch"]
    trajectory_velocity: Float[Array, "*batch trajectories"]
    trajectory_residual: Float[Array, "*batch trajectories"]
    times: Float[Array, " records"] | None
    theta_series: Float[Array, "*batch trajectories records"] | None
    velocity_series: Float[Array, "*batch trajectories records"] | None
    dt: float = eqx.field(static=True)
    time: float = eqx.field(static=True)
    burn_in: float = eqx.field(static=True)

    def to_dataset(self, batch_dims: tuple[str, ...] | None = None, coords: dict | None = None,
                   attrs: dict | None = None):
        """The results as an ``xarray.Dataset``.

        Dimensions: the batch dims (``batch_dims``, default ``batch_0, batch_1, ...``), then
        ``trajectory`` for the per-trajectory arrays and ``record`` for the series (with the
        coordinate ``time`` over ``record``). Attributes: ``dt``, ``time``, ``burn_in`` and ``attrs``.

        Args:
            batch_dims: names of the batch axes, as many as the results have.
            coords: coordinates, e.g. ``{"load": loads}`` for ``batch_dims=("load",)``.
            attrs: further attributes.
        """
        import dataclasses

        import xarray as xr

        ndim = np.ndim(self.mean_velocity)
        dims = tuple(batch_dims) if batch_dims is not None else tuple(f"batch_{i}" for i in range(ndim))
        if len(dims) != ndim:
            fail("batch_dims", dims, f"expected {ndim} names (the results' batch shape {np.shape(self.mean_velocity)})")
        trailing = {"trajectory_velocity": ("trajectory",), "trajectory_residual": ("trajectory",),
                    "theta_series": ("trajectory", "record"), "velocity_series": ("trajectory", "record")}
        variables = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.metadata.get("static", False) or value is None or field.name == "times":
                continue
            variables[field.name] = (dims + trailing.get(field.name, ()), np.asarray(value))
        all_coords = dict(coords or {})
        if self.times is not None:
            all_coords["time"] = ("record", np.asarray(self.times))
        return xr.Dataset(variables, coords=all_coords,
                          attrs={"dt": self.dt, "time": self.time, "burn_in": self.burn_in, **(attrs or {})})


class LangevinSolver(eqx.Module):
    """How :func:`ensemble` and :func:`simulate` integrate: loop layout, checkpoints, noise blocks
    and precision (static settings; changing one recompiles). No setting changes a result beyond
    round-off except ``dtype`` (and ``noise_chunk``, which moves the block boundaries at which the
    white noise is drawn from the key: another, equally valid, noise realization).

    Attributes:
        unroll: Langevin steps per iteration of the step scans. A GPU runs a step's few
            elementwise operations as separate small kernels, so its time is launch overhead: 8 steps
            per iteration fuse into the same kernels (H200, 1024 trajectories: forward 4.7x,
            gradient 6.4x faster). On a CPU unrolling gains nothing and slows the θ-dependent load's
            forward run.
        segment: steps per innermost checkpoint of the backward pass, or None. On a CPU 64-step
            segments cut the backward memory ~3.5x and make the gradient faster (cache); on a GPU the
            recomputation costs more than it saves in most cases (H200, unrolled: gradient/forward
            2.4x, 4.1x, 2.3x, 3.5x without, 3.1x, 4.1x, 2.5x, 3.1x with), and the memory stays
            bounded by the per-block checkpoints anyway (benchmarks/bench_motor_gradients.py).
        noise_chunk: steps per noise block (colored noise: the FFT block, at least twice the filter).
            A run's last block is as long as the steps left: the cost follows the steps.
        trajectory_chunk: at most this many trajectories per call of the host driver
            (:func:`simulate`), or None (as many as the memory budget allows). Each call costs a
            dispatch and a copy of its results; a block of noise drawn beforehand is faster in
            chunks that stay in the cache. White noise with the counter normals (drawn inside the
            step) keeps only a few numbers per trajectory, so one call of many trajectories is
            fastest (2-core CPU, 65536 x 200 steps: 0.14 s in one call, 0.32 s in chunks of 1024);
            with ``normals="jax"`` chunks of 1024 are (0.43 s against 0.89 s in one;
            benchmarks/bench_motor.py). The chunking never changes a result.
        dtype: ``"float64"`` (default) or ``"float32"`` (state, noise and accumulators; about 2x
            faster on a CPU, much more on consumer GPUs). float32 is safe for the mean velocity,
            the velocity variance and the powers to their statistical errors (tests/motor/
            test_dtype.py); the energy-balance residual is then ~1e-6 instead of round-off 1e-15,
            and the accumulated works lose relative precision ~1e-7·√steps.
        normals: how the unit normals behind the noise are drawn from each trajectory's key
            (:func:`~jaxmotor.motor._noise.unit_normals`): ``"counter"`` (default) a SplitMix64
            counter sequence seeded from the key and the inverse normal CDF in ``dtype``, about
            4x faster than ``"jax"``, ``jax.random.normal`` in ``dtype``. Either is a valid
            noise realization; they differ in the realization, not in its statistics.
        noise_in_step: white noise with the counter normals only: whether :func:`simulate` draws
            each step's normal inside the step (the same numbers, computed where they are used:
            no block of noise written, transposed and read back) instead of a block beforehand.
            None (default): inside the step, except for runs of fewer than ``IN_STEP_FROM``
            trajectories on a single CPU device, which run faster from a block (2-core CPU, one
            device: 1024 x 10⁴ steps 0.15 s from a block, 0.20 s in the step; 4096 x 2500 0.24 s
            and 0.22 s; 65536 x 200 0.31 s and 0.14 s; two devices: in the step as fast or
            faster at every size, 1024 x 10⁴ 0.13 s and 0.11 s, 65536 x 200 0.30 s and 0.14 s;
            benchmarks/bench_motor.py). Gradients (:func:`ensemble` and a traced
            :func:`simulate`) always read a block: the backward pass then reuses the normals
            instead of drawing them again in every recomputed step.
    """

    unroll: int = eqx.field(default=1, static=True)
    segment: int | None = eqx.field(default=None, static=True)
    noise_chunk: int = eqx.field(default=4096, static=True)
    trajectory_chunk: int | None = eqx.field(default=None, static=True)
    dtype: str = eqx.field(default="float64", static=True)
    normals: str = eqx.field(default="counter", static=True)
    noise_in_step: bool | None = eqx.field(default=None, static=True)

    def __check_init__(self):
        check_int("unroll", self.unroll, low=1, high=1024)
        if self.segment is not None:
            check_int("segment", self.segment, low=1)
        check_int("noise_chunk", self.noise_chunk, low=1, high=2**24)
        if self.trajectory_chunk is not None:
            check_int("trajectory_chunk", self.trajectory_chunk, low=1)
        if self.dtype not in DTYPES:
            fail("dtype", self.dtype, f"expected one of {', '.join(DTYPES)}")
        if self.normals not in NORMALS:
            fail("normals", self.normals, f"expected one of {', '.join(NORMALS)}")
        if self.noise_in_step not in (None, True, False):
            fail("noise_in_step", self.noise_in_step, "expected None, True or False")

    @classmethod
    def default(cls, backend: str | None = None, *, dtype: str = "float64", normals: str = "counter") -> LangevinSolver:
        """The measured best layout of ``backend`` (default: JAX's default backend): a CPU 64-step
        checkpoint segments, no unrolling and, with ``normals="jax"``, 1024 trajectories per chunk; a
        GPU 8 unrolled steps and no segments."""
        backend = backend or jax.default_backend()
        if backend == "cpu":
            chunk = 1024 if normals == "jax" else None
            return cls(unroll=1, segment=64, trajectory_chunk=chunk, dtype=dtype, normals=normals)
        if backend in ("gpu", "cuda", "rocm"):
            return cls(unroll=8, segment=None, dtype=dtype, normals=normals)
        return cls(unroll=1, segment=None, dtype=dtype, normals=normals)


DTYPES = ("float64", "float32")

# Trajectories from which a forward run of white noise on one CPU device draws its normals in the
# step (LangevinSolver.noise_in_step=None): below, a block drawn beforehand is faster (bench_motor.py)
IN_STEP_FROM = 2048

# A segment's backward pass keeps cos θ, sin θ of a θ-dependent load instead of evaluating them again.
_KEEP_TRIG = jax.checkpoint_policies.save_only_these_names(TRIG_NAME)

# Longest run accepted (steps): beyond it a run is refused up front (int64 step counters are fine, but
# 10^12 steps of even one trajectory are weeks of compute: a unit mistake, not a run).
MAX_STEPS = 10**12


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


class _Config(NamedTuple):
    """The static sizes of a run (host values; a jit static argument)."""

    dt: float
    steps: int
    burn: int
    every: int  # steps per record (plan.chunk without a recorded series)
    plan: NoisePlan
    v0: float
    recording: bool
    solver: LangevinSolver
    noise_in_step: bool = False  # white noise, counter normals: each step draws its own normal


def _trajectory(p: MotorParams, generator, key, cfg: _Config, progress):
    """One trajectory of one parameter point: accumulated works (after the burn-in), the final
    velocity and the records θ, θ̇ (records,)."""
    dt, steps, burn, every, plan, v0, solver = cfg.dt, cfg.steps, cfg.burn, cfg.every, cfg.plan, cfg.v0, cfg.solver
    dtype = jnp.dtype(solver.dtype)
    arrays, static = eqx.partition(p, eqx.is_array_like)
    p = eqx.combine(jax.tree.map(lambda x: jnp.asarray(x, dtype), arrays), static)
    generator = generator.astype(dtype if plan.white else jnp.result_type(dtype, jnp.complex64))
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
    amplitude, block_generator = (generator, jnp.ones((), dtype)) if plan.white else (None, generator)
    # white noise with the counter normals: each step draws its own normal from the block's seed and
    # the step's index in the block (counter_normal, the same numbers as the block's unit_normals), so
    # no block of noise is written, transposed for the step scan and read back: the draw fuses with
    # the step's arithmetic (2-core CPU: the run then costs about what drawing its normals alone does)
    fused = cfg.noise_in_step

    def step(seed, carry, inputs):
        theta, v, A0, acc = carry
        flags, xi_int, B_old = inputs
        if seed is not None:  # xi_int is the step's index in its noise block
            xi_int = counter_normal(seed, xi_int, dtype)
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
        window, first = flags  # in the averaging window, k == burn
        acc = {**{name: acc[name] + jnp.where(window, w, 0.0).astype(dtype) for name, w in works.items()},
               "v_start": jnp.where(first, v, acc["v_start"])}
        B_new = v1 + A1 if p.leads else None
        return (theta + dtheta, v1, A1, acc), B_new

    def steps_of(seed, carry, flags, xi):
        """A run of at most one round trip of steps. The memory buffer is kept in the order the steps
        visit it (step k reads B from step k + 1 - m and writes B_k+1 in its place), so the run takes
        its first len(xi) entries as scan inputs and appends their successors: no dynamic indexing,
        and the backward pass moves scalars, not the buffer, per step."""
        theta, v, A0, buf, acc = carry
        n = xi.shape[0]
        old = buf[:n] if p.leads else None
        unroll = solver.unroll
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
        one = partial(step, seed)
        steps = jax.checkpoint(partial(jax.lax.scan, one, unroll=True) if size > 1 else one, prevent_cse=False)
        if whole:
            grouped = (jax.tree.map(lambda x: x[:whole].reshape((-1, size) + x.shape[1:]), inputs)
                       if size > 1 else inputs)
            carry, B_new = jax.lax.scan(steps, (theta, v, A0, acc), grouped, unroll=max(unroll // size, 1))
        else:
            carry, B_new = (theta, v, A0, acc), None
        if whole < n:  # a shorter last group (only without leads: no buffer)
            carry, _ = steps(carry, jax.tree.map(lambda x: x[whole:], inputs))
        theta, v, A0, acc = carry
        return theta, v, A0, (jnp.concatenate([buf[n:], B_new]) if p.leads else buf), acc

    def segment(seed, carry, inputs):
        return steps_of(seed, carry, *inputs), None

    def run_steps(seed, carry, flags, xi):
        """Any (static) number of steps, in checkpointed segments (``solver.segment``): the backward
        pass recomputes one segment at a time; with leads a segment is at most one round trip."""
        length = xi.shape[0]
        checkpoint = solver.segment
        size = min(checkpoint or length, m) if p.leads else checkpoint
        n = length // size * size if size else 0
        if n:
            # prevent_cse=False: inside a scan XLA cannot merge the recomputation with the forward pass
            # anyway (JAX's advice for checkpoints in scans), and the barriers only cost fusion
            kept = partial(segment, seed)
            kept = jax.checkpoint(kept, policy=_KEEP_TRIG, prevent_cse=False) if checkpoint else kept
            carry, _ = jax.lax.scan(kept, carry, jax.tree.map(lambda x: x[:n].reshape(-1, size), (flags, xi)))
        if n < length:
            carry = steps_of(seed, carry, *jax.tree.map(lambda x: x[n:], (flags, xi)))
        return carry

    def record(seed, carry, inputs):
        carry = run_steps(seed, carry, *inputs)
        return carry, (carry[0], carry[1])

    full, rest = divmod(steps, plan.chunk)

    # the backward pass keeps (carry, noise tail) per block of ``chunk`` steps
    def advance(state, b, length):
        carry, tail = state
        if fused:  # the steps' indices in the block stand in for the noise (drawn in the step)
            seed, xi = counter_seed(jax.random.fold_in(key, b + 1)), jnp.arange(length, dtype=jnp.uint32)
        else:
            seed, (xi, tail) = None, noise_block(block_generator, key, b, tail, plan, length, solver.normals)
        k = b * plan.chunk + jnp.arange(length)
        # the steps' flags, computed here for the block: inside the step loops the comparisons of a step
        # index were one more small kernel per iteration on a GPU (benchmarks/gpu_kernels.py)
        flags = (k >= burn, k == burn)
        records = length // every
        head = records * every
        series = (jnp.zeros((0,), dtype), jnp.zeros((0,), dtype))
        if records:
            inputs = jax.tree.map(lambda x: x[:head].reshape(records, every), (flags, xi))
            carry, series = jax.lax.scan(partial(record, seed), carry, inputs)
        if head < length:  # steps after the last record of the run (the last block only)
            carry = run_steps(seed, carry, *jax.tree.map(lambda x: x[head:], (flags, xi)))
        return (carry, tail), series

    def block(state, b):
        state, series = jax.checkpoint(advance, prevent_cse=False, static_argnums=(2,))(state, b, plan.chunk)
        if progress is not None:  # one host call per block of ``chunk`` steps, never per step
            jax.debug.callback(progress, b + 1, full + (rest > 0))
        return state, series

    zero = jnp.zeros((), dtype)
    acc = {name: zero for name in ("theta", "v2", "friction", "noise", "v_start")}
    if p.theta_dependent_load:
        acc["load"] = zero
    v0 = zero + v0
    buf = jnp.zeros(m, dtype).at[-1].set(v0) if p.leads else jnp.zeros(1, dtype)  # B_0 = v(0), read by step m - 1
    state = ((zero, v0, zero if p.leads else None, buf, acc), initial_tail(key, plan, dtype, solver.normals))
    theta_parts, velocity_parts = [], []
    if full:
        state, (theta_series, velocity_series) = jax.lax.scan(block, state, jnp.arange(full))
        theta_parts.append(theta_series.reshape(-1))
        velocity_parts.append(velocity_series.reshape(-1))
    if rest:  # the last block: only the steps left (its noise drawn for them alone)
        state, (theta_series, velocity_series) = jax.checkpoint(advance, prevent_cse=False, static_argnums=(2,))(
            state, full, rest)
        theta_parts.append(theta_series)
        velocity_parts.append(velocity_series)
        if progress is not None:
            jax.debug.callback(progress, full + 1, full + 1)
    carry = state[0]
    return {"acc": carry[4], "v_end": carry[1], "theta_series": jnp.concatenate(theta_parts),
            "velocity_series": jnp.concatenate(velocity_parts)}


def adiabaticity(results: MotorResults, gap: Float[Array, "*batch"] | float) -> Float[Array, "*batch"]:
    """The adiabaticity parameter √⟨θ̇²⟩/Δ of the ensemble: the motor paper's treatment holds while
    |θ̇| ≪ Δ (Sec. III, end; Δ the renormalized gap, Eq. 15, or Δ_M of the magnetic motor, Eq. 69),
    units of the energy gap (ħ = 1). √⟨θ̇²⟩ = √(⟨θ̇⟩² + Var θ̇) counts the thermal fluctuations too."""
    check_range("gap", gap, low=0.0, low_inclusive=False)
    return jnp.sqrt(results.mean_velocity**2 + results.velocity_variance) / gap


ADIABATIC_LIMIT = 0.1  # above it, the CLI warns that |θ̇| is not small against the gap


def _error(samples: Float[Array, "*b n"]) -> Float[Array, "*b"]:
    n = samples.shape[-1]
    return jnp.std(samples, axis=-1, ddof=1) / jnp.sqrt(n) if n > 1 else jnp.full(samples.shape[:-1], jnp.nan)


def _statistics(p: MotorParams, traj: dict, cfg: _Config) -> dict:
    """Ensemble statistics of one parameter point from its trajectories' accumulated works
    (``traj``: the outputs of :func:`_trajectory`, stacked over the trajectories). Reductions over
    the trajectories happen here only, so the trajectories may be run in any chunks."""
    acc, v_end = traj["acc"], traj["v_end"]
    window = (cfg.steps - cfg.burn) * cfg.dt
    velocity = acc["theta"] / window
    mean_v = jnp.mean(velocity)
    # pooled variance = mean within-trajectory variance + spread of the trajectory means; this
    # split keeps the per-trajectory estimates free of the 2⟨θ̇⟩δθ̇ cross term (smaller errors)
    n = velocity.shape[0]
    v2 = acc["v2"] / window - velocity**2 + (velocity - mean_v) ** 2 * (n / max(n - 1, 1))
    work_in = p.bias_force * acc["theta"]
    work_load = acc["load"] if "load" in acc else p.F_load * acc["theta"]
    p_in, p_out = work_in / window, work_load / window
    p_fric, p_noise = acc["friction"] / window, acc["noise"] / window
    p_diss = p_fric - p_noise
    kinetic = 0.5 * p.inertia * (v_end**2 - acc["v_start"] ** 2)
    scale = jnp.abs(work_in) + jnp.abs(work_load) + jnp.abs(acc["friction"]) + jnp.abs(acc["noise"]) + jnp.abs(kinetic)
    residual = jnp.abs(work_in - work_load - (acc["friction"] - acc["noise"]) - kinetic) / scale
    efficiency = jnp.mean(p_out) / jnp.mean(p_in)
    # diffusion of θ and current noise from the spread of the trajectories' Δθ over the window
    if n > 1:
        spread = jnp.var(acc["theta"], ddof=1)
        relative = math.sqrt(2 / (n - 1))  # the standard error of a sample variance (Gaussian Δθ)
    else:
        spread, relative = jnp.full((), jnp.nan, acc["theta"].dtype), math.nan
    diffusion = spread / (2 * window)
    fano = spread / (2 * jnp.pi * jnp.mean(acc["theta"]))
    fano_err = jnp.abs(fano) * jnp.sqrt(relative**2 + (_error(velocity) / mean_v) ** 2)
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
        "diffusion": diffusion, "diffusion_err": diffusion * relative,
        "fano_factor": fano, "fano_factor_err": fano_err,
        "trajectory_velocity": velocity, "trajectory_residual": residual,
    }
    if cfg.recording:
        out["theta_series"], out["velocity_series"] = traj["theta_series"], traj["velocity_series"]
    return out


def _trajectories(p: MotorParams, keys, cfg: _Config, progress) -> dict:
    """The trajectories of one parameter point (one per key), stacked."""
    generator = noise_filter(p, cfg.dt, cfg.plan)
    # per-trajectory copies of the parameters (and of a white-noise amplitude, which the step
    # applies): inside the step scans they are then batched like the state, so the backward pass
    # accumulates their cotangents elementwise and sums them over the trajectories once, after
    # the scans (shared, they are summed over the trajectories at every step: one reduction per
    # parameter and step, a kernel each on a GPU)
    white = cfg.plan.white
    arrays, static = eqx.partition(p, eqx.is_array)
    copies = jax.tree.map(lambda x: jnp.broadcast_to(x, keys.shape[:1] + x.shape),
                          (arrays, generator) if white else arrays)

    def run(copy, key):
        arrays, noise_generator = copy if white else (copy, generator)
        return _trajectory(eqx.combine(arrays, static), noise_generator, key, cfg, progress)

    return jax.vmap(run)(copies, keys)


@partial(jax.jit, static_argnames=("cfg", "progress"))
def _ensemble_point(p: MotorParams, keys, cfg: _Config, progress):
    return _statistics(p, _trajectories(p, keys, cfg, progress), cfg)


@partial(jax.jit, static_argnames=("cfg", "progress"))
def _ensemble_batch(flat: MotorParams, keys, cfg: _Config, progress):
    return jax.vmap(lambda p: _statistics(p, _trajectories(p, keys, cfg, progress), cfg))(flat)


def _concrete(params: MotorParams) -> bool:
    return not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(params))


def _config(params: MotorParams, *, dt, steps, burn, record_every, initial_velocity, plan, solver) -> _Config:
    """Validate a run's settings (host side) and fix its static sizes."""
    check_range("dt", dt, low=0.0, low_inclusive=False)
    check_range("initial_velocity", initial_velocity)
    steps = check_int("steps", steps, low=1, high=MAX_STEPS)
    burn = check_int("burn_in_steps", burn, low=0, high=steps - 1)
    every = check_int("record_every", record_every, low=1, high=steps) if record_every is not None else None
    solver = LangevinSolver.default() if solver is None else solver
    if not isinstance(solver, LangevinSolver):
        fail("solver", solver, "expected a LangevinSolver")
    if plan is None:
        plan = noise_plan(params, dt, record_every=every or 1, max_chunk=solver.noise_chunk, steps=steps)
    else:
        plan = NoisePlan(*plan)
        if plan.steps_per_round_trip != steps_per_round_trip(params.tau, dt):
            fail("plan", plan, f"was made for another τ/dt than tau={params.tau!r}, dt={dt!r}")
        if every is not None and plan.chunk % every:
            fail("record_every", every, f"must divide the plan's chunk {plan.chunk}")
    return _Config(float(dt), steps, burn, every or plan.chunk, plan, float(initial_velocity), every is not None,
                   solver)


def _results(out: dict, cfg: _Config) -> MotorResults:
    series = {name: out.pop(name, None) for name in ("theta_series", "velocity_series")}
    times = cfg.dt * cfg.every * jnp.arange(1, cfg.steps // cfg.every + 1) if cfg.recording else None
    return MotorResults(**out, **series, times=times, dt=cfg.dt, time=cfg.steps * cfg.dt, burn_in=cfg.burn * cfg.dt)


def ensemble(
    params: MotorParams,
    key: PRNGKeyArray,
    *,
    dt: float,
    steps: int,
    trajectories: int = 1,
    burn_in_steps: int | None = None,
    record_every: int | None = None,
    initial_velocity: float = 0.0,
    plan: NoisePlan | None = None,
    solver: LangevinSolver | None = None,
    progress: Callable[[Array, int], None] | None = None,
) -> MotorResults:
    """The ensemble of one parameter point: a pure function of ``params`` and ``key``.

    Composes with ``jax.jit``, ``jax.vmap`` (e.g. over parameters: build the
    :class:`~jaxmotor.motor._params.MotorParams` inside the vmapped function from traced values) and
    ``jax.grad`` (pathwise: the noise is drawn from the key independently of the parameters, with
    checkpoints per noise block and per ``solver.segment`` steps). The sizes (``dt``, ``steps``,
    ``trajectories``, ``burn_in_steps``, ``record_every``) are static Python numbers.

    Args:
        params: one parameter point (scalar array fields; Fourier coefficients of shape (N,)).
        key: one PRNG key; trajectory i uses ``split(key, trajectories)[i]``.
        dt: time step h (1/energy); ``tau`` must be a multiple of it.
        steps: Langevin steps (the run lasts steps·dt).
        trajectories: independent trajectories.
        burn_in_steps: steps excluded from the averages (default: :func:`default_burn_in` of the
            concrete parameters, rounded up; required when ``params`` are traced).
        record_every: record θ and θ̇ every this many steps (default: no time series).
        initial_velocity: θ̇(0); the motor is at rest before t = 0 (the memory sees θ̇ = 0).
        plan: the noise generator's sizes. Default :func:`~jaxmotor.motor._noise.noise_plan`, which is
            static for white noise without leads; for other noise it needs concrete parameters, so
            under tracing pass a plan built from concrete parameters that bound the batch.
        solver: loop layout, checkpoints, noise blocks and dtype (default
            :meth:`LangevinSolver.default`).
        progress: optional host function ``progress(done_blocks, blocks)`` called through
            ``jax.debug.callback`` after each noise block.

    Returns:
        :class:`MotorResults` with scalar statistics, per-trajectory arrays (trajectories,) and
        series (trajectories, records).
    """
    if params.batch_shape:
        fail("params", params.batch_shape, "ensemble takes one parameter point (scalar fields); use simulate "
             "for a batch, or vmap ensemble over parameters")
    trajectories = check_int("trajectories", trajectories, low=1)
    if burn_in_steps is None:
        if not _concrete(params):
            fail("burn_in_steps", None, "is required when the parameters are traced (jit/vmap/grad): the "
                 "default burn-in is computed from concrete parameter values")
        burn_in_steps = math.ceil(default_burn_in(params) / dt - 1e-9)
        if burn_in_steps >= steps:
            fail("steps", steps, f"must exceed the default burn-in of {burn_in_steps} steps (16 relaxation "
                 "times); run longer or set burn_in_steps")
    cfg = _config(params, dt=dt, steps=steps, burn=burn_in_steps, record_every=record_every,
                  initial_velocity=initial_velocity, plan=plan, solver=solver)
    keys = jax.random.split(key, trajectories)
    return _results(dict(_ensemble_point(params, keys, cfg, progress)), cfg)


def bytes_per_trajectory(cfg: _Config) -> int:
    """Estimated peak device memory of one trajectory of a forward run (bytes): its noise block
    (normals, flags, the filter's FFT buffers for colored noise; none where the steps draw their
    own normals), the memory buffer over one round trip, the recorded series and the accumulators,
    doubled for XLA's temporaries."""
    plan = cfg.plan
    item = jnp.dtype(cfg.solver.dtype).itemsize
    chunk = min(plan.chunk, cfg.steps)
    words = 0 if cfg.noise_in_step else 4 * chunk  # normals, Ξ, two flags
    if not plan.white:
        words += 4 * plan.half_width + 6 * plan.fft + 2 * plan.circulant  # tail, sequence, spectrum, product
    words += 2 * max(plan.steps_per_round_trip, 1) + 32
    if cfg.recording:
        words += 2 * (cfg.steps // cfg.every)
    return 2 * item * words


def result_bytes(points: int, trajectories: int, cfg: _Config) -> int:
    """Host memory of the results (bytes): per trajectory its accumulators and recorded series."""
    records = cfg.steps // cfg.every if cfg.recording else 0
    return 8 * points * trajectories * (2 * records + 12)


@lru_cache(maxsize=64)
def _chunk_kernel(cfg: _Config, progress, one_point: bool = False):
    """The per-trajectory function the batching driver runs over the flat (point, trajectory)
    pairs: ``per_point((point_index, key), flat_params, generators)``. One function object per
    static configuration, so the driver compiles it once. ``one_point``: the batch has a single
    parameter point, whose values then enter the step loops as shared scalars, not as one copy
    per trajectory (read from memory at every step)."""

    def per_trajectory(pair, flat, generators):
        index, key = pair
        if one_point:
            index = 0
        arrays, static = eqx.partition(flat, eqx.is_array)
        p = eqx.combine(jax.tree.map(lambda x: x[index], arrays), static)
        return _trajectory(p, generators[index], key, cfg, progress)

    return per_trajectory


@partial(jax.jit, static_argnames=("cfg",))
def _generators(flat: MotorParams, cfg: _Config):
    return jax.vmap(lambda p: noise_filter(p, cfg.dt, cfg.plan))(flat)


@partial(jax.jit, static_argnames=("cfg", "shape"))
def _statistics_batch(flat: MotorParams, traj: dict, cfg: _Config, shape: tuple[int, ...]):
    """Each point's statistics from its trajectories, reshaped to the batch ``shape``."""
    out = jax.vmap(lambda p, t: _statistics(p, t, cfg))(flat, traj)
    return {k: v.reshape(shape + v.shape[1:]) for k, v in out.items()}


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
    solver: LangevinSolver | None = None,
    memory_budget: float | None = None,
) -> MotorResults:
    """Integrate an ensemble of motor trajectories for every parameter point of ``params``.

    The host driver over :func:`ensemble`: the parameter batch is flattened, every (point,
    trajectory) pair is one item of the batching driver (:func:`jaxmotor.batching.run`), which runs
    them in chunks that fit ``memory_budget`` (estimated per trajectory before the run,
    :func:`bytes_per_trajectory`), and the ensemble statistics are taken over each point's
    trajectories afterwards. Every trajectory depends on its key alone: the chunking never changes
    a result. With traced parameters (under ``jax.grad``, ``jax.jit``) the same computation runs as
    one pure call (no chunking; the memory is then the caller's to bound).

    Args:
        params: the motor; array fields may carry a batch shape, results keep it.
        key: one PRNG key (any implementation: threefry, rbg, ...); trajectory i uses
            ``split(key, trajectories)[i]`` at every parameter point (common random numbers).
        dt: time step h (1/energy); ``tau`` must be a multiple of it.
        time: total simulated time; ``round(time/dt)`` steps.
        trajectories: independent trajectories per point.
        burn_in: start-up time excluded from the averages (default :func:`default_burn_in`,
            rounded to whole steps; it must leave at least one step).
        record_every: record θ and θ̇ every this many steps (default: no time series).
        initial_velocity: θ̇(0); the motor is at rest before t = 0 (the memory sees θ̇ = 0).
        plan: the noise generator's sizes (default :func:`~jaxmotor.motor._noise.noise_plan` of the
            concrete parameters; pass it when ``params`` are traced, unless the noise is white
            without leads).
        progress: optional host function ``progress(done_blocks, blocks)`` called (through
            ``jax.debug.callback``) after each noise block; None traces no callback.
        solver: loop layout, checkpoints, noise blocks and dtype (default :meth:`LangevinSolver.default`).
        memory_budget: bytes a chunk of trajectories may use (default
            :func:`jaxmotor.batching.default_memory_budget`); a run whose results alone exceed it is
            refused up front.

    Returns:
        :class:`MotorResults` with leading axes ``params.batch_shape``.
    """
    from .. import _devices, batching

    check_range("dt", dt, low=0.0, low_inclusive=False)
    check_range("time", time, low=0.0, low_inclusive=False)
    trajectories = check_int("trajectories", trajectories, low=1)
    memory_budget = batching.check_budget(memory_budget)
    steps = round(time / dt)
    if steps < 1:
        fail("time", time, f"must be at least one step dt={dt!r}")
    if steps > MAX_STEPS:
        fail("time", time, f"is {steps:.3g} steps of dt={dt!r}, more than {MAX_STEPS:.0e}")
    if burn_in is None:
        burn_in = default_burn_in(params)
        if burn_in >= time:
            fail("time", time, f"must exceed the default burn-in {burn_in:.4g} (16 relaxation times); "
                 "run longer or set burn_in")
    check_range("burn_in", burn_in, low=0.0)
    burn = math.ceil(burn_in / dt - 1e-9)
    if burn >= steps:
        fail("burn_in", burn_in, f"must be shorter than the time {time!r}")
    if record_every is not None:
        record_every = check_int("record_every", record_every, low=1)
        if record_every > steps:
            fail("record_every", record_every, f"must be at most the run's {steps} steps")
    cfg = _config(params, dt=dt, steps=steps, burn=burn, record_every=record_every,
                  initial_velocity=initial_velocity, plan=plan, solver=solver)
    shape = params.batch_shape
    flat = params.flatten()
    keys = jax.random.split(key, trajectories)
    if not _concrete(params):
        out = _ensemble_batch(flat, keys, cfg, progress)
        return _results({k: v.reshape(shape + v.shape[1:]) for k, v in out.items()}, cfg)

    points = int(np.prod(shape, dtype=int))
    if cfg.plan.white and cfg.solver.normals == "counter":
        in_step = cfg.solver.noise_in_step
        if in_step is None:
            in_step = (jax.default_backend() != "cpu" or _devices.device_count() > 1
                       or points * trajectories >= IN_STEP_FROM)
        cfg = cfg._replace(noise_in_step=in_step)
    batching.check_memory("trajectories", trajectories, result_bytes(points, trajectories, cfg), memory_budget,
                          f"the results of {points} point(s) x {trajectories} trajectories x "
                          f"{cfg.steps // cfg.every if cfg.recording else 0} records")
    per_trajectory = bytes_per_trajectory(cfg)
    batching.check_memory("trajectories", trajectories, per_trajectory, memory_budget,
                          f"one trajectory of {steps} steps (noise block {min(cfg.plan.chunk, steps)} steps)")
    pairs = (np.repeat(np.arange(points), trajectories), np.tile(np.arange(trajectories), points))
    generators = _generators(flat, cfg)
    # progress: the per-block callback of each chunk (a bar restarts with every chunk of trajectories)
    traj = batching.run(_chunk_kernel(cfg, progress, points == 1),
                        (pairs[0], keys if points == 1 else keys[pairs[1]]), replicated=(flat, generators),
                        bytes_per_point=per_trajectory, memory_budget=memory_budget,
                        max_points=cfg.solver.trajectory_chunk)
    traj = jax.tree.map(lambda x: x.reshape((points, trajectories) + x.shape[1:]), traj)
    return _results(dict(_statistics_batch(flat, traj, cfg, tuple(shape))), cfg)
