"""The fluctuating force ξ(t): exact step-integrated Gaussian noise (motor paper Eqs. 36, 37, 60, 61;
docs/physics.md §2).

The integrator needs, per time step h, the integrated force Ξ_k = ∫_{kh}^{(k+1)h} ξ(t) dt. For a
stationary Gaussian ξ the sequence Ξ_k is a stationary Gaussian sequence with covariance

    c_j = ⟨Ξ_k Ξ_{k+j}⟩ = ∫_{-h}^{h} (h - |u|) C(jh + u) du,

which this module produces exactly (sampling ξ(t_k)·h instead is biased once π·T·h ≳ 0.3).

**Leads.** With leads every kind is the image sum C(t) = Σ_n r^|n| C₀(t + nτ) of its
infinite-Luttinger-liquid kernel C₀. With τ = m·h the discrete spectrum factorizes exactly:
S_d(θ) = S_d⁰(θ) · (1 - r²)/|1 - r e^{imθ}|²  (θ ∈ [-π, π], the angle of one step).

**Generation.** S_d is evaluated on a circulant of M points (circulant embedding: for ``paper`` by
FFT of the closed-form c⁰_j, for ``fdt`` by the aliasing sum of its spectrum); its non-negative
square root gives a symmetric moving-average filter g with g ⋆ g = c. The filter decays like the
covariance (e^{-2πT|t|} thermally, |r|^n over round trips) and is truncated where its tail is below
e^{-30} ≈ 1e-13 of the peak: the covariance is then exact to that level, with no truncation of any
physics. Unit-variance white noise drawn from the trajectory's key (independently of the parameters,
so that pathwise gradients with fixed keys are meaningful) is filtered chunk by chunk by FFT
overlap-save; only the last L-1 white samples are carried between chunks, so memory is
O(trajectories × chunk), never trajectories × steps × lags. A run draws exactly as many normals as
it has steps (plus the 2·half_width before t = 0 that the filter reaches back to): the last block is
as long as the steps left, and :func:`noise_plan` with ``steps`` makes a short run's block no longer
than the run. ``white`` noise without leads is i.i.d.
and needs no filter.

Shapes: "one point" functions take a :class:`MotorParams` with scalar array fields.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from .._validate import fail
from ._params import MotorParams

_TAIL = 30.0  # filter tails are cut below e^{-30} ≈ 1e-13 of the peak
_MAX_HALF_WIDTH = 2**21


class NoisePlan(NamedTuple):
    """Static sizes of the noise generator (host integers, shared by a parameter batch).

    Attributes:
        steps_per_round_trip: m = τ/h (0 without leads).
        half_width: the filter covers lags -half_width..half_width (0: i.i.d., no filter).
        circulant: M, the size of the circulant embedding the filter is computed on.
        chunk: steps generated per FFT block (a multiple of the recording interval).
        fft: FFT length of one block, chunk + 2·half_width.
        aliases: ``fdt`` only: the aliasing sum runs over p = -aliases..aliases.
    """

    steps_per_round_trip: int
    half_width: int
    circulant: int
    chunk: int
    fft: int
    aliases: int = 0

    @property
    def white(self) -> bool:
        """I.i.d. steps (no filter): Ξ_k = √c₀ × a unit normal."""
        return self.half_width == 0


def steps_per_round_trip(tau: float | None, dt: float) -> int:
    """m = τ/dt, checking that τ is a multiple of dt (the memory buffer holds exactly one τ)."""
    if tau is None:
        return 0
    m = round(tau / dt)
    if m < 1 or abs(m * dt - tau) > 1e-9 * tau:
        fail("tau", tau, f"must be a positive multiple of the time step dt={dt!r}")
    return m


def _next_pow2(n: int) -> int:
    return 1 << max(0, int(n - 1).bit_length())


def _traced(*values) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree.leaves(values))


def noise_plan(params: MotorParams, dt: float, *, record_every: int = 1, max_chunk: int = 4096,
               steps: int | None = None) -> NoisePlan:
    """Choose the filter width and block sizes (host side).

    The half width covers the slowest decay in the batch: 30/(2πT_min) in time for ``paper`` and
    ``fdt`` (poles of coth/sinh at ω = 2πiT), 10/ω_c for the Gaussian cutoff of ``fdt``, and
    m·30/(-ln|r|_max) steps for the round trips to the leads. These need concrete parameter values,
    except for ``white`` noise without leads (i.i.d., no filter), whose plan is known statically:
    with traced parameters (inside ``jax.jit``, ``jax.vmap`` or ``jax.grad``) and any other noise,
    build the plan outside from concrete parameters that bound the batch and pass it explicitly.

    Args:
        params: the motor (any batch shape).
        dt: time step.
        record_every: the blocks hold a whole number of records.
        max_chunk: steps per noise block (colored noise: FFT length per block, at least twice the
            filter), ``LangevinSolver.noise_chunk``.
        steps: the run's length, if known: the block is then no longer than the run (rounded up to
            ``record_every``), so that a short run draws and filters only the noise it uses.
    """
    m = steps_per_round_trip(params.tau, dt)
    whole = -(-steps // record_every) * record_every if steps is not None else None

    def limit(chunk):
        return min(chunk, whole) if whole is not None else chunk

    if params.noise == "white" and not params.leads:  # i.i.d.: no filter, no values needed
        return NoisePlan(m, 0, 0, limit(max(record_every, (max_chunk // record_every) * record_every)), 0)
    if _traced(params.temperature, params.K, params.cutoff):
        fail("plan", None, f"noise={params.noise!r}{' with leads' if params.leads else ''} needs concrete "
             "parameter values to size its filter: under jax.jit/vmap/grad pass plan=noise_plan(params, dt) "
             "built from concrete parameters that bound the batch (lowest temperature, largest |r|)")
    temperature = np.asarray(params.temperature, dtype=float)
    noisy = bool(np.any(temperature > 0))
    width = 0.0
    if noisy and params.noise in ("paper", "fdt"):
        width += _TAIL / (2 * np.pi * float(np.min(temperature[temperature > 0])) * dt)
    if noisy and params.noise == "fdt":
        width += 10.0 / (float(np.min(params.cutoff)) * dt)
    if noisy and params.leads:
        K = np.asarray(params.K, dtype=float)
        r = float(np.max(np.abs((K - 1) / (K + 1))))
        if r > 0:
            width += m * math.ceil(_TAIL / -math.log(r))
    half_width = math.ceil(width)
    if half_width > _MAX_HALF_WIDTH:
        fail("temperature", float(np.min(temperature)),
             f"the noise correlations span {half_width} steps of dt={dt!r} (at most {_MAX_HALF_WIDTH}): "
             "raise the temperature or dt")
    if half_width == 0:
        return NoisePlan(m, 0, 0, limit(max(record_every, (max_chunk // record_every) * record_every)), 0)
    taps = 2 * half_width + 1
    block = max(_next_pow2(2 * taps), max_chunk)
    chunk = limit(max(record_every, ((block - taps + 1) // record_every) * record_every))
    # Gaussian cutoff: S₀(ω_p) < e^{-81} S₀(0) beyond |ω_p| = 9ω_c
    aliases = math.ceil(9 * float(np.max(params.cutoff)) * dt / (2 * np.pi)) + 1 if params.noise == "fdt" else 0
    return NoisePlan(m, half_width, _next_pow2(4 * half_width + 2), chunk, chunk + taps - 1, aliases)


def paper_step_covariance_lli(lag: Float[Array, "*n"], params: MotorParams, dt: float) -> Float[Array, "*n"]:
    """c⁰_j of the ``paper`` noise without leads (Eq. 36, C₀(t) = (T²/2K) cosh⁻²(πTt)), exactly:

        c⁰_j = log1p(sinh²(πTh) / cosh²(πT jh)) / (2π²K)

    (the second difference of the double antiderivative ln cosh(πTt)/(2π²K), in a form free of
    cancellation). Units: energy² × time². One parameter point; ``lag`` integer-valued.
    """
    a = jnp.pi * params.temperature * dt
    b = jnp.abs(a * lag)
    sech_b = 2 * jnp.exp(-b) / (1 + jnp.exp(-2 * b))
    return jnp.log1p((jnp.sinh(a) * sech_b) ** 2) / (2 * jnp.pi**2 * params.K)


def _x_coth_x(x):
    small = jnp.abs(x) < 1e-8
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 + x**2 / 3, safe / jnp.tanh(safe))


def fdt_spectrum_lli(omega: Float[Array, "*n"], params: MotorParams) -> Float[Array, "*n"]:
    """S₀(ω) = 2γ₀ (ω/2) coth(ω/2T) exp(-(ω/ω_c)²) of the ``fdt`` noise without leads."""
    x = omega / (2 * params.temperature)
    return 2 * params.gamma0 * params.temperature * _x_coth_x(x) * jnp.exp(-((omega / params.cutoff) ** 2))


def leads_factor(theta: Float[Array, "*n"], params: MotorParams, m: int) -> Float[Array, "*n"]:
    """(1 - r²)/|1 - r e^{imθ}|², the image sum Σ_n r^|n| e^{inmθ} of the leads (1 without leads)."""
    if not params.leads:
        return jnp.ones_like(theta)
    r = params.reflection
    return (1 - r**2) / (1 - 2 * r * jnp.cos(m * theta) + r**2)


def discrete_spectrum(params: MotorParams, dt: float, plan: NoisePlan) -> Float[Array, " M/2+1"]:
    """Eigenvalues of the circulant embedding of c_j (one parameter point), at θ_n = 2πn/M.

    ``paper``: the FFT of the closed-form c⁰_j on the circulant; ``fdt``: the aliasing sum
    h Σ_p S₀(ω_p) sinc²(ω_p h/2π), ω_p = (θ + 2πp)/h; ``white``: 2γ₀Th. Times the leads factor.
    Non-negative up to round-off (tested); units energy² × time².
    """
    M = plan.circulant
    theta = 2 * jnp.pi * jnp.arange(M // 2 + 1) / M
    if params.noise == "paper":
        lags = jnp.concatenate([jnp.arange(M // 2 + 1), jnp.arange(M // 2 - 1, 0, -1)])
        base = jnp.fft.rfft(paper_step_covariance_lli(lags, params, dt)).real
    elif params.noise == "fdt":
        p = jnp.arange(-plan.aliases, plan.aliases + 1)
        omega = (theta[:, None] + 2 * jnp.pi * p) / dt
        base = dt * jnp.sum(fdt_spectrum_lli(omega, params) * jnp.sinc(omega * dt / (2 * jnp.pi)) ** 2, axis=1)
    else:
        base = jnp.full(theta.shape, 2 * params.gamma0 * params.temperature * dt)
    return base * leads_factor(theta, params, plan.steps_per_round_trip)


def _safe_sqrt(x):
    positive = x > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, x, 1.0)), 0.0)


def step_variance(params: MotorParams, dt: float) -> Float[Array, ""]:
    """c_0 for the kinds generated without a filter (white without leads, or T = 0)."""
    if params.noise == "paper":
        return paper_step_covariance_lli(jnp.zeros(()), params, dt)
    return 2 * params.gamma0 * params.temperature * dt


def noise_filter(params: MotorParams, dt: float, plan: NoisePlan) -> Float[Array, " ..."]:
    """The generator of one parameter point: the rfft (length fft/2+1) of the moving-average filter
    g_{-w..w} zero-padded to the block length, or, with ``half_width == 0``, the scalar √c_0."""
    if plan.white:
        return _safe_sqrt(step_variance(params, dt))
    w, M = plan.half_width, plan.circulant
    g = jnp.fft.irfft(_safe_sqrt(discrete_spectrum(params, dt, plan)), M)
    taps = jnp.concatenate([g[M - w:], g[: w + 1]])
    return jnp.fft.rfft(taps, plan.fft)


NORMALS = ("counter", "jax")

# SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): the Weyl increment and the two multipliers of its
# output mix (Stafford's variant 13), as in java.util.SplittableRandom
_WEYL, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _splitmix64_at(seed: Array, index: Array) -> Array:
    """Output ``index + 1`` of the SplitMix64 sequence that starts at ``seed`` (uint64): the mix of
    seed + (index + 1)·γ, a counter-based generator (each output depends on its index alone)."""
    x = seed + (index.astype(jnp.uint64) + jnp.uint64(1)) * jnp.uint64(_WEYL)
    x = (x ^ (x >> jnp.uint64(30))) * jnp.uint64(_MIX1)
    x = (x ^ (x >> jnp.uint64(27))) * jnp.uint64(_MIX2)
    return x ^ (x >> jnp.uint64(31))


def _splitmix64(seed: Array, n: int) -> Array:
    """Outputs 1..n of the SplitMix64 sequence that starts at ``seed`` (uint64)."""
    return _splitmix64_at(seed, jax.lax.iota(jnp.uint64, n))


def normals_from_words(words: Array) -> Float[Array, "*n"]:
    """Unit normals from uniform words, in the words' precision: uint32 words give float32, uint64
    words float64. The top bit is the sign; the next 31 (float32) or 52 (float64) bits k give
    u = (k + 1/2)·2⁻ᵇ ∈ (0, 1/2) with b = 32 or 53, and the magnitude is the inverse normal CDF
    -Φ⁻¹(u) (scipy's ndtri algorithm, to the dtype's round-off). The smallest u reaches 6.3σ
    (float32) or 8.3σ (float64): the tails beyond carry 2.3e-10 and 1.1e-16 of the probability."""
    if words.dtype == jnp.uint32:
        k = (words & jnp.uint32(0x7FFFFFFF)).astype(jnp.float32)
        u = k * jnp.float32(2.0**-32) + jnp.float32(2.0**-33)
        sign = 1 - 2 * (words >> jnp.uint32(31)).astype(jnp.float32)
    elif words.dtype == jnp.uint64:
        k = ((words >> jnp.uint64(11)) & jnp.uint64((1 << 52) - 1)).astype(jnp.float64)
        u = k * 2.0**-53 + 2.0**-54
        sign = 1 - 2 * (words >> jnp.uint64(63)).astype(jnp.float64)
    else:
        fail("words", words.dtype, "expected uint32 or uint64 words")
    # the sign bit multiplies (±1, exact) rather than selects: no integer comparison in a step loop
    return sign * _lower_quantile_magnitude(u)


# Cephes' ndtri (S. L. Moshier): rational approximations of Φ⁻¹ in the centre and in two tails
_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1, 1.39312609387279679503e1,
       -1.23916583867381258016e0)
_Q0 = (1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
       -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1, 1.59056225126211695515e1,
       -1.18331621121330003142e0)
_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1, 4.40805073893200834700e1,
       1.46849561928858024014e1, 2.18663306850790267539e0, -1.40256079171354495875e-1, -3.50424626827848203418e-2,
       -8.57456785154685413611e-4)
_Q1 = (1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1, 1.50425385692907503408e1,
       2.50464946208309415979e0, -1.42182922854787788574e-1, -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0, 1.33303460815807542389e0,
       2.01485389549179081538e-1, 1.23716634817820021358e-2, 3.01581553508235416007e-4, 2.65806974686737550832e-6,
       6.23974539184983293730e-9)
_Q2 = (1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0, 2.16236993594496635890e-1,
       1.34204006088543189037e-2, 3.28014464682127739104e-4, 2.89247864745380683936e-6, 6.79019408009981274425e-9)


def _horner(coefficients, x):
    value = jnp.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        value = value * x + c
    return value


def _lower_quantile_magnitude(u: Array) -> Array:
    """-Φ⁻¹(u) for 0 < u ≤ 1/2, elementwise (Cephes' ndtri, as ``jax.scipy.special.ndtri`` and
    scipy's): written out without loops, so that it fuses into whatever step computes it (JAX's
    ndtri evaluates its polynomials with ``jnp.polyval``, a scan each: loops inside a step loop).
    The second tail (u < e⁻³²) is only reachable from float64 words."""
    dtype = u.dtype
    central = u > np.exp(-2.0)
    w = u - 0.5
    ww = w * w
    x_central = -np.sqrt(2 * np.pi) * (w + w * ww * _horner(_P0, ww) / _horner(_Q0, ww))
    z = jnp.sqrt(-2.0 * jnp.log(jnp.where(central, 0.5, u)))
    y = 1 / z
    tail = _horner(_P1, y) / _horner(_Q1, y)
    if dtype == jnp.float64:
        tail = jnp.where(z >= 8.0, _horner(_P2, y) / _horner(_Q2, y), tail)
    x_tail = z - jnp.log(z) * y - tail * y
    return jnp.where(central, x_central, x_tail).astype(dtype)


def unit_normals(key: PRNGKeyArray, n: int, dtype=float, normals: str = "counter") -> Float[Array, " n"]:
    """``n`` independent unit normals drawn from ``key`` in ``dtype``; a shorter draw is the prefix of
    a longer one.

    ``normals="jax"``: ``jax.random.normal`` (the key's own implementation, threefry by default).
    ``normals="counter"`` (:class:`LangevinSolver`'s default): one 64-bit seed drawn from the key,
    then the SplitMix64 sequence from it, each output mapped by :func:`normals_from_words` (float64:
    one normal per 64-bit output; float32: two, one per 32-bit half). On a CPU this is 2-4x faster
    than ``jax.random.normal`` (whose threefry hash and inverse error function, in float64, cost
    about as much as a whole vectorized numpy run of the motor); the values are exact normal
    quantiles to the dtype's round-off, and tests/motor/test_noise.py checks the moments, tails,
    independence and the transform against scipy.
    """
    if normals == "jax":
        return jax.random.normal(key, (n,), dtype)
    if normals != "counter":
        fail("normals", normals, f"expected one of {', '.join(NORMALS)}")
    dtype = jnp.dtype(dtype)
    if n == 0:
        return jnp.zeros((0,), dtype)
    seed = counter_seed(key)
    if dtype == jnp.float64:
        return normals_from_words(_splitmix64(seed, n))
    z = _splitmix64(seed, -(-n // 2))
    words = jnp.stack([(z >> jnp.uint64(32)).astype(jnp.uint32), z.astype(jnp.uint32)], axis=-1).reshape(-1)[:n]
    return normals_from_words(words).astype(dtype)


def counter_seed(key: PRNGKeyArray) -> Array:
    """The 64-bit seed of the ``"counter"`` normals drawn from ``key`` (uint64 scalar)."""
    return jax.random.bits(key, (), jnp.uint64)


def counter_normal(seed: Array, index: Array, dtype=float) -> Array:
    """Normal number ``index`` of ``unit_normals(key, n, dtype)`` (``index < n``) with the default
    ``"counter"`` normals, from ``seed = counter_seed(key)`` alone: the same value, bit for bit,
    computed where it is used. The Langevin step of white noise draws its normal so, inside the
    step loop, instead of reading it from a block drawn beforehand (no block in memory, no
    transposition; the draw fuses with the step's arithmetic)."""
    dtype = jnp.dtype(dtype)
    index = jnp.asarray(index).astype(jnp.uint64)
    if dtype == jnp.float64:
        return normals_from_words(_splitmix64_at(seed, index))
    z = _splitmix64_at(seed, index >> jnp.uint64(1))
    even = (index & jnp.uint64(1)) == 0
    words = jnp.where(even, (z >> jnp.uint64(32)).astype(jnp.uint32), z.astype(jnp.uint32))
    return normals_from_words(words).astype(dtype)


def initial_tail(key: PRNGKeyArray, plan: NoisePlan, dtype=float, normals: str = "counter") -> Float[Array, " taps-1"]:
    """The white samples before t = 0 that the first block's filter reaches back to."""
    return unit_normals(jax.random.fold_in(key, 0), 2 * plan.half_width, dtype, normals)


def noise_block(generator: Array, key: PRNGKeyArray, block: Array, tail: Array, plan: NoisePlan,
                length: int | None = None, normals: str = "counter"):
    """Ξ_k for the steps of block ``block`` of one trajectory, and the new white tail.

    Block b covers steps b·chunk .. b·chunk + length - 1 (``length`` defaults to ``plan.chunk``; a
    run's last block is shorter when the steps are not a multiple of the chunk). Exactly ``length``
    unit normals are drawn from ``fold_in(key, b + 1)`` by :func:`unit_normals` (a shorter draw is
    the prefix of a longer one, so a block's noise does not depend on how much of it is used).
    Overlap-save: the circular convolution of [tail, new white] with the filter is exact on the
    ``chunk`` outputs after the tail; a short block is zero-padded after its draws, which no output
    it keeps reaches (its returned tail is then not a valid continuation: it is the run's last
    block).
    Returns (Ξ (length,), tail (2·half_width,)).
    """
    n = plan.chunk if length is None else length
    white = unit_normals(jax.random.fold_in(key, block + 1), n, tail.dtype, normals)
    if plan.white:
        return generator * white, tail
    if n < plan.chunk:
        white = jnp.concatenate([white, jnp.zeros(plan.chunk - n, white.dtype)])
    sequence = jnp.concatenate([tail, white])
    filtered = jnp.fft.irfft(jnp.fft.rfft(sequence) * generator, plan.fft)
    w = 2 * plan.half_width
    return filtered[w:w + n], sequence[plan.chunk:]


def sample_noise(params: MotorParams, key: PRNGKeyArray, dt: float, steps: int, plan: NoisePlan | None = None,
                 normals: str = "counter"):
    """Ξ_k, k = 0..steps-1, of one trajectory (one parameter point), exactly as ``simulate`` draws
    them from ``key`` (with ``LangevinSolver(normals=normals)``). Materializes (steps,): for tests,
    plots and benchmarks."""
    plan = plan or noise_plan(params, dt, steps=steps)
    generator = noise_filter(params, dt, plan)
    full, rest = divmod(steps, plan.chunk)

    def block(tail, b):
        xi, tail = noise_block(generator, key, b, tail, plan, normals=normals)
        return tail, xi

    tail, xi = jax.lax.scan(block, initial_tail(key, plan, normals=normals), jnp.arange(full))
    parts = [xi.reshape(-1)]
    if rest:
        parts.append(noise_block(generator, key, full, tail, plan, rest, normals)[0])
    return jnp.concatenate(parts)
