"""Closed forms of the motor paper, corrected where docs/physics.md §2 says so. All pure JAX, differentiable.

Units ħ = e = k_B = 1 (conductance quantum e²/h = 1/2π). ``leads=False`` is the infinite Luttinger
liquid (Sec. IV B-C), ``leads=True`` the wire between Fermi-liquid leads (Sec. IV D-E), whose dc
friction is that of a non-interacting channel: K_eff = K without leads, 1 with leads.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammainc
from jaxtyping import Array, ArrayLike, Float

from ._params import MotorParams

# --- dynamics (Sec. IV) -------------------------------------------------------------------------


def effective_K(K: Float[ArrayLike, "*b"], leads: bool) -> Float[Array, "*b"]:
    """K_eff = K (infinite LL, Eq. 38) or 1 (leads, Eq. 62)."""
    return jnp.asarray(K, dtype=float) if not leads else jnp.ones_like(jnp.asarray(K, dtype=float))


def steady_velocity(V, F_load, K, leads: bool):
    """θ̇ = 2πK_eff (V/2π - F_load) (Eq. 39; K·V at zero load, Eq. 38, and V with leads, Eq. 62)."""
    return 2 * jnp.pi * effective_K(K, leads) * (jnp.asarray(V) / (2 * jnp.pi) - F_load)


def current(V, F_load, K, leads: bool):
    """Pumped current I = θ̇/2π (Eqs. 38, 62): conductance K e²/h or e²/h at zero load."""
    return steady_velocity(V, F_load, K, leads) / (2 * jnp.pi)


def power_in(V, F_load, K, leads: bool):
    """Electrical input power I·V = V θ̇/2π (the 1/2π the paper drops in Eq. 42 kept)."""
    return jnp.asarray(V) * current(V, F_load, K, leads)


def power_out(V, F_load, K, leads: bool):
    """Output power F_load θ̇ = 2πK_eff (V/2π - F_load) F_load (Eq. 40)."""
    return F_load * steady_velocity(V, F_load, K, leads)


def efficiency(V, F_load, K, leads: bool):
    """P_out/P_in = 2πF_load/V, independent of K."""
    return power_out(V, F_load, K, leads) / power_in(V, F_load, K, leads)


def max_power_load(V):
    """F* = V/4π, where the output power is largest (below Eq. 41)."""
    return jnp.asarray(V) / (4 * jnp.pi)


def max_power(V, K, leads: bool):
    """P* = 2πK_eff (V/4π)² (Eq. 41)."""
    return 2 * jnp.pi * effective_K(K, leads) * (jnp.asarray(V) / (4 * jnp.pi)) ** 2


def efficiency_at_max_power():
    """1/2. The paper's Eq. 42 value 1/4π follows from P_in = Vθ̇ (the current without its 1/2π);
    the energy balance P_in = P_out + P_diss rules it out (docs/physics.md §2)."""
    return 0.5


def diffusion_coefficient(temperature, K, leads: bool):
    """Long-time diffusion coefficient of the motor angle, D = lim Var θ(t)/2t = S(0)/(2Γ(0)²)
    = T/Γ(0) = 2πK_eff·T (Einstein relation; every noise kind has S(0) = 2ReΓ(0)T, Eqs. 36-37,
    60-61, and Γ(0) = 1/(2πK_eff), Eqs. 35, 62). Independent of the inertia and the load."""
    return 2 * jnp.pi * effective_K(K, leads) * jnp.asarray(temperature, dtype=float)


def fano_factor(V, F_load, temperature):
    """Fano factor of the pumped charge Q = Δθ/2π at long times, Var Q/⟨Q⟩ = 2D/(2π⟨θ̇⟩)
    = 2T/(V - 2πF_load) (units of e; K_eff cancels): the Johnson-Nyquist ratio 2T/V at zero load."""
    return 2 * jnp.asarray(temperature, dtype=float) / (jnp.asarray(V) - 2 * jnp.pi * jnp.asarray(F_load))


# --- dissipation (Sec. IV C, E) -----------------------------------------------------------------


def steady_dissipation(velocity, K, leads: bool):
    """Power dissipated at constant θ̇: θ̇²/(2πK) (Eq. 49) or θ̇²/(2π) with leads (Eq. 66)."""
    return jnp.asarray(velocity) ** 2 / (2 * jnp.pi * effective_K(K, leads))


def move_dissipation(duration, velocity, K, tau: float | None):
    """Energy dissipated by a move at constant θ̇ lasting t_s (the motor at rest before and after):

        E = γ₀ θ̇² [t_s + 2 Σ_{1≤n<t_s/τ} r^n (t_s - nτ)]

    = t_s θ̇²/(2πK) while t_s ≤ τ (Eq. 64), growing at the rate θ̇²/(2π) for t_s ≫ τ (Eq. 66).
    The geometric sums are in closed form (differentiable in K, t_s, θ̇).
    """
    K = jnp.asarray(K, dtype=float)
    t = jnp.asarray(duration, dtype=float)
    gamma0 = 1 / (2 * jnp.pi * K)
    if tau is None:
        return gamma0 * velocity**2 * t
    r = (K - 1) / (K + 1)
    n = jnp.maximum(jnp.ceil(t / tau) - 1, 0.0)  # round trips completed strictly inside the move
    geometric = r * (1 - r**n) / (1 - r)
    weighted = r * (1 - (n + 1) * r**n + n * r ** (n + 1)) / (1 - r) ** 2
    return gamma0 * velocity**2 * (t + 2 * (t * geometric - tau * weighted))


# --- friction kernel and noise spectra (Eqs. 36, 55, 60, 61) ------------------------------------


def friction_kernel(omega, K, tau: float | None):
    """Γ(ω) = γ₀ (1 + r e^{iωτ})/(1 - r e^{iωτ}) (Eqs. 55, 59); γ₀ = 1/2πK without leads.
    Γ(0) = 1/2π with leads. Convention v(t) = ∫ dω/2π v(ω) e^{-iωt}."""
    K = jnp.asarray(K, dtype=float)
    gamma0 = 1 / (2 * jnp.pi * K) + 0j
    if tau is None:
        return gamma0 * jnp.ones_like(jnp.asarray(omega, dtype=float))
    phase = ((K - 1) / (K + 1)) * jnp.exp(1j * jnp.asarray(omega) * tau)
    return gamma0 * (1 + phase) / (1 - phase)


def noise_spectrum(omega, params: MotorParams):
    """S(ω) = ∫ dt e^{iωt} ⟨ξ(t)ξ(0)⟩ of ``params.noise`` (one parameter point):

    ``paper``: 2ReΓ(ω)(ω/2)/sinh(ω/2T) — the transform of Eq. 60 (not the coth form the paper states);
    ``fdt``:   2ReΓ(ω)(ω/2)coth(ω/2T) exp(-(ω/ω_c)²);
    ``white``: 2ReΓ(ω) T (Eqs. 37, 61).
    """
    omega = jnp.asarray(omega, dtype=float)
    re_gamma = friction_kernel(omega, params.K, params.tau).real
    T = params.temperature
    x = omega / (2 * T)
    small = jnp.abs(x) < 1e-8
    xs = jnp.where(small, 1.0, x)
    if params.noise == "paper":
        thermal = jnp.where(small, 1.0 - x**2 / 6, xs / jnp.sinh(xs))
    elif params.noise == "fdt":
        thermal = jnp.where(small, 1.0 + x**2 / 3, xs / jnp.tanh(xs)) * jnp.exp(-((omega / params.cutoff) ** 2))
    else:
        thermal = jnp.ones_like(omega)
    return 2 * re_gamma * T * thermal


def paper_covariance(t, params: MotorParams, images: int = 60):
    """C(t) = (T²/2K) Σ_{|n|≤images} r^|n| cosh⁻²(πT(t + nτ)) (Eq. 60; Eq. 36 without leads)."""
    t = jnp.asarray(t, dtype=float)
    T = params.temperature
    if params.tau is None:
        shifts, weights = jnp.zeros(1), jnp.ones(1)
    else:
        n = jnp.arange(-images, images + 1)
        shifts, weights = n * params.tau, params.reflection ** jnp.abs(n)
    x = jnp.abs(jnp.pi * T * (t[..., None] + shifts))
    sech = 2 * jnp.exp(-x) / (1 + jnp.exp(-2 * x))
    return T**2 / (2 * params.K) * jnp.sum(weights * sech**2, axis=-1)


def velocity_variance(params: MotorParams, *, omega_max: float | None = None, points: int = 2**18):
    """Stationary ⟨θ̇²⟩ - ⟨θ̇⟩² = ∫ dω/2π S(ω)/|Γ(ω) - iIω|² by the trapezoid rule on [0, ω_max]
    (the integrand is even), one parameter point. Default ω_max = 40T (``fdt``: 6ω_c) + 400/(2πKI),
    past which the spectrum is negligible; for ``white`` noise the tail beyond ω_max, where the
    integrand is 2T ReΓ(ω)/(Iω)² with ReΓ averaging to γ₀ over its period, is added as
    2γ₀T/(πI²ω_max). White noise gives T/I (equipartition). Use ``points`` ≫ ω_max τ with leads
    (ReΓ oscillates with period 2π/τ)."""
    if omega_max is None:
        relaxation = 400 / (2 * np.pi * float(params.K) * float(params.inertia))
        thermal = 6 * float(params.cutoff) if params.noise == "fdt" else 40 * float(params.temperature)
        omega_max = thermal + relaxation
    omega = jnp.linspace(0.0, omega_max, points)
    response = jnp.abs(friction_kernel(omega, params.K, params.tau) - 1j * params.inertia * omega) ** 2
    integral = jnp.trapezoid(noise_spectrum(omega, params) / response, omega) / jnp.pi
    if params.noise == "white":
        integral = integral + 2 * params.gamma0 * params.temperature / (jnp.pi * params.inertia**2 * omega_max)
    return integral


def transient_velocity(t, V, F_load, K, inertia, tau: float | None, *, round_trips: int = 12):
    """Exact noise-free θ̇(t) after the bias is switched on at t = 0 (motor at rest before).

    Laplace transform of Eq. 59: θ̇(s) = F/(s[Is + γ₀ M(s)]), M = (1 + re^{-sτ})/(1 - re^{-sτ}),
    F = V/2π - F_load. Expanding in e^{-sτ} gives, piece by piece (λ = γ₀/I, P the regularized
    lower incomplete gamma function),

        θ̇(t) = (F/γ₀) Σ_{0≤n≤t/τ} r^n Σ_{j=0}^{n} c_{nj} (-2)^j P(j+1, λ(t - nτ)),
        c_{00} = 1, c_{nj} = C(n-1, j-1) (n ≥ 1),

    each round trip n switching in at t = nτ (velocity steps at multiples of τ when I is small).
    Valid for t < (round_trips + 1)·τ; the alternating sum loses ~n·log10(3|r|/(1-|r|)) digits.
    Without leads θ̇ = 2πKF (1 - e^{-λt}).
    """
    t = jnp.asarray(t, dtype=float)
    K = jnp.asarray(K, dtype=float)
    gamma0 = 1 / (2 * jnp.pi * K)
    lam = gamma0 / inertia
    force = jnp.asarray(V) / (2 * jnp.pi) - F_load
    if tau is None:
        return force / gamma0 * -jnp.expm1(-lam * t)
    r = (K - 1) / (K + 1)
    total = jnp.zeros_like(t)
    for n in range(round_trips + 1):
        shifted = t - n * tau
        inner = jnp.zeros_like(t)
        for j in range(n + 1):
            c = 1.0 if n == 0 else (math.comb(n - 1, j - 1) if j >= 1 else 0.0)
            if c:
                inner = inner + c * (-2.0) ** j * gammainc(j + 1.0, lam * jnp.maximum(shifted, 0.0))
        total = total + jnp.where(shifted > 0, r**n * inner, 0.0)
    return force / gamma0 * total


# --- statics (Sec. III, V) ----------------------------------------------------------------------


def gap(K, V0, vc, cutoff_length):
    """Renormalized gap Δ = (4V₀K v_c/λ / (2πv_c/λ)^K)^{1/(2-K)} (Eq. 15); K < 2."""
    K = jnp.asarray(K, dtype=float)
    return (4 * V0 * K * vc / cutoff_length / (2 * jnp.pi * vc / cutoff_length) ** K) ** (1 / (2 - K))


def gap_ratio(K, V0, vc, cutoff_length):
    """Δ(K)/Δ(K=1) = K (π²v_c/(λV₀K))^{(1-K)/(2-K)}, the ratio of Eq. 15 (> 1 for K < 1 when
    πv_c/λ ≫ V₀). The printed Eq. 16 has 2V₀ where the ratio of Eq. 15 gives V₀ — a factor
    2^{(1-K)/(2-K)}, within the "numerical prefactor" the paper leaves open; we keep Eq. 15 exact."""
    K = jnp.asarray(K, dtype=float)
    return K * (jnp.pi**2 * vc / (cutoff_length * V0 * K)) ** ((1 - K) / (2 - K))


def soliton_energy(gap_value, K):
    """E_sol = 2Δ/(πK) (below Eq. 22)."""
    return 2 * gap_value / (jnp.pi * K)


def elastic_energy(soliton_density, mu, K, vc):
    """ε_el = v_c/(2πK) (πn_s - μK/v_c)² per length (Eq. 21; n_s = 0 is Eq. 19)."""
    return vc / (2 * jnp.pi * K) * (jnp.pi * soliton_density - mu * K / vc) ** 2


def optimal_soliton_density(mu, gap_value, K, vc):
    """n_s,opt = μK/(πv_c) - 2Δ/(π²v_c) (Eq. 23), the minimum of ε_el + n_s E_sol (Eq. 22)."""
    return mu * K / (jnp.pi * vc) - 2 * gap_value / (jnp.pi**2 * vc)


def critical_chemical_potential(gap_value, K):
    """μ_c = 2Δ/(πK) (Eq. 24): the system stays pinned for |μ| < μ_c."""
    return 2 * gap_value / (jnp.pi * K)


def magnetic_gap(K, J0M, vc, cutoff_length):
    """Δ_M = (2J₀M K v_c/λ / (2πv_c/λ)^K)^{1/(2-K)} (Eq. 69): Eq. 15 with 2V₀ → J₀M."""
    return gap(K, J0M / 2, vc, cutoff_length)


def magnetic_inertia(anisotropy):
    """I = 1/D for an easy-plane anisotropy D M_z²/2 (Sec. V, Eq. 70)."""
    return 1 / jnp.asarray(anisotropy, dtype=float)


def motor_conductance(K, leads: bool):
    """g_M = K_eff e²/h = K_eff/2π (Eqs. 38, 62, 70)."""
    return effective_K(K, leads) / (2 * jnp.pi)
