"""Statics of the motor: the renormalization-group flow of the periodic potential and the gap it
opens (motor paper Sec. III, Eqs. 9, 13-16, 23-24, App. A; docs/physics.md §2 "Statics").

**The flow.** The sliding potential 2V₀cos(2φ + ...) (Eq. 8) is renormalized by the fast modes of the
Luttinger liquid: averaging e^{2iφ>} over a momentum shell γ/b < |q| < γ gives e^{-K ln b}
(Eqs. A2-A5; :func:`shell_exponent` evaluates the shell sum of Eq. A3 on a lattice of Matsubara
frequencies and momenta and finds K ln b). In the original units this is Eq. 13, dV/dl = -KV; with
the rescaling x' = x/b, τ' = τ/b it is Eq. 9, dV/dl = (2 - K)V, relevant for K < 2.

**The gap.** Integrating Eq. 13 until the running cutoff Λ(l) = (2πv_c/λ)e^{-l} meets the running
gap Δ(l) = √(4V(l)Kv_c/λ) (Eq. 11 with V(l)) gives Eq. 15; so does integrating Eq. 9 until the
rescaled gap √(4V(l)Kv_c/λ) reaches the cutoff 2πv_c/λ, the gap then being (2πv_c/λ)e^{-l*}.
:func:`rg_gap` integrates either flow numerically (RK4 in a ``lax.scan``) and finds l* by Newton's
method (differentiable: the last Newton step carries the implicit derivative). Both agree with
``closed_forms.gap`` (Eq. 15) to the RK4 error (tested). The flow is meaningful while l* > 0, i.e.
Δ < 2πv_c/λ, i.e. V₀ < π²v_c/(Kλ) (checked).

**Eq. 16.** The ratio of Eq. 15 at K and at K = 1 is

    Δ(K)/Δ(1) = K (π²v_c/(λV₀K))^{(1-K)/(2-K)} = K^{1/(2-K)} (π²v_c/(λV₀))^{(1-K)/(2-K)}
    (``closed_forms.gap_ratio``),

while the printed Eq. 16 has 2V₀K where V₀K belongs: it is smaller than the ratio of Eq. 15 by the
factor 2^{(1-K)/(2-K)} (1.22 at K = 0.6, 1.41 as K → 0). :func:`printed_gap_ratio` keeps the
printed form for comparison. Also: Eq. 15 at K = 1 gives Δ = 2V₀/π, not the non-interacting 2V₀ —
the "numerical prefactor" the paper leaves open (a cutoff convention), which cancels in the ratio.

Units ħ = e = k_B = 1; V₀ and the gaps are energies, v_c a velocity, λ a length.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._validate import check_int, check_range, fail
from . import closed_forms as cf

FLOWS = ("physical", "rescaled")


def flow_rate(K: Float[ArrayLike, "*b"], flow: str) -> Float[Array, "*b"]:
    """d ln V/dl: -K in the original units (Eq. 13), 2 - K after rescaling (Eq. 9)."""
    K = jnp.asarray(K, dtype=float)
    if flow == "physical":
        return -K
    if flow == "rescaled":
        return 2 - K
    fail("flow", flow, f"expected one of {', '.join(FLOWS)}")


def _rk4(K, V0, length, steps: int, flow: str):
    """V(l = length) of dV/dl = flow_rate·V by ``steps`` RK4 steps of size length/steps."""
    rate = flow_rate(K, flow)
    h = length / steps

    def step(V, _):
        k1 = rate * V
        k2 = rate * (V + h / 2 * k1)
        k3 = rate * (V + h / 2 * k2)
        k4 = rate * (V + h * k3)
        return V + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

    V, _ = jax.lax.scan(step, jnp.asarray(V0, dtype=float) + 0 * rate, None, length=steps)
    return V


def rg_flow(K: Float[ArrayLike, ""], V0: Float[ArrayLike, ""], l: Float[ArrayLike, " n"], *, flow: str = "physical",
            substeps: int = 8) -> Float[Array, " n"]:
    """V(l) on the grid ``l`` (increasing, l[0] = 0) by RK4 with ``substeps`` steps per interval
    (Eq. 13 for ``flow="physical"``, Eq. 9 for ``"rescaled"``); one K (vmap for more)."""
    l = jnp.asarray(l, dtype=float)
    substeps = check_int("substeps", substeps, low=1)

    def interval(V, dl):
        V = _rk4(K, V, dl, substeps, flow)
        return V, V

    _, V = jax.lax.scan(interval, jnp.asarray(V0, dtype=float), jnp.diff(l))
    return jnp.concatenate([jnp.asarray(V0, dtype=float)[None], V])


def rg_gap(K: Float[ArrayLike, ""], V0: Float[ArrayLike, ""], vc: Float[ArrayLike, ""],
           cutoff_length: Float[ArrayLike, ""], *, flow: str = "physical", steps: int = 256,
           newton: int = 8) -> tuple[Float[Array, ""], Float[Array, ""]]:
    """The gap Δ and the scale l* where the flow stops, by integrating the flow numerically.

    ``flow="physical"`` (Eq. 13): stop where the cutoff (2πv_c/λ)e^{-l} meets √(4V(l)Kv_c/λ);
    Δ = that common value (Eq. 14 is V(l*)). ``flow="rescaled"`` (Eq. 9): stop where
    √(4V(l)Kv_c/λ) reaches 2πv_c/λ; Δ = (2πv_c/λ)e^{-l*}. Each Newton iteration integrates
    V(0 → l) by ``steps`` RK4 steps (relative error ~ (|rate| l/steps)⁴/120). One parameter point
    (vmap for more); differentiable in all four parameters.
    """
    K = jnp.asarray(K, dtype=float)
    bandwidth = 2 * jnp.pi * vc / cutoff_length  # the cutoff energy 2πv_c/λ
    stiffness = 4 * K * vc / cutoff_length  # Δ² = stiffness·V (Eq. 11)
    rate = flow_rate(K, flow)
    shift = 1.0 if flow == "physical" else 0.0  # d ln Λ/dl in the units of the flow

    def mismatch(l):  # ln(cutoff) - ln(gap) at scale l, and its l-derivative
        V = _rk4(K, V0, l, steps, flow)
        return jnp.log(bandwidth) - shift * l - 0.5 * jnp.log(stiffness * V), -shift - 0.5 * rate

    def iterate(l, _):
        g, dg = mismatch(l)
        return l - g / dg, None

    l_star, _ = jax.lax.scan(iterate, jnp.zeros_like(K), None, length=newton)
    return bandwidth * jnp.exp(-l_star), l_star


def printed_gap_ratio(K, V0, vc, cutoff_length):
    """Eq. 16 as printed, K (π²v_c/λ / (2V₀K))^{(1-K)/(2-K)}: smaller than the ratio of Eq. 15
    (``closed_forms.gap_ratio``) by 2^{(1-K)/(2-K)} (module docstring)."""
    K = jnp.asarray(K, dtype=float)
    return K * (jnp.pi**2 * vc / cutoff_length / (2 * V0 * K)) ** ((1 - K) / (2 - K))


def shell_exponent(K: Float[ArrayLike, "*b"], b: float, modes: int = 200) -> Float[Array, "*b"]:
    """The exponent of ⟨e^{±2iφ>}⟩ = e^{-S} over the fast shell γ/b < |q| < γ (Eq. A3), summed on the
    lattice of Matsubara frequencies and momenta with β v_c = L = 2π·modes/γ (low temperature, large
    volume): S = (K/2π) Σ_{modes/b < |(n, m)| < modes} 1/(n² + m²) → K ln b (Eq. A4) as modes → ∞,
    with a relative lattice error of order 1/modes."""
    check_range("b", b, low=1.0, low_inclusive=False)
    modes = check_int("modes", modes, low=4)
    n = np.arange(-modes, modes + 1, dtype=float)
    q2 = n[:, None] ** 2 + n[None, :] ** 2
    shell = (q2 > (modes / b) ** 2) & (q2 < modes**2)
    total = float(np.sum(1 / q2[shell]))
    return jnp.asarray(K, dtype=float) / (2 * jnp.pi) * total


def rk4_steps(K, V0, vc, cutoff_length, *, step: float = 0.02) -> int:
    """RK4 steps for the flows of every K up to l* (host side, from Eq. 15): each step changes ln V
    by at most ``step`` (RK4 error per step ~ step⁵/120: ≲ 1e-6 relative in Δ up to K = 1.95), a power
    of two ≥ 256 (few recompilations). Near K = 2 the flow is long: l* ∝ 1/(2 - K)."""
    K = np.asarray(K, dtype=float)
    l_star = np.log(2 * np.pi * vc / cutoff_length / np.asarray(cf.gap(K, V0, vc, cutoff_length)))
    need = float(np.max(np.maximum(K, 2 - K) * np.maximum(l_star, 0.0))) / step
    return int(max(256, 2 ** int(np.ceil(np.log2(max(need, 1.0))))))


class StaticsResults(eqx.Module):
    """Statics of the motor over a set of K (shape (n,)); flows on the grid ``l`` (m,).

    Attributes:
        K: Luttinger parameters.
        gap: Δ of Eq. 15 (``closed_forms.gap``); rg_gap, rg_gap_rescaled: Δ from the numerically
            integrated flows of Eq. 13 and Eq. 9; rg_scale: l* of Eq. 13 (Δ = (2πv_c/λ)e^{-l*}).
        gap_ratio: Δ(K)/Δ(1) from Eq. 15 (``closed_forms.gap_ratio``); gap_ratio_printed: Eq. 16 as
            printed (smaller by 2^{(1-K)/(2-K)}).
        soliton_energy: 2Δ/(πK); critical_chemical_potential: μ_c = 2Δ/(πK) (Eq. 24).
        l: flow scale grid; potential: V(l) of Eq. 13 (n, m); running_gap: √(4V(l)Kv_c/λ) (n, m);
            cutoff: (2πv_c/λ)e^{-l} (m,).
        V0, vc, cutoff_length: the bare potential, the velocity and the short-distance cutoff λ.
    """

    K: Float[Array, " n"]
    gap: Float[Array, " n"]
    rg_gap: Float[Array, " n"]
    rg_gap_rescaled: Float[Array, " n"]
    rg_scale: Float[Array, " n"]
    gap_ratio: Float[Array, " n"]
    gap_ratio_printed: Float[Array, " n"]
    soliton_energy: Float[Array, " n"]
    critical_chemical_potential: Float[Array, " n"]
    l: Float[Array, " m"]
    potential: Float[Array, "n m"]
    running_gap: Float[Array, "n m"]
    cutoff: Float[Array, " m"]
    V0: float = eqx.field(static=True)
    vc: float = eqx.field(static=True)
    cutoff_length: float = eqx.field(static=True)

    def to_dataset(self, attrs: dict | None = None):
        """An xarray Dataset with dims ``K`` and ``l``."""
        from .. import store

        per_K = ("gap", "rg_gap", "rg_gap_rescaled", "rg_scale", "gap_ratio", "gap_ratio_printed", "soliton_energy",
                 "critical_chemical_potential")
        variables = {name: (("K",), np.asarray(getattr(self, name))) for name in per_K}
        variables["potential"] = (("K", "l"), np.asarray(self.potential))
        variables["running_gap"] = (("K", "l"), np.asarray(self.running_gap))
        variables["cutoff"] = (("l",), np.asarray(self.cutoff))
        meta = {"V0": self.V0, "vc": self.vc, "cutoff_length": self.cutoff_length, **(attrs or {})}
        return store.dataset(variables, coords={"K": np.asarray(self.K), "l": np.asarray(self.l)}, attrs=meta)


def check_statics(K, V0, vc, cutoff_length) -> None:
    """0 < K < 2 (the potential is relevant, Eq. 9), V₀, v_c, λ > 0 and V₀ < π²v_c/(Kλ) (the gap
    below the cutoff, l* > 0)."""
    check_range("K", K, low=0.0, high=2.0, low_inclusive=False, high_inclusive=False)
    check_range("V0", V0, low=0.0, low_inclusive=False)
    check_range("vc", vc, low=0.0, low_inclusive=False)
    check_range("cutoff_length", cutoff_length, low=0.0, low_inclusive=False)
    limit = np.min(np.pi**2 * vc / (np.asarray(K, dtype=float) * cutoff_length))
    if V0 >= limit:
        fail("V0", V0, f"must be below pi^2 vc/(K lambda) = {limit:.6g} (the gap below the cutoff 2 pi vc/lambda)")


def statics(K: Float[ArrayLike, " n"], V0: float = 0.05, vc: float = 1.0, cutoff_length: float = 0.5, *,
            points: int = 65, steps: int | None = None) -> StaticsResults:
    """Gap, its ratio, solitons and the RG flows for every K (vmapped, jitted). ``steps``: RK4 steps
    of the flows (default :func:`rk4_steps`)."""
    K = jnp.atleast_1d(jnp.asarray(K, dtype=float))
    check_statics(K, V0, vc, cutoff_length)
    points = check_int("points", points, low=2)
    if steps is None:
        steps = rk4_steps(K, V0, vc, cutoff_length)
    steps = check_int("steps", steps, low=1)
    out = _statics(K, float(V0), float(vc), float(cutoff_length), points=points, steps=steps)
    return StaticsResults(**out, V0=float(V0), vc=float(vc), cutoff_length=float(cutoff_length))


@jax.jit(static_argnames=("V0", "vc", "cutoff_length", "points", "steps"))
def _statics(K, V0, vc, cutoff_length, *, points, steps):
    gap = cf.gap(K, V0, vc, cutoff_length)
    rg, scale = jax.vmap(lambda k: rg_gap(k, V0, vc, cutoff_length, steps=steps))(K)
    rescaled, _ = jax.vmap(lambda k: rg_gap(k, V0, vc, cutoff_length, flow="rescaled", steps=steps))(K)
    l = jnp.linspace(0.0, 1.25 * jnp.max(scale), points)
    potential = jax.vmap(lambda k: rg_flow(k, V0, l))(K)
    return {
        "K": K, "gap": gap, "rg_gap": rg, "rg_gap_rescaled": rescaled, "rg_scale": scale,
        "gap_ratio": cf.gap_ratio(K, V0, vc, cutoff_length),
        "gap_ratio_printed": printed_gap_ratio(K, V0, vc, cutoff_length),
        "soliton_energy": cf.soliton_energy(gap, K),
        "critical_chemical_potential": cf.critical_chemical_potential(gap, K),
        "l": l, "potential": potential, "running_gap": jnp.sqrt(4 * K[:, None] * vc / cutoff_length * potential),
        "cutoff": 2 * jnp.pi * vc / cutoff_length * jnp.exp(-l),
    }
