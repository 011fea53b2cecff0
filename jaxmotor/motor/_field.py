"""The field behind the friction: the classical Luttinger-liquid field driven by the motor
(motor paper Secs. IV C, IV E, App. B, Eqs. 43-49, 63-66, B14, B25; docs/physics.md §2).

**Equations.** The inhomogeneous Luttinger liquid (Eq. 50), H = (1/2π) ∫ v[K(∂ₓθ)² + (∂ₓφ)²/K] dx,
has the classical field equations ∂ₜφ = -vK ∂ₓθ, ∂ₜθ = -(v/K) ∂ₓφ, with K(x) = K, v = v_c in the
wire |x| < D/2 and K = 1, v = v_F in the leads (Eqs. 51-52); φ and (v/K)∂ₓφ are continuous at
x = ±D/2 (Eqs. B16-B17). The motor pins φ(0, t) = -ϑ(t)/2 (Eq. 26, Fig. 3; ϑ the motor angle,
written θ in docs/physics.md). Energy density and current (Eqs. 44, 47, classically):

    ρ_E = (1/2π)[(∂ₜφ)²/(vK) + v(∂ₓφ)²/K],     j_E = -(v/(πK)) ∂ₜφ ∂ₓφ,

and the force of the field on the motor is F = -(v_c/2πK)[∂ₓφ]_{0⁻}^{0⁺} (the Lagrange multiplier of
the constraint, Eq. B8), whose power -Fϑ̇ = j_E(0⁺) - j_E(0⁻) is the dissipated power (Eq. 49).
The Langevin engine's friction is -γ₀[ϑ̇ + 2 Σ_{n≥1} rⁿ ϑ̇(t - nτ)] (Eq. 59), τ = D/v_c.

**Travel-time coordinate.** With s = ∫₀ˣ dx'/v(x') the equations become
∂ₜφ = -K ∂ₛθ, ∂ₜθ = -(1/K) ∂ₛφ: every wave moves at speed 1, the wire is 0 < s < τ/2, and only
the impedance Z = 1/K jumps (1/K → 1) at s = τ/2. The velocities v_c, v_F enter only through
x(s) (the reflection |r| = |K-1|/(K+1) is independent of them, docs/physics.md §2). The problem is symmetric
in x (the same K, v and the same boundary value on both sides), so φ is even: the solver evolves
0 ≤ s ≤ s_max and mirrors (j_E is odd, ρ_E even; F = -(1/πK) ∂ₛφ(0⁺)).

**Scheme.** Leapfrog for Z ∂ₜ²φ = ∂ₛ(Z ∂ₛφ) on nodes s_i = i·ds, dt = C·ds (Courant number
C ≤ 1), the interface on a node, whose mass is the mean of the two sides' Z (conservative form):

    Z̄_i (φᵢⁿ⁺¹ - 2φᵢⁿ + φᵢⁿ⁻¹)/dt² = [Z_{i+½}(φᵢ₊₁ - φᵢ) - Z_{i-½}(φᵢ - φᵢ₋₁)]ⁿ/ds²,

φ₀ⁿ = -ϑ(tₙ)/2, at the far end the outgoing (Mur) condition
φ_Nⁿ⁺¹ = φ_{N-1}ⁿ + (C-1)/(C+1)(φ_{N-1}ⁿ⁺¹ - φ_Nⁿ). Before t = 0 the motor and the field are at
rest. Errors:

* at C = 1 (default) the scheme is *exact on the nodes*: the lattice d'Alembert solution
  f(n-i) + g(n+i) solves it, the interface node transmits 2Z_L/(Z_L+Z_R) and reflects
  (Z_L-Z_R)/(Z_L+Z_R) = -r exactly, and the Mur condition is φ_Nⁿ⁺¹ = φ_{N-1}ⁿ, exact for outgoing
  waves: no dispersion, no spurious reflection (tested against Eq. B25 to round-off). What is
  left is the difference quotients of the observables: the force (one-sided second-order stencil
  at s = 0) and j_E are second order in dt for a smooth motion; a velocity jump of the motion
  (a kink of ϑ) costs O(dt) in the energy carried by that kink (for a move of duration t_s at
  constant velocity, a relative error ≈ dt/(2t_s)).
* at C < 1 the leapfrog has its usual second-order phase error, ≈ (1 - C²)(ω ds)²/24 relative in the
  phase velocity, and the Mur condition reflects O((ω ds)²) of an outgoing wave (tested: second
  order).

**Energy.** With E^{n+½} = (1/2π) Σ ds [Z̄ᵢ(δₜφᵢ)² + Z_{i+½} δₛφⁿ⁺¹ δₛφⁿ] the scheme conserves

    E^{n+½} - E^{n-½} = W^n - dt J^n,   W^n = -F_Eⁿ (ϑⁿ⁺¹ - ϑⁿ⁻¹)/2,   F_Eⁿ = -Z_{½}(φ₁ⁿ - φ₀ⁿ)/(π ds),

exactly (summation by parts), for any sub-domain ending on a node i, with the flux
J^n = -(1/π)(φᵢⁿ⁺¹ - φᵢⁿ⁻¹)/(2dt) Z_{i+½}(φᵢ₊₁ⁿ - φᵢⁿ)/ds through it (doubled for the two sides).
So "work done by the motor = field energy + energy out" holds to round-off (tested); the energy
carried into the leads is the flux through the interface nodes s = ±τ/2.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._validate import check_int, check_range, fail

MOTIONS = ("constant", "step")
_MAX_NODES = 10**7  # grid nodes of one side (memory: a few arrays of this size per step)
_MAX_MAP_VALUES = 3 * 10**8  # values in the saved maps φ, ρ_E, j_E (2.4 GB)


class FieldSolver(eqx.Module):
    """Grid of the field solver (host numbers; part of the compiled structure).

    Attributes:
        dt: time step (1/energy). With leads τ/2 must be a whole number (≥ 2) of cells ds = dt/courant.
        courant: C = dt/ds in the travel-time coordinate, 0 < C ≤ 1. At 1 (default) the propagation is
            exact on the grid (see the module docstring); below 1 it has second-order dispersion.
        span: travel time covered beyond the wire (the shown part of a lead, default τ) or, without
            leads, of the wire itself (default 100·ds). Outgoing waves leave through the far end
            without reflection (exactly at C = 1), so the span only sets what the maps show.
        save_every: the maps ρ_E(x, t), j_E(x, t) are kept every this many steps (the time series of
            force, work and energies every step).
    """

    dt: float = eqx.field(static=True)
    courant: float = eqx.field(default=1.0, static=True)
    span: float | None = eqx.field(default=None, static=True)
    save_every: int = eqx.field(default=1, static=True)

    def __check_init__(self):
        check_range("dt", self.dt, low=0.0, low_inclusive=False)
        check_range("courant", self.courant, low=0.0, high=1.0, low_inclusive=False)
        if self.span is not None:
            check_range("span", self.span, low=0.0, low_inclusive=False)
        check_int("save_every", self.save_every, low=1)

    @property
    def ds(self) -> float:
        return self.dt / self.courant

    def wire_cells(self, tau: float | None) -> int | None:
        """Cells across one half of the wire, τ/(2 ds) (None without leads); a ValueError unless whole."""
        if tau is None:
            return None
        check_range("tau", tau, low=0.0, low_inclusive=False)
        cells = tau / (2 * self.ds)
        n = round(cells)
        if n < 2 or abs(cells - n) > 1e-9 * max(cells, 1.0):
            fail("dt", self.dt, f"τ/2 = {tau / 2!r} must be a whole number >= 2 of cells ds = dt/courant = "
                 f"{self.ds!r} (e.g. dt = courant·τ/(2n))")
        return n

    def span_cells(self, tau: float | None) -> int:
        span = self.span if self.span is not None else (tau if tau is not None else 100 * self.ds)
        return max(round(span / self.ds), 3)


class FieldResults(eqx.Module):
    """The driven field, both sides of the motor (x mirrored). Units ħ = e = k_B = 1.

    Time series at tₙ = n·dt, n = 0..steps-1 (shape (steps,)):
        times, angle: ϑ(tₙ); velocity: (ϑⁿ⁺¹ - ϑⁿ⁻¹)/2dt.
        force: the force of the field on the motor, -(1/πK)∂ₛφ(0⁺, tₙ) by a one-sided second-order
            stencil (compare with :func:`langevin_friction`).
        force_work: the energy-consistent one-sided force F_E (the work identity's; first order).
        friction: the Langevin friction of Eq. 59 for ``velocity`` (:func:`langevin_friction`).
        work: cumulative work done by the motor on the field, Σ_{m≤n} Wᵐ (to t_{n+½}).
        wire_energy, lead_energy: field energy E^{n+½} in |x| < D/2 and in the leads on the grid
            (without leads everything is "wire").
        energy_out: cumulative energy through the far ends of the grid (gone for good).
        energy_into_leads: cumulative energy carried through x = ±D/2 (without leads: the energy
            emitted by the motor, = ``work``: it all travels to ±∞).
        lead_power: the power through x = ±D/2 at tₙ (without leads: j_E(0⁺) - j_E(0⁻)).
    Maps at the saved times ``frame_times`` (frames,), on ``x`` (2N-1,):
        phi: the displacement field φ(x, t) (even in x; φ(0, t) = -ϑ(t)/2).
        energy_current: j_E(x, t) (Eq. 47), odd in x; energy_density: ρ_E(x, t) (Eq. 44), even.
    """

    times: Float[Array, " steps"]
    angle: Float[Array, " steps"]
    velocity: Float[Array, " steps"]
    force: Float[Array, " steps"]
    force_work: Float[Array, " steps"]
    friction: Float[Array, " steps"]
    work: Float[Array, " steps"]
    wire_energy: Float[Array, " steps"]
    lead_energy: Float[Array, " steps"]
    energy_out: Float[Array, " steps"]
    energy_into_leads: Float[Array, " steps"]
    lead_power: Float[Array, " steps"]
    frame_times: Float[Array, " frames"]
    x: Float[Array, " x"]
    phi: Float[Array, "frames x"]
    energy_current: Float[Array, "frames x"]
    energy_density: Float[Array, "frames x"]
    K: Float[Array, ""]
    tau: float | None = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    ds: float = eqx.field(static=True)
    courant: float = eqx.field(static=True)
    v_c: float = eqx.field(static=True)
    v_F: float = eqx.field(static=True)

    @property
    def field_energy(self) -> Float[Array, " steps"]:
        """Total field energy on the grid, E^{n+½}."""
        return self.wire_energy + self.lead_energy

    @property
    def dissipated_energy(self) -> Float[Array, ""]:
        """Energy carried into the leads over the run (Eq. 63); without leads, to x = ±∞."""
        return self.energy_into_leads[-1]

    @property
    def dissipated_power(self) -> Float[Array, ""]:
        """Power carried into the leads (without leads: emitted by the motor) at the end of the run."""
        return self.lead_power[-1]

    @property
    def energy_balance_residual(self) -> Float[Array, ""]:
        """max |work - field energy - energy out| / max |work| over the run (round-off)."""
        residual = self.work - self.field_energy - self.energy_out
        return jnp.max(jnp.abs(residual)) / jnp.maximum(jnp.max(jnp.abs(self.work)), 1e-300)

    def to_dataset(self, attrs: dict | None = None):
        """An xarray Dataset with dims ``time`` (series), ``frame_time`` and ``x`` (maps)."""
        from .. import store

        series = ("angle", "velocity", "force", "force_work", "friction", "work", "wire_energy", "lead_energy",
                  "energy_out", "energy_into_leads", "lead_power")
        variables = {name: (("time",), np.asarray(getattr(self, name))) for name in series}
        variables["field_energy"] = (("time",), np.asarray(self.field_energy))
        variables["phi"] = (("frame_time", "x"), np.asarray(self.phi))
        variables["energy_current"] = (("frame_time", "x"), np.asarray(self.energy_current))
        variables["energy_density"] = (("frame_time", "x"), np.asarray(self.energy_density))
        meta = {"K": float(self.K), "tau": "none" if self.tau is None else self.tau, "dt": self.dt, "ds": self.ds,
                "courant": self.courant, "v_c": self.v_c, "v_F": self.v_F,
                "dissipated_energy": float(self.dissipated_energy), "dissipated_power": float(self.dissipated_power),
                "energy_balance_residual": float(self.energy_balance_residual), **(attrs or {})}
        coords = {"time": np.asarray(self.times), "frame_time": np.asarray(self.frame_times), "x": np.asarray(self.x)}
        return store.dataset(variables, coords=coords, attrs=meta)


def prescribed_motion(kind: str, velocity: float, dt: float, steps: int, duration: float | None = None
                      ) -> Float[Array, " steps_plus_1"]:
    """ϑ(tₙ), n = 0..steps, for the CLI's motions (at rest before t = 0, ϑ(0) = 0):
    ``"constant"``: ϑ = ϑ̇ t (Eqs. 43, 65); ``"step"``: a move ϑ = ϑ̇ min(t, t_s) of duration
    t_s = ``duration`` (the regularized step of Sec. IV E, Eq. 64). Feed the result to
    :func:`solve_field` to get ``steps`` time points."""
    if kind not in MOTIONS:
        fail("motion", kind, f"expected one of {', '.join(MOTIONS)}")
    check_range("velocity", velocity)
    steps = check_int("steps", steps, low=1)
    t = dt * jnp.arange(steps + 1)
    if kind == "constant":
        return velocity * t
    if duration is None:
        fail("duration", duration, "the step motion needs a duration t_s > 0")
    check_range("duration", duration, low=0.0, low_inclusive=False)
    return velocity * jnp.minimum(t, duration)


def langevin_friction(velocity: Float[ArrayLike, "*b steps"], K: Float[ArrayLike, "*b"], tau: float | None,
                      dt: float) -> Float[Array, "*b steps"]:
    """The friction force of the Langevin equation, -γ₀[ϑ̇(tₙ) + 2A(tₙ)] (Eq. 59), for velocity
    samples ϑ̇(tₙ), n = 0..steps-1, the motor at rest before t = 0.

    A(t) = Σ_{n≥1} rⁿ ϑ̇(t - nτ) by the engine's recursion A(t) = r[ϑ̇(t - τ) + A(t - τ)]
    (:mod:`jaxmotor.motor._langevin`, docs/physics.md §2), here one round trip of m = τ/dt samples at a time
    (a ``lax.scan`` over round trips); no truncation. Without leads (``tau=None``) -γ₀ϑ̇ (Eq. 35).
    """
    velocity = jnp.asarray(velocity, dtype=float)
    K = jnp.asarray(K, dtype=float)
    gamma0 = 1 / (2 * jnp.pi * K)
    if tau is None:
        return -gamma0[..., None] * velocity
    m = round(tau / dt)
    if m < 1 or abs(tau / dt - m) > 1e-9 * max(m, 1):
        fail("tau", tau, f"must be a whole multiple of dt={dt!r}")
    r = ((K - 1) / (K + 1))[..., None]
    steps = velocity.shape[-1]
    rows = -(-steps // m)
    padded = jnp.pad(velocity, [(0, 0)] * (velocity.ndim - 1) + [(0, rows * m - steps)])
    trips = jnp.moveaxis(padded.reshape(velocity.shape[:-1] + (rows, m)), -2, 0)

    def round_trip(B_previous, v):  # B = ϑ̇ + A over the previous round trip
        A = r * B_previous
        return v + A, A

    _, A = jax.lax.scan(round_trip, jnp.zeros_like(trips[0]), trips)
    A = jnp.moveaxis(A, 0, -2).reshape(velocity.shape[:-1] + (rows * m,))[..., :steps]
    return -gamma0[..., None] * (velocity + 2 * A)


def _impedances(K, wire: int | None, nodes: int):
    """Z at the half nodes (nodes - 1,) and the nodes' masses Z̄ (interior nodes 1..N-1)."""
    inside = jnp.arange(nodes - 1) < (wire if wire is not None else nodes)
    Z_half = jnp.where(inside, 1 / K, 1.0)
    return Z_half, 0.5 * (Z_half[1:] + Z_half[:-1])


def _positions(wire: int | None, nodes: int, ds: float, v_c: float, v_F: float) -> np.ndarray:
    """x of the nodes 0..N-1 (host): x = v_c s in the wire, D/2 + v_F (s - τ/2) in the lead."""
    i = np.arange(nodes - 1, dtype=float)
    if wire is None:
        return v_c * ds * i
    return np.where(i <= wire, v_c * ds * i, v_c * ds * wire + v_F * ds * (i - wire))


def solve_field(angle: Float[ArrayLike, " n"], K: Float[ArrayLike, ""], tau: float | None, solver: FieldSolver, *,
                v_c: float = 1.0, v_F: float = 1.0) -> FieldResults:
    """Drive the Luttinger-liquid field with a prescribed motor angle and follow force and energy.

    Args:
        angle: ϑ(tₙ) at tₙ = n·solver.dt, n = 0..steps (steps ≥ 1), shape (steps+1,); the motor is at
            rest before t = 0 (:func:`prescribed_motion` makes the CLI's motions).
        K: Luttinger parameter of the wire, K > 0 (a scalar; differentiable, vmap over it).
        tau: the plasmon round trip τ = D/v_c to the Fermi-liquid leads (K = 1 beyond |x| = D/2), or
            None for the infinite Luttinger liquid.
        solver: the grid (:class:`FieldSolver`).
        v_c, v_F: velocities in the wire and the leads; they set only the positions x (D = v_c τ).

    Returns:
        :class:`FieldResults` with time series at tₙ, n = 0..steps-1 (the last sample of ``angle``
        feeds the last update), and maps every ``solver.save_every`` steps.
    """
    check_range("v_c", v_c, low=0.0, low_inclusive=False)
    check_range("v_F", v_F, low=0.0, low_inclusive=False)
    check_range("K", K, low=0.0, low_inclusive=False)
    angle = jnp.asarray(angle, dtype=float)
    if angle.ndim != 1 or angle.shape[0] < 2:
        fail("angle", angle.shape, "expected ϑ(tₙ) of shape (steps+1,) with steps >= 1")
    wire = solver.wire_cells(tau)
    nodes = (wire or 0) + solver.span_cells(tau) + 1
    if nodes > _MAX_NODES:
        fail("span", solver.span, f"the grid would hold {nodes} nodes (at most {_MAX_NODES}); shorten the span or "
             "coarsen dt")
    frames = (angle.shape[0] - 1) // solver.save_every
    if 3 * frames * (2 * nodes - 3) > _MAX_MAP_VALUES:
        fail("save_every", solver.save_every, f"the maps would hold {3 * frames * (2 * nodes - 3)} values (at most "
             f"{_MAX_MAP_VALUES}); keep fewer frames")
    dt, ds = float(solver.dt), float(solver.ds)
    out = _solve(angle, jnp.asarray(K, dtype=float), dt=dt, ds=ds, wire=wire, nodes=nodes,
                 save_every=solver.save_every, tau=tau, v_c=float(v_c), v_F=float(v_F))
    half = _positions(wire, nodes, ds, float(v_c), float(v_F))
    x = np.concatenate([-half[:0:-1], half])
    return FieldResults(**out, x=jnp.asarray(x), tau=tau, dt=dt, ds=ds, courant=float(solver.courant),
                        v_c=float(v_c), v_F=float(v_F))


def _mirror(values: Array, sign: float) -> Array:
    return jnp.concatenate([sign * values[..., :0:-1], values], axis=-1)


@jax.jit(static_argnames=("dt", "ds", "wire", "nodes", "save_every", "tau", "v_c", "v_F"))
def _solve(angle, K, *, dt, ds, wire, nodes, save_every, tau, v_c, v_F):
    """The leapfrog scan of the module docstring for one K: per-step series and the saved maps."""
    steps = angle.shape[0] - 1
    C = dt / ds
    Z_half, Z_node = _impedances(K, wire, nodes)
    Zw = 1 / K  # the wire's impedance at s = 0
    I = wire if wire is not None else nodes - 2  # the interface node (none: the last interior node)
    mur = (C - 1) / (C + 1)
    v_half = jnp.where(jnp.arange(nodes - 1) < (wire if wire is not None else nodes), v_c, v_F)
    v_node = jnp.concatenate([v_half[:1], 0.5 * (v_half[1:] + v_half[:-1])])  # nodes 0..N-1
    mass = jnp.concatenate([Zw[None], Z_node])  # nodes 0..N-1

    def leapfrog(old, cur, theta_new):
        flux = Z_half * jnp.diff(cur)
        interior = 2 * cur[1:-1] - old[1:-1] + C**2 / Z_node * (flux[1:] - flux[:-1])
        edge = cur[-2] + mur * (interior[-1] - cur[-1])
        return jnp.concatenate([(-theta_new / 2)[None], interior, edge[None]])

    def advance(carry, thetas):
        """One step: φⁿ⁺¹ and the observables at tₙ (work, energies E^{n+½}, fluxes)."""
        old, cur = carry
        th_old, th_new = thetas
        new = leapfrog(old, cur, th_new)
        sigma = Z_half * jnp.diff(cur) / ds  # (v/K)∂ₓφ = Z∂ₛφ at the half nodes 0..N-1, time n
        dphi_dt = (new - old) / (2 * dt)
        slope0 = (-3 * cur[0] + 4 * cur[1] - cur[2]) / (2 * ds)  # ∂ₛφ(0⁺), second order
        force = -Zw * slope0 / jnp.pi
        force_work = -sigma[0] / jnp.pi
        through = -dphi_dt[:-1] * sigma / jnp.pi  # flux through node i < N (its kinetic term inside)
        kinetic = Z_node * ((new[1:-1] - cur[1:-1]) / dt) ** 2 * ds / (2 * jnp.pi)  # nodes 1..N-1
        potential = Z_half * jnp.diff(new) * jnp.diff(cur) / ds / (2 * jnp.pi)  # half nodes 0..N-1
        wire_energy = 2 * (jnp.sum(kinetic[:I]) + jnp.sum(potential[:I]))
        total = 2 * (jnp.sum(kinetic) + jnp.sum(potential[:-1]))
        velocity = (th_new - th_old) / (2 * dt)
        series = {"force": force, "force_work": force_work, "work": -force_work * velocity * dt,
                  "wire_energy": wire_energy, "lead_energy": total - wire_energy, "out": 2 * dt * through[-1],
                  "into_leads": 2 * dt * through[I],
                  "lead_power": 2 * through[I] if wire is not None else -force * velocity}
        # the maps (nodes 0..N-1): ∂ₛφ at a node is the mean of its two half nodes (second order)
        sigma_node = jnp.concatenate([(Zw * slope0)[None], 0.5 * (sigma[1:] + sigma[:-1])])
        current = -dphi_dt[:-1] * sigma_node / jnp.pi
        gradient2 = jnp.concatenate([(Zw * slope0**2)[None],
                                     0.5 * (sigma[1:] ** 2 / Z_half[1:] + sigma[:-1] ** 2 / Z_half[:-1])])
        density = (mass * dphi_dt[:-1] ** 2 + gradient2) / (2 * jnp.pi * v_node)
        return (cur, new), (series, (cur[:-1], current, density))

    def step(carry, thetas):
        carry, (series, _) = advance(carry, thetas)
        return carry, series

    def frame(carry, thetas):
        carry, (first, fields) = advance(carry, (thetas[0][0], thetas[1][0]))
        carry, series = jax.lax.scan(step, carry, (thetas[0][1:], thetas[1][1:]))
        return carry, (jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, series), fields)

    th_old = jnp.concatenate([angle[:1], angle[:-2]])  # ϑ^{n-1}, at rest before t = 0
    th_new = angle[1:]
    rest = jnp.full(nodes, -angle[0] / 2)
    frames = steps // save_every
    whole = frames * save_every
    grouped = (th_old[:whole].reshape(frames, save_every), th_new[:whole].reshape(frames, save_every))
    carry, (series, (phi, current, density)) = jax.lax.scan(frame, (rest, rest), grouped)
    series = jax.tree.map(lambda a: a.reshape(-1), series)
    if whole < steps:
        _, tail = jax.lax.scan(step, carry, (th_old[whole:], th_new[whole:]))
        series = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), series, tail)
    velocity = (th_new - th_old) / (2 * dt)
    return {
        "times": dt * jnp.arange(steps), "angle": angle[:steps], "velocity": velocity, "force": series["force"],
        "force_work": series["force_work"], "friction": langevin_friction(velocity, K, tau, dt),
        "work": jnp.cumsum(series["work"]), "wire_energy": series["wire_energy"],
        "lead_energy": series["lead_energy"], "energy_out": jnp.cumsum(series["out"]),
        "energy_into_leads": jnp.cumsum(series["into_leads"] if wire is not None else series["work"]),
        "lead_power": series["lead_power"], "frame_times": dt * save_every * jnp.arange(frames),
        "phi": _mirror(phi, 1.0), "energy_current": _mirror(current, -1.0),
        "energy_density": _mirror(density, 1.0), "K": K,
    }
