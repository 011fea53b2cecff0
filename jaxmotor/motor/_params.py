"""Parameters of the Thouless motor (motor paper Sec. IV, Eqs. 35, 39, 59; docs/physics.md §2).

    I θ̈ = V/(2π) - F(θ) - γ₀ [θ̇(t) + 2 Σ_{n≥1} r^n θ̇(t - nτ)] + ξ(t)
    γ₀ = 1/(2πK),   r = (K-1)/(K+1),   F(θ) = F_load + Σ_n [a_n cos nθ + b_n sin nθ] + f(θ)

Units ħ = e = k_B = 1: V is the bias voltage (an energy), forces are energies per radian, the
temperature is an energy and times are in units of ħ/energy. ``tau`` is the plasmon round trip
D/v_c to the Fermi-liquid leads (the paper calls it T, like the temperature); ``tau=None`` is the
infinite Luttinger liquid of Eq. 35 (no memory sum).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.ad_checkpoint import checkpoint_name
from jaxtyping import Array, ArrayLike, Float

from .._validate import check_finite, check_range, fail

NOISE_KINDS = ("paper", "fdt", "white")

_SCALARS = ("K", "V", "F_load", "inertia", "temperature")


TRIG_NAME = "load_cos_sin"


@jax.custom_jvp
def _cos_sin(theta):
    return jnp.cos(theta), jnp.sin(theta)


@_cos_sin.defjvp
def _cos_sin_jvp(primals, tangents):
    # the derivative reuses the values (the default rules would evaluate sin and cos again); named,
    # so that a checkpoint may keep them instead of recomputing (TRIG_NAME, jaxmotor/motor/_langevin.py)
    (theta,), (dtheta,) = primals, tangents
    c, s = checkpoint_name(_cos_sin(theta), TRIG_NAME)
    return (c, s), (-s * dtheta, c * dtheta)


def harmonic_cos_sin(theta: Float[ArrayLike, ""], n: int) -> tuple[Float[Array, " n"], Float[Array, " n"]]:
    """(cos kθ, sin kθ) for k = 1..n from one cos θ, sin θ by the angle-addition recurrence
    (error ~ k·ε): the load is evaluated twice per Langevin step, so transcendentals dominate it."""
    c1, s1 = _cos_sin(theta)
    cos, sin = [c1], [s1]
    for _ in range(n - 1):
        cos.append(cos[-1] * c1 - sin[-1] * s1)
        sin.append(sin[-1] * c1 + cos[-2] * s1)
    return jnp.stack(cos), jnp.stack(sin)


class MotorParams(eqx.Module):
    """Physical parameters of the motor. The array fields may carry a batch shape (their broadcast,
    :attr:`batch_shape`); ``tau``, ``noise`` and ``load_fn`` are structural and shared by the batch.

    Attributes:
        K: Luttinger parameter K > 0 (K < 1 repulsive). Default 1.
        V: bias voltage V (energy). The mean force is V/(2π). Default 1.
        F_load: constant load force F_load (energy per radian). Default 0.
        inertia: moment of inertia I > 0 of the motor angle (1/energy). Default 1.
        temperature: electron temperature T ≥ 0 (energy). Default 0 (no noise).
        tau: plasmon round-trip time τ > 0 to the leads, or None for the infinite Luttinger liquid.
            The integrator needs τ to be a multiple of its time step (checked by ``simulate``).
        noise: ``"paper"`` (Eq. 60, spectrum 2ReΓ(ω)(ω/2)/sinh(ω/2T)), ``"fdt"`` (Keldysh spectrum
            2ReΓ(ω)(ω/2)coth(ω/2T) times the Gaussian cutoff exp(-(ω/ω_c)²), needs ``cutoff``) or
            ``"white"`` (Eqs. 37, 61: 2γ₀T Σ_n r^|n| δ(t + nτ)). Default ``"paper"``.
        cutoff: high-frequency cutoff ω_c > 0 of the ``"fdt"`` noise (required there, unused
            otherwise). Without it the ``fdt`` velocity variance diverges logarithmically.
        load_cos, load_sin: Fourier coefficients a_n, b_n (n = 1..N) of a θ-dependent load,
            shape (*batch, N), or None.
        load_fn: an extra θ-dependent load f(θ), a JAX-traceable function of a scalar angle, or
            None. It is part of the static structure (changing it recompiles).
    """

    K: Float[ArrayLike, "*batch"] = 1.0
    V: Float[ArrayLike, "*batch"] = 1.0
    F_load: Float[ArrayLike, "*batch"] = 0.0
    inertia: Float[ArrayLike, "*batch"] = 1.0
    temperature: Float[ArrayLike, "*batch"] = 0.0
    tau: float | None = eqx.field(default=None, static=True)
    noise: str = eqx.field(default="paper", static=True)
    cutoff: Float[ArrayLike, "*batch"] | None = None
    load_cos: Float[ArrayLike, "*batch harmonics"] | None = None
    load_sin: Float[ArrayLike, "*batch harmonics"] | None = None
    load_fn: Callable[[Array], Array] | None = eqx.field(default=None, static=True)

    def __check_init__(self):
        check_range("K", self.K, low=0.0, low_inclusive=False)
        check_finite("V", self.V)
        check_finite("F_load", self.F_load)
        check_range("inertia", self.inertia, low=0.0, low_inclusive=False)
        check_range("temperature", self.temperature, low=0.0)
        if self.tau is not None:
            if isinstance(self.tau, bool) or not isinstance(self.tau, (int, float, np.integer, np.floating)):
                fail("tau", self.tau, "expected a number > 0 (the round trip to the leads) or None")
            if not (math.isfinite(self.tau) and self.tau > 0):
                fail("tau", self.tau, "must be a finite number > 0 (or None for the infinite Luttinger liquid)")
        if self.noise not in NOISE_KINDS:
            fail("noise", self.noise, f"expected one of {', '.join(NOISE_KINDS)}")
        if self.noise == "fdt":
            if self.cutoff is None:
                fail("cutoff", None, "noise='fdt' needs a cutoff ω_c > 0 (its variance diverges without one)")
            check_range("cutoff", self.cutoff, low=0.0, low_inclusive=False)
            check_range("temperature", self.temperature, low=0.0, low_inclusive=False)
        elif self.cutoff is not None:
            fail("cutoff", self.cutoff, "only noise='fdt' takes a cutoff")
        for name in ("load_cos", "load_sin"):
            value = getattr(self, name)
            if value is not None:
                check_finite(name, value)
                if np.ndim(value) < 1 or np.shape(value)[-1] < 1:
                    fail(name, np.shape(value), "expected Fourier coefficients of shape (..., harmonics)")
        if self.load_cos is not None and self.load_sin is not None:
            if np.shape(self.load_cos)[-1] != np.shape(self.load_sin)[-1]:
                fail("load_sin", np.shape(self.load_sin),
                     f"must have as many harmonics as load_cos {np.shape(self.load_cos)}")
        if self.load_fn is not None and not callable(self.load_fn):
            fail("load_fn", self.load_fn, "expected a function of the angle θ")

    @classmethod
    def magnetic(cls, anisotropy: Float[ArrayLike, "*batch"], **fields) -> MotorParams:
        """The magnetic motor (Sec. V): a nanomagnet on a quantum-spin-Hall edge whose in-plane angle
        θ_M obeys the motor equation with the inertia I = 1/D of its easy-plane anisotropy D M_z²/2
        (Eq. 70; with leads Eq. 59). ``fields``: the other fields of :class:`MotorParams` (not
        ``inertia``); the gap is Δ_M of Eq. 69 (:func:`~jaxmotor.motor.closed_forms.magnetic_gap`)."""
        if "inertia" in fields:
            fail("inertia", fields["inertia"], "the magnetic motor's inertia is 1/anisotropy; give one of them")
        check_range("anisotropy", anisotropy, low=0.0, low_inclusive=False)
        return cls(inertia=1.0 / jnp.asarray(anisotropy, dtype=float) if not isinstance(anisotropy, (int, float))
                   else 1.0 / anisotropy, **fields)

    @property
    def leads(self) -> bool:
        """True with Fermi-liquid leads (memory friction, Eq. 59)."""
        return self.tau is not None

    @property
    def theta_dependent_load(self) -> bool:
        return self.load_cos is not None or self.load_sin is not None or self.load_fn is not None

    @property
    def batch_shape(self) -> tuple[int, ...]:
        shapes = [np.shape(getattr(self, k)) for k in _SCALARS]
        if self.cutoff is not None:
            shapes.append(np.shape(self.cutoff))
        for name in ("load_cos", "load_sin"):
            if getattr(self, name) is not None:
                shapes.append(np.shape(getattr(self, name))[:-1])
        return tuple(np.broadcast_shapes(*shapes))

    @property
    def gamma0(self) -> Float[Array, "*batch"]:
        """Instantaneous friction γ₀ = 1/(2πK) (Eq. 35)."""
        return 1.0 / (2 * jnp.pi * jnp.asarray(self.K))

    @property
    def reflection(self) -> Float[Array, "*batch"]:
        """Plasmon reflection amplitude r = (K-1)/(K+1) at the leads (Eq. 54); 0 without leads."""
        K = jnp.asarray(self.K)
        return (K - 1) / (K + 1) if self.leads else jnp.zeros_like(K)

    @property
    def bias_force(self) -> Float[Array, "*batch"]:
        """Mean force V/(2π) of the bias (Eq. 35)."""
        return jnp.asarray(self.V) / (2 * jnp.pi)

    def load(self, theta: Float[ArrayLike, ""]) -> Float[Array, ""]:
        """The load force F(θ) of one parameter point (scalar fields; θ a scalar)."""
        return self.load_function()(theta)

    def load_function(self) -> Callable[[Array], Array]:
        """F(θ) as a function of θ, with the Fourier coefficients taken apart here, once, into one
        scalar per term. Called outside a loop over steps, the loop then sees scalar coefficients:
        a gradient accumulates their cotangents like the other parameters' (a coefficient vector
        indexed inside the loop needs a cotangent of another shape, an extra kernel per iteration
        on a GPU, benchmarks/gpu_kernels.py)."""
        force0 = jnp.asarray(self.F_load)  # its precision kept (float32 runs, LangevinSolver.dtype)
        force0 = force0 if jnp.issubdtype(force0.dtype, jnp.floating) else force0.astype(float)
        terms = []  # [cos terms, sin terms]
        for c in (self.load_cos, self.load_sin):
            c = None if c is None else jnp.asarray(c)
            terms.append([] if c is None else [c[..., k] for k in range(c.shape[-1])])
        n = max(len(t) for t in terms)
        load_fn = self.load_fn

        def force(theta):
            total = force0
            if n:
                for coefficients, trig in zip(terms, harmonic_cos_sin(theta, n)):
                    # term by term, not jnp.sum: on a GPU a reduction ends the kernel that fuses the
                    # Langevin steps (3x the kernels of a forward run, 2x of a gradient)
                    for k, c in enumerate(coefficients):
                        total = total + c * trig[k]
            if load_fn is not None:
                total = total + load_fn(theta)
            return total

        return force

    def flatten(self) -> MotorParams:
        """All array fields broadcast to ``batch_shape`` and reshaped to one leading axis (P,)
        (Fourier coefficients: (P, harmonics)); structural fields unchanged."""
        shape = self.batch_shape
        size = int(np.prod(shape, dtype=int))
        # concrete values are reshaped on the host (numpy): no device dispatch per field
        concrete = not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(self))
        xp = np if concrete else jnp
        fields = {k: xp.broadcast_to(xp.asarray(getattr(self, k), dtype=float), shape).reshape(size)
                  for k in _SCALARS}
        if self.cutoff is not None:
            fields["cutoff"] = xp.broadcast_to(xp.asarray(self.cutoff, dtype=float), shape).reshape(size)
        for name in ("load_cos", "load_sin"):
            value = getattr(self, name)
            if value is not None:
                value = xp.asarray(value, dtype=float)
                fields[name] = xp.broadcast_to(value, shape + value.shape[-1:]).reshape(size, value.shape[-1])
        return eqx.tree_at(lambda p: [getattr(p, k) for k in fields], self, list(fields.values()),
                           is_leaf=lambda x: x is None)
