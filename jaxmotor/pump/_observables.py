"""Observables of the pumping state (pump paper Sec. III, docs/physics.md §1 "Observables").

All functions act on one parameter point and are pure, so they compose with ``jit`` and ``vmap``.
States are (C, 2S+1) matrices Ψ (fermion ⊗ spin), see :mod:`jaxmotor.pump._hamiltonian`.
Units: ħ = e = 1; energies and frequencies in units of J's energy scale; currents in particles per
unit time.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Complex, Float, Int

from .._results import to_dataset
from ._basis import PumpBasis
from ._hamiltonian import PumpParams, apply_hamiltonian, coupling, expectation, onsite_energies

# ⟨φ|φ⟩ below this (relative to ⟨ψ|ψ⟩ = 1) means c†_m c_l ψ = 0: no such excitation.
_NORM_TOL = 1e-12


class PumpObservables(eqx.Module):
    """Observables of the selected eigenstate (minimal E' = E + ω⟨S_z⟩, Eq. 11).

    Every field has the batch shape of the parameters, plus the trailing axes noted.

    Attributes:
        E: energy E_n of the selected eigenstate.
        E_prime: fermion energy E'_n = E_n + ω⟨S_z⟩_n (Eq. 11).
        E_prime_margin: E' of the runner-up minus E'_n (≥ 0; small means a near tie).
        selected_index: index n of the selected state in the ascending spectrum.
        omega_tilde: renormalized precession frequency ω̃ (Sec. III C; docs/physics.md's two-line average).
        delta_omega: ω̃ - ω.
        bond_currents: current J_l on every bond l = 1..L (Eq. 3 orientation, prefactor J/2). (..., L)
        current: bond average of J_l.
        delta_n: charge per period, J_l · 2π/ω̃ (Fig. 3).
        delta_n_bare: J_l · 2π/ω.
        Sx, Sy, Sz, Sx2, Sy2, Sz2: ⟨S_a⟩ and ⟨S_a²⟩.
        spin_gap: normalized spin excitation gap ⟨S⁺ψ|H|S⁺ψ⟩/⟨S⁺ψ|S⁺ψ⟩ - E_n (Eq. 13, docs/physics.md).
        ph_gap: normalized particle-hole gaps ΔE_{l,m} for φ = c†_m c_l ψ, indexed [l, m]; NaN
            where undefined (l = m or c†_m c_l ψ = 0). (..., L, L)
        ph_gap_min, ph_gap_max: extremes of ph_gap over the defined pairs.
        method: how H was diagonalized: ``"full"`` (the whole space) or ``"sectors"`` (U blocks).
    """

    E: Float[Array, "*batch"]
    E_prime: Float[Array, "*batch"]
    E_prime_margin: Float[Array, "*batch"]
    selected_index: Int[Array, "*batch"]
    omega_tilde: Float[Array, "*batch"]
    delta_omega: Float[Array, "*batch"]
    bond_currents: Float[Array, "*batch L"]
    current: Float[Array, "*batch"]
    delta_n: Float[Array, "*batch"]
    delta_n_bare: Float[Array, "*batch"]
    Sx: Float[Array, "*batch"]
    Sy: Float[Array, "*batch"]
    Sz: Float[Array, "*batch"]
    Sx2: Float[Array, "*batch"]
    Sy2: Float[Array, "*batch"]
    Sz2: Float[Array, "*batch"]
    spin_gap: Float[Array, "*batch"]
    ph_gap: Float[Array, "*batch L L"]
    ph_gap_min: Float[Array, "*batch"]
    ph_gap_max: Float[Array, "*batch"]
    method: str = eqx.field(static=True, default="full")

    dims: ClassVar[dict[str, tuple[str, ...]]] = {"bond_currents": ("bond",), "ph_gap": ("l", "m")}

    def to_dataset(self, batch_dims: tuple[str, ...] | None = None, coords: dict | None = None,
                   attrs: dict | None = None):
        """The observables as an ``xarray.Dataset``: the batch axes named ``batch_dims`` (e.g.
        ``("omega",)``), then ``bond`` (L) for the currents and ``l``, ``m`` for the particle-hole gaps."""
        return to_dataset(self, reference="E", trailing=self.dims, batch_dims=batch_dims, coords=coords, attrs=attrs)


def as_matrix(vector: Complex[Array, " D"], basis: PumpBasis) -> Complex[Array, "C M"]:
    """A many-body vector (fermion-major) as a (C, 2S+1) matrix."""
    return vector.reshape(basis.n_configs, basis.n_spin)


def sz_expectations(evecs: Complex[Array, "D D"], basis: PumpBasis) -> Float[Array, " D"]:
    """⟨S_z⟩ in every eigenvector (columns of ``evecs``)."""
    m = jnp.real(jnp.diag(basis.sz))
    weights = jnp.abs(evecs.reshape(basis.n_configs, basis.n_spin, -1)) ** 2
    return jnp.einsum("cmn,m->n", weights, m)


def select_state(selection_energies: Float[Array, " D"]) -> tuple[Int[Array, ""], Array]:
    """Index of the minimal E' and its margin to the runner-up (Eq. 11)."""
    two_lowest = jnp.sort(selection_energies)[:2]
    return jnp.argmin(selection_energies), two_lowest[1] - two_lowest[0]


def spin_moments(psi: Complex[Array, "C M"], basis: PumpBasis) -> dict[str, Array]:
    """⟨S_a⟩ and ⟨S_a²⟩ for a = x, y, z."""
    out = {}
    for name, s in (("x", basis.sx), ("y", basis.sy), ("z", basis.sz)):
        out[f"S{name}"] = expectation(psi, psi @ s.T)
        out[f"S{name}2"] = expectation(psi, psi @ (s @ s).T)
    return out


def one_body(basis: PumpBasis, psi: Complex[Array, "C M"], m, l) -> Complex[Array, "... C M"]:
    """c†_m c_l ψ via the gather table (m, l may be index arrays of equal shape)."""
    source = basis.pair_source[m, l]
    sign = basis.pair_sign[m, l]
    return sign[..., None] * psi[source]


def bond_currents(params: PumpParams, basis: PumpBasis, psi: Complex[Array, "C M"]) -> Float[Array, " L"]:
    """J_l = -i ⟨t_l (e^{-iφ} c†_{l+1} c_l - e^{iφ} c†_l c_{l+1})⟩, t_l = (J/2)(1 + (-1)^l g S_x).

    Eq. 3 orientation with the prefactor J/2 (docs/physics.md: Eq. 12's J is a typo). Equals -dH_l/dφ, so
    Σ_l J_l = -dE/dφ in an eigenstate.
    """
    sites = jnp.arange(basis.L)
    right = (sites + 1) % basis.L
    phase = jnp.exp(1j * params.flux)
    x = jnp.conj(phase) * one_body(basis, psi, right, sites) - phase * one_body(basis, psi, sites, right)
    plain = jnp.einsum("cm,lcm->l", jnp.conj(psi), x)
    with_sx = jnp.einsum("cm,lcm->l", jnp.conj(psi), x @ basis.sx.T)
    g = coupling(params, basis)
    return jnp.real(-1j * 0.5 * params.J * (plain + basis.stagger * g * with_sx))


def renormalized_frequency(gaps: Float[Array, " K"], line_weights: Float[Array, " K"]) -> Array:
    """ω̃ from the spectral lines of C_xx(t) = Σ_m |⟨m|S_x|n⟩|² e^{-i(E_m - E_n)t} (docs/physics.md §1), given
    the gaps E_m - E_n and weights |⟨m|S_x|n⟩|² of any set of states m (lines at gap 0 are ignored).

    The strongest line above E_n and the strongest below are averaged with their weights; if one
    side has no weight the other alone is used.
    """
    up = jnp.where(gaps > 0, line_weights, 0.0)
    down = jnp.where(gaps < 0, line_weights, 0.0)
    i_up, i_down = jnp.argmax(up), jnp.argmax(down)
    w_up, w_down = up[i_up], down[i_down]
    total = w_up + w_down
    return (w_up * jnp.abs(gaps[i_up]) + w_down * jnp.abs(gaps[i_down])) / jnp.where(total > 0, total, 1.0)


def spin_gap(params: PumpParams, basis: PumpBasis, psi: Complex[Array, "C M"], energy) -> Array:
    """Normalized spin excitation gap ⟨S⁺ψ|H|S⁺ψ⟩/⟨S⁺ψ|S⁺ψ⟩ - E_n (Eq. 13 normalized, docs/physics.md §1)."""
    phi = psi @ (basis.sx + 1j * basis.sy).T
    norm = jnp.real(jnp.vdot(phi, phi))
    h_phi = apply_hamiltonian(params, basis, phi)
    return expectation(phi, h_phi) / norm - energy


def particle_hole_gap(
    params: PumpParams, basis: PumpBasis, psi: Complex[Array, "C M"], energy
) -> Float[Array, "L L"]:
    """Normalized particle-hole gaps ΔE_{l,m} = ⟨φ|H|φ⟩/⟨φ|φ⟩ - E_n, φ = c†_m c_l ψ (Eq. 34, Fig. 7).

    Indexed [l, m] (hole at l, particle at m). NaN where undefined (l = m, or φ = 0).

    No φ is formed: with P_lm = n_l(1 - n_m), ⟨φ|φ⟩ = ⟨ψ|P_lm|ψ⟩ and

        ⟨φ|H|φ⟩ = ⟨ψ|P_lm (H_diag[n_l → 0, n_m → 1] + Σ_{bonds b ∌ l, m} H_b)|ψ⟩,

    because c†_l c_m X c†_m c_l = X n_l(1 - n_m) for every bond term X away from l and m, vanishes
    for the bonds touching l or m, and a diagonal term is evaluated in the configuration after the
    move. Everything then reduces to per-configuration forms of ψ (O(L C M²) for all L² pairs);
    ``tests/pump/test_observables.py`` checks it against φ built from Fock-space operators.
    """
    L = basis.L
    occ = basis.occupations  # (C, L)
    hole_particle = occ[:, :, None] * (1.0 - occ[:, None, :])  # P_lm(c), (C, L, L)

    def per_config(x):  # ψ_c† x_c for every configuration c (and leading axes of x)
        return jnp.einsum("cm,...cm->...c", jnp.conj(psi), x)

    g = coupling(params, basis)
    weight = jnp.real(per_config(psi))
    eps = jnp.zeros(L) if params.disorder is None else params.disorder
    p, d_eps = onsite_energies(params, basis)
    diagonal = (
        -params.omega * jnp.real(per_config(psi @ basis.sz.T))[:, None, None]
        + params.Delta * g * jnp.real(per_config(psi @ basis.sy.T))[:, None, None]
        * (p[:, None, None] - basis.stagger[None, :, None] + basis.stagger[None, None, :])
        + weight[:, None, None] * (d_eps[:, None, None] - eps[None, :, None] + eps[None, None, :])
    )
    sites = jnp.arange(L)
    right = (sites + 1) % L
    phase = jnp.exp(1j * params.flux)
    hop_psi = phase * one_body(basis, psi, sites, right) + jnp.conj(phase) * one_body(basis, psi, right, sites)
    bond = -0.5 * params.J * (per_config(hop_psi) + g * basis.stagger[:, None] * per_config(hop_psi @ basis.sx.T))
    away = (sites[:, None, None] != sites[None, :, None]) & (sites[:, None, None] != sites[None, None, :])
    away = away & (right[:, None, None] != sites[None, :, None]) & (right[:, None, None] != sites[None, None, :])
    hopping = jnp.einsum("jc,clm,jlm->lm", bond, hole_particle, away)
    energies = jnp.real(jnp.einsum("clm,clm->lm", hole_particle, diagonal) + hopping)
    norms = jnp.einsum("clm,c->lm", hole_particle, weight)
    valid = (norms > _NORM_TOL) & (sites[:, None] != sites[None, :])
    return jnp.where(valid, energies / jnp.where(valid, norms, 1.0) - energy, jnp.nan)


def observables_of_state(
    params: PumpParams,
    basis: PumpBasis,
    psi: Complex[Array, "C M"],
    *,
    energy,
    E_prime,
    margin,
    index,
    omega_tilde,
    method: str,
) -> PumpObservables:
    """Every observable of the selected state ψ, given what the spectrum decided about it."""
    currents = bond_currents(params, basis, psi)
    current = jnp.mean(currents)
    ph = particle_hole_gap(params, basis, psi, energy)
    return PumpObservables(
        E=energy,
        E_prime=E_prime,
        E_prime_margin=margin,
        selected_index=index,
        omega_tilde=omega_tilde,
        delta_omega=omega_tilde - params.omega,
        bond_currents=currents,
        current=current,
        delta_n=current * 2 * jnp.pi / omega_tilde,
        delta_n_bare=current * 2 * jnp.pi / params.omega,
        spin_gap=spin_gap(params, basis, psi, energy),
        ph_gap=ph,
        ph_gap_min=jnp.nanmin(ph),
        ph_gap_max=jnp.nanmax(ph),
        method=method,
        **spin_moments(psi, basis),
    )


def observables_from_eigh(
    params: PumpParams, basis: PumpBasis, evals: Float[Array, " D"], evecs: Complex[Array, "D D"]
) -> PumpObservables:
    """Select the pumping state from a full eigendecomposition and compute all its observables."""
    selection = evals + params.omega * sz_expectations(evecs, basis)
    n, margin = select_state(selection)
    psi = as_matrix(evecs[:, n], basis)
    sx_psi = (psi @ basis.sx.T).reshape(-1)
    line_weights = jnp.abs(jnp.conj(evecs).T @ sx_psi) ** 2
    return observables_of_state(
        params, basis, psi, energy=evals[n], E_prime=selection[n], margin=margin, index=n,
        omega_tilde=renormalized_frequency(evals - evals[n], line_weights), method="full",
    )
