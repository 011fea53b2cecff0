"""Large-S limit of the pump: the Bloch Hamiltonian h(k, φ), its bands and its Chern number.

Pump paper Sec. IV B, Eqs. 25-28 and 32; docs/physics.md §1 "Large-S limit and topology". Units ħ = e = 1,
energies in the units of J.

With the spin frozen at the in-plane angle φ (S_x = S cos φ, S_y = S sin φ, so g S_x = η cos φ and
g S_y = η sin φ) the fermions see the Rice-Mele ring of Eq. 25. With the two-site unit cell
(A = site 2m, B = site 2m+1, j = 1..L) and the Bloch convention c_A(k) = Σ_m e^{-ikm} c_{2m}
(cell index m, so h is 2π-periodic in k):

    h(k, φ) = Δη sin φ σ_z + (J/2)(1 - η cos φ) sin k σ_y
              - (J/2)(1 + η cos φ + (1 - η cos φ) cos k) σ_x                       (Eq. 26)

    E(k, φ)² = Δ²η² sin²φ + (J²/2)(1 + η² cos²φ) + (J²/2)(1 - η² cos²φ) cos k    (Eq. 27-28)

Eq. 26 is written for Δ = J; the σ_z term carries Δ (docs/physics.md Eq. 7). Corrections to the paper (docs/physics.md):
the lattice momenta of the L-site ring are k = 4πn/L, n = 0..L/2-1 (not πn/L), and Eq. 32 lacks a
factor 1/(2π): the charge per period is the Chern number C, J/ω = C/(2π).

The band gap 2E closes only at η = 0. Minimizing Eq. 27 (minimum at k = π for η ≤ 1, at k = 0 or π
for η > 1, then over φ) gives the closed form min 2E = 2 min(|Δη|, |J| min(|η|, 1)).

**Sign of the Chern number.** :func:`chern_number` is the Fukui-Hatsugai-Suzuki (FHS) lattice
Chern number of the lower band over the torus (k, φ) ∈ [0, 2π)², oriented with k first:
C = (1/2π) ∫ dk dφ (∂_k A_φ - ∂_φ A_k), A_μ = i⟨u|∂_μ u⟩. For J, Δ > 0 and η > 0 it is C = -1 with
this orientation. The spin precesses clockwise for ω > 0 (dφ/dt = -ω, Eq. 10 / Eq. 19), so the
precession traverses the torus with the opposite orientation and the charge pumped per period in
the orientation of docs/physics.md's bond current is -C = +1 — the Δn = +1 plateau of Fig. 3. The paper's
Eq. 32 assumes dφ/dt = +ω; its sign and ours agree once that is accounted for.
:func:`pumped_charge_adiabatic` returns that charge directly (per clockwise period), including
the finite-L deviation from the integer.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._validate import check_finite, check_int, fail

# numpy, not jnp: importing the module compiles nothing
_PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)


def lattice_momenta(L: int) -> Float[Array, " Lhalf"]:
    """Momenta k = 4πn/L, n = 0..L/2-1, of the L-site ring with its two-site unit cell (docs/physics.md §1)."""
    L = check_int("L", L, low=2)
    if L % 2:
        fail("L", L, "the ring needs an even number of sites (two-site unit cell)")
    return 4 * jnp.pi * jnp.arange(L // 2) / L


def d_vector(k, phi, eta, J=1.0, Delta=1.0) -> Float[Array, "... 3"]:
    """(d_x, d_y, d_z) of h(k, φ) = d·σ (Eq. 26 with Δ on σ_z). Shape: broadcast of inputs + (3,)."""
    c, s = eta * jnp.cos(phi), eta * jnp.sin(phi)
    dx = -0.5 * J * (1 + c + (1 - c) * jnp.cos(k))
    dy = 0.5 * J * (1 - c) * jnp.sin(k)
    dz = Delta * s
    return jnp.stack(jnp.broadcast_arrays(dx, dy, dz), axis=-1)


def bloch_hamiltonian(k, phi, eta, J=1.0, Delta=1.0):
    """h(k, φ) of Eq. 26 as a 2×2 complex matrix in the (A, B) basis. Shape (..., 2, 2)."""
    return jnp.einsum("...a,aij->...ij", d_vector(k, phi, eta, J, Delta).astype(complex), _PAULI)


def band_energy(k, phi, eta, J=1.0, Delta=1.0):
    """E(k, φ) ≥ 0 of Eq. 27-28; the bands are ±E. Closed form, not from diagonalizing h."""
    c2 = (eta * jnp.cos(phi)) ** 2
    return jnp.sqrt((Delta * eta * jnp.sin(phi)) ** 2 + 0.5 * J**2 * (1 + c2) + 0.5 * J**2 * (1 - c2) * jnp.cos(k))


class ChernResult(eqx.Module):
    """Chern number of the lower band and the band gap on the same (k, φ) grid.

    Attributes:
        chern: FHS lattice Chern number (an integer up to round-off, ~1e-13; see the module doc
            for its sign). Shape: the batch shape of η, J, Δ.
        band_gap_min: minimum of E₊ - E₋ = 2E over the grid. With n_k even and n_phi a multiple
            of 4 the grid holds the minimizers and this is the exact minimum gap.
        berry_flux_max: largest |plaquette flux| (radians); the FHS result is reliable when it is
            well below π (the grid is then fine enough).
    """

    chern: Float[Array, "*batch"]
    band_gap_min: Float[Array, "*batch"]
    berry_flux_max: Float[Array, "*batch"]


def _check_grid(n_k, n_phi):
    n_k = check_int("n_k", n_k, low=4, high=4096)
    n_phi = check_int("n_phi", n_phi, low=4, high=4096)
    return n_k, n_phi


def chern_number(eta, J=1.0, Delta=1.0, *, n_k: int = 48, n_phi: int = 48) -> ChernResult:
    """Chern number of the lower band of h(k, φ) by the Fukui-Hatsugai-Suzuki method.

    J. Phys. Soc. Jpn. 74, 1674 (2005): on an n_k × n_phi grid of the torus [0, 2π)², link
    variables U_μ(n) = ⟨u(n)|u(n+μ̂)⟩/|⟨u(n)|u(n+μ̂)⟩| of the lower-band eigenvector u, plaquette
    flux F(n) = arg[U_k(n) U_φ(n+k̂) U_k(n+φ̂)^* U_φ(n)^*] ∈ (-π, π], C = Σ_n F(n)/(2π). Gauge
    invariant (the arbitrary eigenvector phases cancel) and an exact integer for any grid on which
    no plaquette flux reaches π; it equals the continuum Chern number once the grid is fine enough.

    Args:
        eta, J, Delta: model parameters (arrays broadcast to a batch).
        n_k, n_phi: grid points in k and φ (4..4096).

    Returns:
        :class:`ChernResult` with the batch shape of the parameters.
    """
    for name, v in (("eta", eta), ("J", J), ("Delta", Delta)):
        check_finite(name, v)
        if np.any(np.asarray(v) == 0):
            fail(name, v, "must be nonzero: the band gap of Eq. 27 closes and C is undefined")
    n_k, n_phi = _check_grid(n_k, n_phi)
    eta, J, Delta = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=float) for v in (eta, J, Delta)))
    shape = eta.shape
    one = jax.vmap(lambda e, j, d: _chern_fhs(e, j, d, n_k, n_phi))
    c, gap, fmax = one(eta.ravel(), J.ravel(), Delta.ravel())
    return ChernResult(chern=c.reshape(shape), band_gap_min=gap.reshape(shape), berry_flux_max=fmax.reshape(shape))


@eqx.filter_jit
def _chern_fhs(eta, J, Delta, n_k, n_phi):
    k = 2 * jnp.pi * jnp.arange(n_k) / n_k
    phi = 2 * jnp.pi * jnp.arange(n_phi) / n_phi
    h = bloch_hamiltonian(k[:, None], phi[None, :], eta, J, Delta)  # (n_k, n_phi, 2, 2)
    evals, evecs = jnp.linalg.eigh(h)
    u = evecs[..., :, 0]  # lower band
    link_k = _link(u, jnp.roll(u, -1, axis=0))
    link_phi = _link(u, jnp.roll(u, -1, axis=1))
    plaquette = link_k * jnp.roll(link_phi, -1, axis=0) * jnp.conj(jnp.roll(link_k, -1, axis=1)) * jnp.conj(link_phi)
    flux = jnp.angle(plaquette)
    return jnp.sum(flux) / (2 * jnp.pi), jnp.min(evals[..., 1] - evals[..., 0]), jnp.max(jnp.abs(flux))


def _link(u, v):
    overlap = jnp.sum(jnp.conj(u) * v, axis=-1)
    return overlap / jnp.abs(overlap)


def pumped_charge_adiabatic(L: int, eta, J=1.0, Delta=1.0, *, n_phi: int = 256):
    """Adiabatic charge pumped per clockwise precession period (ω → 0⁺) on the L-site ring.

    Every momentum k = 4πn/L of the ring is an independent two-level system, so the ω → 0 charge
    per period through a bond (bond average, docs/physics.md's current orientation) is the Riemann sum of the
    Berry flux of the lower band over the L/2 lattice momenta:

        Δn_L = -(2/L) Σ_k ∮ dφ Ω(k, φ),   Ω = -½ d̂·(∂_k d̂ × ∂_φ d̂)   (lower band),

    with Ω the Berry curvature of :func:`chern_number` (same orientation), so Δn_L → -C = 1 as
    L → ∞ (Eq. 32 with docs/physics.md's 1/(2π)). At L = 8, η = 0.95: 1.0034 (docs/physics.md). The
    φ integral uses the trapezoid rule on n_phi points (spectrally accurate: the integrand is
    smooth and periodic); the d̂ derivatives are exact (autodiff). Batch shape: that of η, J, Δ.
    """
    for name, v in (("eta", eta), ("J", J), ("Delta", Delta)):
        check_finite(name, v)
    n_phi = check_int("n_phi", n_phi, low=8, high=1 << 16)
    k = lattice_momenta(L)
    phi = 2 * jnp.pi * jnp.arange(n_phi) / n_phi

    def curvature(kk, pp, e, j, d):
        def unit(a, b):
            return d_vector(a, b, e, j, d) / jnp.linalg.norm(d_vector(a, b, e, j, d))

        n = unit(kk, pp)
        dk = jax.jacfwd(unit, argnums=0)(kk, pp)
        dphi = jax.jacfwd(unit, argnums=1)(kk, pp)
        return -0.5 * jnp.dot(n, jnp.cross(dk, dphi))

    grid = jax.vmap(jax.vmap(curvature, (None, 0, None, None, None)), (0, None, None, None, None))

    def charge(e, j, d):
        flux = jnp.sum(grid(k, phi, e, j, d)) * (2 * jnp.pi / n_phi)
        return -flux * 2 / L

    eta, J, Delta = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=float) for v in (eta, J, Delta)))
    return jax.jit(jax.vmap(charge))(eta.ravel(), J.ravel(), Delta.ravel()).reshape(eta.shape)


def band_gap_min_closed_form(eta, J=1.0, Delta=1.0):
    """Minimum over (k, φ) of the gap 2E of Eq. 27: 2 min(|Δη|, |J| min(|η|, 1)) (module doc)."""
    eta, J, Delta = (np.abs(np.asarray(v, dtype=float)) for v in (eta, J, Delta))
    return 2 * np.minimum(Delta * eta, J * np.minimum(eta, 1.0))


__all__ = [
    "ChernResult",
    "band_energy",
    "band_gap_min_closed_form",
    "bloch_hamiltonian",
    "chern_number",
    "d_vector",
    "lattice_momenta",
    "pumped_charge_adiabatic",
]
