"""Mean-field dynamics of the pump: a classical spin coupled to a Slater determinant of fermions.

Pump paper Sec. IV A, Eqs. 15-19; docs/physics.md §1 "Mean-field dynamics". Units ħ = e = 1, energies and
frequencies in units of J's energy scale, time in 1/J.

State: the classical spin S (a 3-vector of length S) and the one-body density matrix
ρ_ij = ⟨c†_j c_i⟩ (L×L, Hermitian, a projector of rank N for a Slater determinant). The energy

    E(S, ρ) = -ω S_z + Tr[h(S) ρ],   h(S) = h₀ + S_x h_x + S_y h_y                   (Eq. 16-17)

with the first-quantized ring (periodic, no Jordan-Wigner sign; 0-based site a = j-1, stagger
s_j = (-1)^j, optional flux φ per bond and on-site disorder ε_j as in :class:`PumpParams`):

    h₀ = -(J/2) Σ_j (e^{iφ}|j⟩⟨j+1| + h.c.) + Σ_j ε_j |j⟩⟨j|
    h_x = -(Jg/2) Σ_j s_j (e^{iφ}|j⟩⟨j+1| + h.c.),   h_y = Δg Σ_j s_j |j⟩⟨j|,   g = η/S.

The flow is dρ/dt = -i[h(S), ρ] and dS/dt = S × B with B = -∂E/∂S = (-Tr[h_x ρ], -Tr[h_y ρ], ω),
i.e. B_x = gJ⟨I⟩, B_y = gΔ⟨P⟩ of Eq. 18-19 (for Δ = J exactly the paper's). It conserves E and |S|.

**Integrator** (a Poisson splitting, exact in every piece). E splits into
A = -ωS_z + Tr[h₀ρ], X = S_x Tr[h_x ρ] and Y = S_y Tr[h_y ρ]. Each flow is solved exactly: under A the
spin turns about z by -ωτ and ρ → e^{-ih₀τ} ρ e^{ih₀τ}; under X both S_x and Tr[h_x ρ] are constant,
so the spin turns about x by Tr[h_x ρ]τ and ρ → e^{-iS_x h_x τ} ρ e^{iS_x h_x τ}; Y likewise about y
(h_y is diagonal). Strang's symmetric composition A(τ/2) X(τ/2) Y(τ) X(τ/2) A(τ/2) is second order
(``order=2``); Yoshida's triple jump of it is fourth order (``order=4``). |S| and the spectrum of ρ
(N ones, L-N zeros) are conserved to round-off; E has a bounded error O(dt^order), no drift.
The exponentials use eigendecompositions of h₀ and h_x computed once per run.

With ``back_action=False`` the fermions do not act on the spin: it precesses at the fixed
frequency ω, S(t) = R_z(-ωt) S(0), and the fermions follow the driven Rice-Mele ring (the
Thouless pump with an external drive). The same splitting is then a second/fourth-order
integrator of the driven problem.

**Ramp** (``ramp_periods`` = R > 0; docs/physics.md §1 "Mean-field dynamics": a sudden start excites the
fermions, the excitation never decays in this closed system and the charge per revolution wanders
by a few percent with the starting angle; a slow ramp of the spin rotation removes most of it).
Before the measured run the spin is driven on the fixed precession (no torque from the fermions)
with the precession switched on smoothly over T_R = R·2π/|ω|,

    ω(t) = ω sin²(πt / 2T_R)  for 0 ≤ t ≤ T_R   (ω̇ = 0 at both ends),

starting in the plane at θ₀ + ωT_R/2 with the fermions in the filled lower band of h for that spin,
so that it arrives at θ₀ at t = T_R turning at the full ω, with the fermions dressed by the motion.
There the self-consistent run starts from the same spin state as a sudden start (in the plane at
θ₀, dθ/dt = -ω exactly, since B_z = ω), so the orbit and ``encircles`` keep their meaning. The
A flow turns the spin by -∫ω(t)dt = -ω[τ/2 - (T_R/π) cos(π(t + τ/2)/T_R) sin(πτ/2T_R)] over
[t, t + τ], exactly; time advances with A only (a splitting in the extended phase space), so the
integrator keeps its order. Nothing is measured during the ramp: the saved trajectory, Q(t), the
winding and every diagnostic start at t = T_R and cover the following ``periods`` periods. R = 0 is
the sudden start.

Why the torque is off during the ramp: ramping ω with the back-action on lets the spin move on the
ω = 0 energy landscape Tr[h(S)ρ], which is not flat in the plane (stationary only along ±x and ±y);
at S = 10, ω = 0.5 and R = 2-10 it ends on orbits with ω̃ from 0.1 to 0.6, some not encircling at
all, instead of the orbit through θ₀. Why not too slow: on the finite ring the driven fermions have multi-photon
resonances (gap ≈ 2η ≈ 4ω at ω = 0.5, L = 8); a ramp lasting many periods crosses them
partly adiabatically and excites the fermions again. Measured at L = 8, η = 0.95 with the fixed
precession over 40 periods: ω = 0.25, R ≥ 1 gives 1.0031 for every θ₀ (adiabatic 1.0034; sudden
0.996-1.000); ω = 0.5 gives 0.997 for R = 1-2, 0.99 for R = 20, 0.97-0.985 for R = 40 (sudden
0.973-0.983). R of 1-2 periods is the useful range there.

**Observables.** The bond current J_l = -2 t_l Im(e^{iφ} ρ_{l+1,l}), t_l = (J/2)(1 + s_l g S_x),
is docs/physics.md's (Eq. 3 orientation, prefactor J/2), so dn_l/dt = J_l - J_{l-1}. The transported charge
Q(t) = ∫ J̄ dt integrates the bond average J̄ = (1/L) Σ_l J_l (trapezoid rule); it is the charge
through any one bond up to the change of that bond's neighbouring occupations, which does not
accumulate. The in-plane angle θ = atan2(S_y, S_x) is unwrapped step by step (the spin must turn
by less than π per step); the winding w(t) = -(θ(t) - θ(0))/(2π) counts clockwise revolutions, the
sense of precession for ω > 0 (Eq. 10). At every completed revolution (|w| reaching an integer) the
time t_K and charge Q(t_K) are interpolated linearly within the step. The charge per period is
Q(t_K)/K over the K completed revolutions of the run (docs/physics.md), and ω̃ = 2πK/t_K.
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Complex, Float, Int

from .. import batching
from .._results import to_dataset
from .._validate import check_finite, check_int, check_range, fail
from ._hamiltonian import PumpParams
from ._linalg import safe_eigh

# Yoshida's triple jump: S4(τ) = S2(w₁τ) S2(w₀τ) S2(w₁τ) is fourth order for a symmetric S2.
_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
_W0 = 1.0 - 2.0 * _W1
_REVOLUTION_TOL = 1e-9
_MAX_STEPS = 10**7


class MeanFieldSolver(eqx.Module):
    """How the mean-field flow is integrated (settings, not physics).

    Attributes:
        dt: largest time step (units 1/J). Every batch element runs the same number of steps,
            set by the smallest |ω| of the batch; its step is periods·2π/(|ω|·n_steps) ≤ dt
            (the ramp likewise, with its own number of steps).
            The fermions set the scale: the fourth-order splitting is converged to ~1e-4 in the
            pumped charge at dt = 0.1 (bandwidth ~2J; at ω = 0.05 the charge per period changes
            by 1e-5 from dt = 0.1 to 0.025) while dt ≳ 0.5 is visibly wrong. Default 0.1.
        order: 2 (Strang) or 4 (Yoshida). Default 4.
    """

    dt: float = eqx.field(static=True, default=0.1)
    order: int = eqx.field(static=True, default=4)

    def __check_init__(self):
        check_range("dt", self.dt, low=0.0, high=10.0, low_inclusive=False)
        if self.order not in (2, 4):
            fail("order", self.order, "must be 2 or 4")

    @classmethod
    def default(cls) -> MeanFieldSolver:
        """Fourth order at dt = 0.1 on every backend."""
        return cls()


class MeanFieldConfig(eqx.Module):
    """The physical setup of a mean-field run: ring, spin, start, protocol and length (the
    integrator's settings are :class:`MeanFieldSolver`). ``S`` and ``theta0`` may be arrays (they
    join the batch).

    Attributes:
        L: ring sites (even, ≥ 4).
        N: fermions (1..L-1); default L/2.
        S: classical spin length S > 0 (g = η/S). Default 10.
        theta0: initial in-plane angle of the spin, radians from +x towards +y; the spin starts in
            the plane (S_z = 0). Default π/2 (along +y, docs/physics.md's default start).
        periods: length of the measured run in bare precession periods 2π/|ω| (after the ramp).
            Default 20.
        ramp_periods: R ≥ 0, duration of the smooth switch-on ω(t) = ω sin²(πt/2T_R) of the
            precession, T_R = R·2π/|ω|, on the fixed precession ending at θ₀, before the measured
            run (module doc, "Ramp"; docs/physics.md §1). Default 0: sudden start at the full ω. About 2 removes
            most of the start-up excitation at S = 10, ω = 0.5, L = 8; much longer ramps do not help.
        n_saved: points kept of the trajectory (besides t = 0). Default 400.
        back_action: False forces a fixed precession at ω (no torque from the fermions).
    """

    L: int = eqx.field(static=True, default=8)
    N: int | None = eqx.field(static=True, default=None)
    S: Float[ArrayLike, "*batch"] = 10.0
    theta0: Float[ArrayLike, "*batch"] = np.pi / 2
    periods: int = eqx.field(static=True, default=20)
    ramp_periods: float = eqx.field(static=True, default=0.0)
    n_saved: int = eqx.field(static=True, default=400)
    back_action: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        L = check_int("L", self.L, low=4, high=4096)
        if L % 2:
            fail("L", L, "the ring needs an even number of sites L >= 4 (two-site unit cell)")
        if self.N is not None:
            check_int("N", self.N, low=1, high=L - 1)
        check_range("S", self.S, low=0.0, low_inclusive=False)
        check_finite("theta0", self.theta0)
        check_int("periods", self.periods, low=1, high=10**6)
        check_range("ramp_periods", self.ramp_periods, low=0.0, high=1e6)
        check_int("n_saved", self.n_saved, low=1, high=10**6)

    @property
    def n_fermions(self) -> int:
        return self.L // 2 if self.N is None else self.N

    def steps(self, omega, dt: float) -> tuple[int, int]:
        """(n_steps, save_every) for the batch of frequencies ``omega`` (host values) and step ``dt``."""
        needed = self.periods * 2 * np.pi / (np.min(np.abs(np.asarray(omega))) * dt)
        save_every = max(1, int(np.ceil(needed / self.n_saved - 1e-9)))
        return save_every * self.n_saved, save_every

    def ramp_steps(self, omega, dt: float) -> int:
        """Steps of the ramp for the batch of frequencies ``omega`` (host values); 0 without a ramp."""
        if self.ramp_periods == 0:
            return 0
        needed = self.ramp_periods * 2 * np.pi / (np.min(np.abs(np.asarray(omega))) * dt)
        return max(1, int(np.ceil(needed - 1e-9)))


class MeanFieldResult(eqx.Module):
    """Result of :func:`meanfield`; every field has the batch shape, plus the axes noted.

    Attributes:
        time: saved times (..., T), T = n_saved + 1, from the start of the run (t = T_R first, the
            end of the ramp; 0 without one).
        spin: the spin vector at those times, (..., T, 3).
        energy: E = -ωS_z + Tr[h(S)ρ] at those times (conserved with back-action), (..., T).
        charge: transported charge Q(t) since the end of the ramp (bond average, docs/physics.md orientation), (..., T).
        pumped_charge_per_period: Q(t_K)/K over the K completed revolutions; NaN if K = 0.
        charge_per_bare_period: Q(t_end)/periods, the charge per 2π/|ω| (defined also when the
            spin does not encircle the origin).
        revolutions: K, the completed revolutions of the in-plane angle (≥ 0).
        winding: total winding w(t_end) of the in-plane angle, clockwise positive.
        encircles: whether the in-plane spin encircled the origin (K ≥ 1).
        omega_tilde: mean precession frequency 2πK/t_K; NaN if K = 0.
        energy_error: max_t |E(t) - E(T_R)| over the measured run.
        norm_error: max_t ||S(t)| - S|.
        dt: the time step.
    """

    time: Float[Array, "*batch T"]
    spin: Float[Array, "*batch T 3"]
    energy: Float[Array, "*batch T"]
    charge: Float[Array, "*batch T"]
    pumped_charge_per_period: Float[Array, "*batch"]
    charge_per_bare_period: Float[Array, "*batch"]
    revolutions: Int[Array, "*batch"]
    winding: Float[Array, "*batch"]
    encircles: Bool[Array, "*batch"]
    omega_tilde: Float[Array, "*batch"]
    energy_error: Float[Array, "*batch"]
    norm_error: Float[Array, "*batch"]
    dt: Float[Array, "*batch"]

    dims: ClassVar[dict[str, tuple[str, ...]]] = {"time": ("t",), "spin": ("t", "component"),
                                                  "energy": ("t",), "charge": ("t",)}

    def to_dataset(self, batch_dims: tuple[str, ...] | None = None, coords: dict | None = None,
                   attrs: dict | None = None):
        """The run as an ``xarray.Dataset``: batch axes ``batch_dims``, then ``t`` (the saved times)
        and ``component`` (x, y, z) of the spin."""
        return to_dataset(self, reference="winding", trailing=self.dims, batch_dims=batch_dims,
                          coords={"component": ["x", "y", "z"], **(coords or {})}, attrs=attrs)


def single_particle_terms(params: PumpParams, L: int, S) -> tuple[Array, Array, Array]:
    """(h₀, h_x, h_y) of h(S) = h₀ + S_x h_x + S_y h_y for one parameter point, each (L, L) complex.

    First-quantized ring of L sites (site L+1 ≡ 1, no Jordan-Wigner sign); see the module doc.
    """
    g = params.eta / S
    stagger = (-1.0) ** jnp.arange(1, L + 1)
    forward = jnp.exp(1j * params.flux) * jnp.roll(jnp.eye(L), 1, axis=1)  # |j⟩⟨j+1| e^{iφ}
    eps = jnp.zeros(L) if params.disorder is None else params.disorder
    h0 = -0.5 * params.J * (forward + forward.conj().T) + jnp.diag(eps).astype(complex)
    fs = stagger[:, None] * forward
    hx = -0.5 * params.J * g * (fs + fs.conj().T)
    hy = (params.Delta * g * jnp.diag(stagger)).astype(complex)
    return h0, hx, hy


def single_particle_hamiltonian(params: PumpParams, L: int, S, spin) -> Complex[Array, "L L"]:
    """h(S) of Eq. 16 (with Δ, flux and disorder) for the spin vector ``spin``, (L, L) complex."""
    h0, hx, hy = single_particle_terms(params, L, S)
    return h0 + spin[0] * hx + spin[1] * hy


def _filled(vecs, N: int):
    """ρ = Σ_{n<N} |n⟩⟨n| over the first N columns of ``vecs``."""
    occ = vecs[:, :N]
    return occ @ occ.conj().T


def ground_state_density(h: Complex[Array, "L L"], N: int) -> Complex[Array, "L L"]:
    """ρ = Σ_{n<N} |n⟩⟨n| over the N lowest eigenvectors of h (the filled Slater determinant)."""
    return _filled(safe_eigh(h)[1], N)


def energy(params: PumpParams, L: int, S, spin, rho) -> Array:
    """Mean-field energy E = -ω S_z + Tr[h(S) ρ] (conserved by the flow)."""
    h = single_particle_hamiltonian(params, L, S, spin)
    return -params.omega * spin[2] + jnp.real(jnp.trace(h @ rho))


def bond_currents(params: PumpParams, L: int, S, spin, rho) -> Float[Array, " L"]:
    """J_l = -2 t_l Im(e^{iφ} ρ_{l+1,l}), t_l = (J/2)(1 + (-1)^l g S_x): docs/physics.md's current (Eq. 3)."""
    g = params.eta / S
    stagger = (-1.0) ** jnp.arange(1, L + 1)
    t = 0.5 * params.J * (1 + stagger * g * spin[0])
    sites = jnp.arange(L)
    below = rho[(sites + 1) % L, sites]  # ρ_{l+1,l} = ⟨c†_l c_{l+1}⟩
    return -2 * t * jnp.imag(jnp.exp(1j * params.flux) * below)


def _rotate(v, axis: int, angle):
    """Rotate the 3-vector v by ``angle`` (right-handed) about coordinate axis 0, 1 or 2."""
    i, j = (axis + 1) % 3, (axis + 2) % 3
    c, s = jnp.cos(angle), jnp.sin(angle)
    return v.at[i].set(c * v[i] - s * v[j]).at[j].set(s * v[i] + c * v[j])


def _conjugate(u, rho):
    return u @ rho @ u.conj().T


def _propagator(vals, vecs, tau):
    """exp(-i τ h) from h's eigendecomposition."""
    return (vecs * jnp.exp(-1j * tau * vals)) @ vecs.conj().T


def _run_one(params: PumpParams, S, theta0, config: MeanFieldConfig, solver: MeanFieldSolver, n_steps: int,
             save_every: int, n_ramp: int):
    L, N = config.L, config.n_fermions
    h0, hx, hy = single_particle_terms(params, L, S)
    # degeneracy-safe derivatives (the ring's ±k pairs): exact for the parameters that scale h₀ and h_x
    # on a clean ring (ω, η, J, Δ, S); see meanfield_run
    ey = jnp.real(jnp.diag(hy))
    omega = params.omega
    period = 2 * jnp.pi / jnp.abs(omega)
    dt = config.periods * period / n_steps
    back_action = 1.0 if config.back_action else 0.0
    t_ramp = config.ramp_periods * period
    # the ramp turns the spin clockwise by ∫ω dt = ωT_R/2: start there to arrive at θ₀
    start = theta0 + (omega * t_ramp / 2 if n_ramp else 0.0)
    spin0 = S * jnp.array([jnp.cos(start), jnp.sin(start), 0.0])
    h_start = single_particle_hamiltonian(params, L, S, spin0)
    # h₀, h_x and the starting h in one batched eigh: two independent batched LAPACK calls in one
    # program can wedge XLA CPU's thread pool for good (jaxmotor/pump/_linalg.py's docstring)
    vals, vecs = jax.vmap(safe_eigh)(jnp.stack([h0, hx, h_start]))
    (e0, ex), (v0, vx) = vals[:2], vecs[:2]

    def steady_turn(t, tau):
        return omega * tau

    def step(spin, rho, t, tau, turn, torque):
        """One step τ from time t; ``turn(t, τ)`` = ∫_t^{t+τ} ω(s) ds turns the spin in the A flow,
        ``torque`` (1 or 0) switches the fermions' back-action on the spin."""

        def a_flow(spin, rho, t, s):
            return _rotate(spin, 2, -turn(t, s)), _conjugate(_propagator(e0, v0, s), rho), t + s

        def x_flow(spin, rho, s):
            tx = jnp.real(jnp.trace(hx @ rho))
            rho = _conjugate(_propagator(ex, vx, spin[0] * s), rho)
            return _rotate(spin, 0, torque * tx * s), rho

        def y_flow(spin, rho, s):
            ty = jnp.real(jnp.trace(hy @ rho))
            phase = jnp.exp(-1j * spin[1] * s * ey)
            rho = phase[:, None] * rho * phase.conj()[None, :]
            return _rotate(spin, 1, torque * ty * s), rho

        def strang(spin, rho, t, s):
            spin, rho, t = a_flow(spin, rho, t, s / 2)
            spin, rho = x_flow(spin, rho, s / 2)
            spin, rho = y_flow(spin, rho, s)
            spin, rho = x_flow(spin, rho, s / 2)
            return a_flow(spin, rho, t, s / 2)

        if solver.order == 2:
            return strang(spin, rho, t, tau)[:2]
        for w in (_W1, _W0, _W1):
            spin, rho, t = strang(spin, rho, t, w * tau)
        return spin, rho

    def mean_current(spin, rho):
        return jnp.mean(bond_currents(params, L, S, spin, rho))

    rho0 = _filled(vecs[2], N)
    if n_ramp:
        dt_ramp = t_ramp / n_ramp

        def ramp_turn(t, tau):  # ∫_t^{t+τ} ω sin²(πs/2T_R) ds; the formula is used also just outside [0, T_R]
            return omega * (tau / 2 - t_ramp / jnp.pi * jnp.cos(jnp.pi * (t + tau / 2) / t_ramp)
                            * jnp.sin(jnp.pi * tau / (2 * t_ramp)))

        def ramp_step(state, i):
            return step(*state, i * dt_ramp, dt_ramp, ramp_turn, 0.0), None

        (spin0, rho0), _ = jax.lax.scan(ramp_step, (spin0, rho0), jnp.arange(n_ramp))

    def one_step(carry, _):
        spin, rho, t, q, cur, angle, winding, k_done, t_k, q_k = carry
        spin, rho = step(spin, rho, t, dt, steady_turn, back_action)
        t_new = t + dt
        cur_new = mean_current(spin, rho)
        q_new = q + 0.5 * dt * (cur + cur_new)
        new_angle = jnp.arctan2(spin[1], spin[0])
        turn = jnp.angle(jnp.exp(1j * (new_angle - angle)))  # wrapped to (-π, π]
        w_new = winding - turn / (2 * jnp.pi)
        # the tolerance keeps a revolution that ends exactly on the last step from flickering
        completed = jnp.floor(jnp.abs(w_new) + _REVOLUTION_TOL).astype(k_done.dtype)
        crossed = completed > k_done
        span = jnp.where(crossed, jnp.abs(w_new) - jnp.abs(winding), 1.0)
        frac = jnp.clip((completed - jnp.abs(winding)) / span, 0.0, 1.0)
        t_k = jnp.where(crossed, t + frac * dt, t_k)
        q_k = jnp.where(crossed, q + frac * (q_new - q), q_k)
        k_done = jnp.maximum(k_done, completed)
        return (spin, rho, t_new, q_new, cur_new, new_angle, w_new, k_done, t_k, q_k), None

    def saved_block(carry, _):
        carry, _ = jax.lax.scan(one_step, carry, None, length=save_every)
        spin, rho, t, q = carry[:4]
        return carry, (t, spin, energy(params, L, S, spin, rho), q)

    zero = jnp.zeros(())
    carry0 = (spin0, rho0, zero, zero, mean_current(spin0, rho0), jnp.arctan2(spin0[1], spin0[0]), zero,
              jnp.zeros((), dtype=jnp.int32), zero, zero)
    carry, (t, spin, e, q) = jax.lax.scan(saved_block, carry0, None, length=config.n_saved)
    *_, winding, k_done, t_k, q_k = carry
    time = t_ramp + jnp.concatenate([zero[None], t])
    spin = jnp.concatenate([spin0[None], spin])
    e = jnp.concatenate([energy(params, L, S, spin0, rho0)[None], e])
    q = jnp.concatenate([zero[None], q])
    has_rev = k_done > 0
    safe_k = jnp.maximum(k_done, 1)
    return MeanFieldResult(
        time=time,
        spin=spin,
        energy=e,
        charge=q,
        pumped_charge_per_period=jnp.where(has_rev, q_k / safe_k, jnp.nan),
        charge_per_bare_period=q[-1] / config.periods,
        revolutions=k_done,
        winding=winding,
        encircles=has_rev,
        omega_tilde=jnp.where(has_rev, 2 * jnp.pi * safe_k / jnp.where(has_rev, t_k, 1.0), jnp.nan),
        energy_error=jnp.max(jnp.abs(e - e[0])),
        norm_error=jnp.max(jnp.abs(jnp.linalg.norm(spin, axis=-1) - S)),
        dt=dt,
    )


def _check_omega(omega) -> None:
    check_range("omega", omega, low=-1e6, high=1e6)
    if np.any(np.asarray(omega) == 0):
        fail("omega", omega, "must be nonzero (the run is measured in periods 2π/|ω|)")


def _step_counts(omega, config: MeanFieldConfig, solver: MeanFieldSolver) -> tuple[int, int, int]:
    n_steps, save_every = config.steps(omega, solver.dt)
    n_ramp = config.ramp_steps(omega, solver.dt)
    if n_steps + n_ramp > _MAX_STEPS:
        fail("omega", np.min(np.abs(np.asarray(omega))),
             f"needs {n_steps + n_ramp} steps of dt <= {solver.dt} for {config.ramp_periods:g} + {config.periods} "
             f"periods (at most {_MAX_STEPS})")
    return n_steps, save_every, n_ramp


def meanfield_run(params: PumpParams, config: MeanFieldConfig = MeanFieldConfig(),
                  solver: MeanFieldSolver | None = None, *, omega_ref: float | None = None) -> MeanFieldResult:
    """One mean-field run (one parameter point; ``config.S``, ``config.theta0`` scalars): pure, so it
    composes with ``jit``, ``vmap`` and ``grad`` (the charge per bare period is differentiable in
    ω, η, J, Δ and S). The propagators come from eigendecompositions of h₀ and h_x, whose ±k pairs are
    degenerate; their derivative drops the degenerate pairs (:func:`~jaxmotor.pump._linalg.safe_eigh`),
    which is exact when the perturbation has no matrix elements inside a degenerate pair — true for
    ω, η, J, Δ, S on a clean ring (h₀ ∝ J, h_x ∝ Jη/S), not for the flux or disorder (their
    derivatives are not supported).

    The number of steps is static: it follows from |ω| when ω is concrete, else from ``omega_ref`` (a
    host number, the |ω| the run is sized for; the step is then periods·2π/(|ω|·n_steps) — a
    smaller |ω| than ``omega_ref`` gives longer steps than ``solver.dt``).
    """
    solver = MeanFieldSolver.default() if solver is None else solver
    if omega_ref is None:
        try:
            omega_ref = float(np.abs(np.asarray(params.omega)))
        except Exception:  # a tracer
            fail("omega_ref", None, "ω is traced: give omega_ref, the host value of |ω| that sizes the run")
    _check_omega(omega_ref)
    n_steps, save_every, n_ramp = _step_counts(omega_ref, config, solver)
    static = eqx.tree_at(lambda c: (c.S, c.theta0), config, (0.0, 0.0))
    return _run_one(params, jnp.asarray(config.S, dtype=float), jnp.asarray(config.theta0, dtype=float), static,
                    solver, n_steps, save_every, n_ramp)


@cache
def _kernel(config: MeanFieldConfig, solver: MeanFieldSolver, n_steps: int, save_every: int, n_ramp: int):
    return lambda x: _run_one(x[0], x[1], x[2], config, solver, n_steps, save_every, n_ramp)


def meanfield(params: PumpParams, config: MeanFieldConfig = MeanFieldConfig(), solver: MeanFieldSolver | None = None, *,
              memory_budget: float | None = None, progress: bool = False) -> MeanFieldResult:
    """Run the mean-field dynamics (Eqs. 16-19) for a batch of parameters: the batched form of
    :func:`meanfield_run` (the one batching driver, :mod:`jaxmotor.batching`).

    Args:
        params: :class:`PumpParams`; every field may be an array (batch over ω, η, J, Δ, flux,
            disorder). ω must be nonzero and concrete (host values): the run lasts
            ``config.periods`` periods 2π/|ω| and the smallest |ω| sets the number of steps.
        config: :class:`MeanFieldConfig`; its ``S`` and ``theta0`` broadcast with the parameters.
        solver: :class:`MeanFieldSolver` (default: fourth order, dt = 0.1).
        memory_budget, progress: as for :func:`jaxmotor.pump.solve`.

    Returns:
        :class:`MeanFieldResult` with the broadcast batch shape.
    """
    if not isinstance(params, PumpParams):
        fail("params", type(params).__name__, "expected a PumpParams")
    solver = MeanFieldSolver.default() if solver is None else solver
    _check_omega(params.omega)
    batch = params.batch_shape
    shape = tuple(np.broadcast_shapes(batch, np.shape(config.S), np.shape(config.theta0)))
    nb = len(batch)  # the parameters' own batch axes, then trailing axes (disorder: sites)
    full = jax.tree.map(lambda a: np.broadcast_to(a, shape + np.shape(a)[nb:]), params.broadcast(config.L))
    S = np.broadcast_to(np.asarray(config.S, dtype=float), shape)
    theta0 = np.broadcast_to(np.asarray(config.theta0, dtype=float), shape)
    counts = _step_counts(params.omega, config, solver)
    # S and theta0 travel as traced arrays; placeholders in the static config avoid recompiling per value
    static = eqx.tree_at(lambda c: (c.S, c.theta0), config, (0.0, 0.0))
    per_point = (config.n_saved + 1) * 8 * 8 + 32 * config.L**2 * 16
    flat = batching.flatten((full, S, theta0), shape)
    result = batching.run(_kernel(static, solver, *counts), flat, bytes_per_point=per_point,
                          memory_budget=batching.check_budget(memory_budget), progress=progress, desc="mean field")
    return batching.unflatten(result, shape)


def illustrative_frequencies(omega, encircles, omega_min) -> list[int]:
    """Indices of up to three ω of a grid whose trajectories show the lower transition: the last ω
    that does not encircle, the one nearest ω_min, and the one nearest ω = 1 (sorted, distinct).

    Args:
        omega: the increasing grid (n,); encircles: (n,) booleans of one spin length; omega_min: its
            lower transition (:func:`lower_transition`; NaN if none).
    """
    omega = np.asarray(omega, dtype=float)
    below = np.flatnonzero(~np.asarray(encircles, dtype=bool))
    return sorted({int(below[-1]) if below.size else 0,
                   int(np.argmin(np.abs(omega - np.nan_to_num(omega_min, nan=omega[0])))),
                   int(np.argmin(np.abs(omega - 1.0)))})


def lower_transition(omega, encircles) -> np.ndarray:
    """Lower transition ω_min on a grid: the smallest ω from which on every larger ω encircles.

    Args:
        omega: increasing grid of ω > 0, shape (n,).
        encircles: :attr:`MeanFieldResult.encircles` on that grid, shape (..., n).

    Returns:
        ω_min, shape (...); NaN where the largest ω does not encircle. The transition lies between
        the returned grid point and the one below it (a resolution of one grid step).
    """
    omega = np.asarray(omega, dtype=float)
    enc = np.asarray(encircles, dtype=bool)
    if omega.ndim != 1 or enc.shape[-1:] != omega.shape or np.any(np.diff(omega) <= 0):
        fail("omega", omega, "expected an increasing 1-D grid matching the last axis of encircles")
    # index of the first point of the final run of True values
    tail_false = np.where(~enc, np.arange(omega.size), -1).max(axis=-1)
    first = tail_false + 1
    return np.where(first < omega.size, omega[np.minimum(first, omega.size - 1)], np.nan)


__all__ = [
    "MeanFieldConfig",
    "MeanFieldResult",
    "MeanFieldSolver",
    "meanfield_run",
    "bond_currents",
    "energy",
    "ground_state_density",
    "illustrative_frequencies",
    "lower_transition",
    "meanfield",
    "single_particle_hamiltonian",
    "single_particle_terms",
]
