"""The spin-Rice-Mele Hamiltonian (pump paper Eq. 7, 33; docs/physics.md §1).

    H = -ω S_z - (J/2) Σ_j (1 + (-1)^j g S_x)(e^{iφ} c†_j c_{j+1} + h.c.)
        + Δ Σ_j (-1)^j g S_y n_j + Σ_j ε_j n_j,          g = η/S

    H = -ω 1⊗S_z - (J/2) T₀⊗1 - (Jg/2) T_s⊗S_x + Δg P⊗S_y + D_ε⊗1

with T₀ = Σ_j (e^{iφ} c†_j c_{j+1} + h.c.), T_s its staggered twin, P = Σ_j (-1)^j n_j and
D_ε = Σ_j ε_j n_j. φ is a flux per bond threaded through the ring (total flux Lφ; default 0); it
gives the current a second definition, J_l = -(1/L) dE/dφ. Units ħ = e = 1, energies in the same
units as J.

Many-body vectors are handled as matrices Ψ of shape (C, 2S+1) (fermion ⊗ spin); then
(A⊗B)ψ ↔ A Ψ Bᵀ, which is how :func:`apply_hamiltonian` applies H without forming it.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float

from .._validate import check_finite, fail
from ._basis import PumpBasis


class PumpParams(eqx.Module):
    """Continuous parameters of the pump. Every field may be an array: the batch shape is the
    broadcast of all fields (``disorder`` contributes its leading axes).

    Attributes:
        omega: Larmor frequency ω of the spin (field B_z = ω), units of energy. Default 0.25.
        eta: coupling η, g = η/S. The paper uses 0 < η < 1. Default 0.95.
        J: hopping amplitude J. Default 1.
        Delta: staggered potential amplitude Δ. Default 1.
        flux: phase φ per bond threaded through the ring (radians). Default 0.
        disorder: on-site energies ε_j, shape (..., L), or None for a clean ring.
    """

    omega: Float[ArrayLike, "*batch"] = 0.25
    eta: Float[ArrayLike, "*batch"] = 0.95
    J: Float[ArrayLike, "*batch"] = 1.0
    Delta: Float[ArrayLike, "*batch"] = 1.0
    flux: Float[ArrayLike, "*batch"] = 0.0
    disorder: Float[ArrayLike, "*batch L"] | None = None

    def __check_init__(self):
        for name in ("omega", "eta", "J", "Delta", "flux"):
            check_finite(name, getattr(self, name))
        if self.disorder is not None:
            check_finite("disorder", self.disorder)
            if np.ndim(self.disorder) < 1:
                fail("disorder", self.disorder, "expected on-site energies of shape (..., L)")

    @property
    def batch_shape(self) -> tuple[int, ...]:
        shapes = [np.shape(getattr(self, k)) for k in ("omega", "eta", "J", "Delta", "flux")]
        if self.disorder is not None:
            shapes.append(np.shape(self.disorder)[:-1])
        return tuple(np.broadcast_shapes(*shapes))

    def broadcast(self, L: int) -> PumpParams:
        """All fields as float64 arrays of shape ``batch_shape`` (disorder: batch_shape + (L,)): numpy
        arrays for concrete parameters, JAX arrays under tracing."""
        shape = self.batch_shape
        traced = any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(self))
        xp = jnp if traced else np  # concrete parameters stay on the host (no device round trip)
        fields = {
            k: xp.broadcast_to(xp.asarray(getattr(self, k), dtype=float), shape)
            for k in ("omega", "eta", "J", "Delta", "flux")
        }
        if self.disorder is None:
            disorder = xp.zeros(shape + (L,))
        else:
            if np.shape(self.disorder)[-1] != L:
                fail("disorder", np.shape(self.disorder), f"the last axis must have the L={L} sites")
            disorder = xp.broadcast_to(xp.asarray(self.disorder, dtype=float), shape + (L,))
        return PumpParams(**fields, disorder=disorder)

    @property
    def is_clean(self) -> bool:
        """True when there is no disorder (None or all zeros): the sector symmetries hold."""
        return self.disorder is None or not np.any(np.asarray(self.disorder))


def coupling(params: PumpParams, basis: PumpBasis):
    """g = η/S (the physical S, also on a padded basis)."""
    return params.eta / (basis.S if basis.spin is None else basis.spin)


def hopping_factors(params: PumpParams, basis: PumpBasis) -> tuple[Array, Array]:
    """The fermion factors T₀ and T_s with the flux phase, dense (C, C) complex Hermitian."""
    phase = jnp.exp(1j * params.flux)
    F0, Fs = basis.forward_uniform, basis.forward_staggered
    t0 = phase * F0 + jnp.conj(phase) * F0.T
    ts = phase * Fs + jnp.conj(phase) * Fs.T
    return t0, ts


def onsite_energies(params: PumpParams, basis: PumpBasis) -> tuple[Array, Array]:
    """Diagonals (C,) of P = Σ_j (-1)^j n_j and D_ε = Σ_j ε_j n_j."""
    p = basis.occupations @ basis.stagger
    eps = jnp.zeros(basis.L) if params.disorder is None else params.disorder
    return p, basis.occupations @ eps


def hamiltonian(params: PumpParams, basis: PumpBasis) -> Complex[Array, "D D"]:
    """Dense H (Eq. 7 + disorder) for one parameter point, from its Kronecker factors. (D, D)."""
    g = coupling(params, basis)
    t0, ts = hopping_factors(params, basis)
    p, d_eps = onsite_energies(params, basis)
    C, M = basis.n_configs, basis.n_spin
    eye_f, eye_s = jnp.eye(C), jnp.eye(M)
    return (
        -params.omega * jnp.kron(eye_f, basis.sz)
        - 0.5 * params.J * jnp.kron(t0, eye_s)
        - 0.5 * params.J * g * jnp.kron(ts, basis.sx)
        + params.Delta * g * jnp.kron(jnp.diag(p), basis.sy)
        + jnp.kron(jnp.diag(d_eps), eye_s)
    )


def apply_hamiltonian(
    params: PumpParams, basis: PumpBasis, psi: Complex[Array, "C M"]
) -> Complex[Array, "C M"]:
    """H ψ in factored form (never forms the D×D matrix), for ψ given as a (C, 2S+1) matrix."""
    g = coupling(params, basis)
    t0, ts = hopping_factors(params, basis)
    p, d_eps = onsite_energies(params, basis)
    return (
        -params.omega * psi @ basis.sz.T
        - 0.5 * params.J * (t0 @ psi)
        - 0.5 * params.J * g * (ts @ psi) @ basis.sx.T
        + params.Delta * g * (p[:, None] * psi) @ basis.sy.T
        + d_eps[:, None] * psi
    )


def expectation(psi: Complex[Array, "C M"], h_psi: Complex[Array, "C M"]) -> Array:
    """⟨ψ|X|ψ⟩ given ψ and Xψ as (C, M) matrices (real part; X Hermitian)."""
    return jnp.real(jnp.vdot(psi, h_psi))
