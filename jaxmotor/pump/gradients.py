"""Gradients through the pump's exact diagonalization.

``jnp.linalg.eigh``'s derivative rule builds 1/(E_i - E_j) for *every* pair of eigenvalues, so a
single degenerate pair anywhere in the spectrum makes all gradients NaN, even for observables of a
state far away from it. :func:`selected_eigenpair` differentiates one eigenpair only, by first-order
perturbation theory,

    dE_n = ⟨n|dH|n⟩,     d|n⟩ = Σ_{m ≠ n} |m⟩ ⟨m|dH|n⟩ / (E_n - E_m),

which needs E_n to be non-degenerate and nothing else. Degenerate partners of n itself (|E_n -
E_m| below ``degeneracy_tol``) are dropped from the sum; the gradient is then that of a gauge-fixed
member of the multiplet and is not unique — keep the selected state non-degenerate (check
``E_prime_margin`` and the level spacing) when the derivative matters.

The selection n = argmin E' is a discrete choice and is held fixed (``stop_gradient``): derivatives
are those of the selected state's branch, valid away from level crossings of E'.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from jaxtyping import Array, Complex, Float, Int

from .basis import PumpBasis
from .hamiltonian import PumpParams, hamiltonian
from .observables import as_matrix, bond_currents, particle_hole_gap, spin_gap, sz_expectations
from .spectrum import eigh


@partial(jax.custom_jvp, nondiff_argnums=(2,))
def selected_eigenpair(
    matrix: Complex[Array, "D D"], n: Int[Array, ""], degeneracy_tol: float = 1e-9
) -> tuple[Float[Array, ""], Complex[Array, " D"], Float[Array, " D"], Complex[Array, "D D"]]:
    """(E_n, |n⟩, all eigenvalues, all eigenvectors) of a Hermitian matrix, differentiable in E_n
    and |n⟩ only (the full spectrum is returned for selection and carries no tangent)."""
    evals, evecs = eigh(matrix)
    return evals[n], evecs[:, n], evals, evecs


@selected_eigenpair.defjvp
def _selected_eigenpair_jvp(degeneracy_tol, primals, tangents):
    (matrix, n), (dmatrix, _) = primals, tangents
    evals, evecs = eigh(matrix)
    vec = evecs[:, n]
    coupling = jnp.conj(evecs).T @ (dmatrix @ vec)  # ⟨m|dH|n⟩
    gaps = evals[n] - evals
    keep = jnp.abs(gaps) > degeneracy_tol
    d_vec = evecs @ jnp.where(keep, coupling / jnp.where(keep, gaps, 1.0), 0.0)
    d_energy = jnp.real(coupling[n])
    primal_out = (evals[n], vec, evals, evecs)
    tangent_out = (d_energy, d_vec, jnp.zeros_like(evals), jnp.zeros_like(evecs))
    return primal_out, tangent_out


def differentiable_observables(params: PumpParams, basis: PumpBasis) -> dict[str, Array]:
    """Observables of the selected state that are differentiable in the parameters (one point).

    Returns a dict with ``E``, ``E_prime``, ``spin_gap``, ``ph_gap_min`` and ``current`` — each a
    scalar whose ``jax.grad`` with respect to ω, η, Δ, J (fields of ``params``) is finite wherever
    the selected state is non-degenerate, whatever degeneracies exist elsewhere in the spectrum.
    """
    matrix = hamiltonian(params, basis)
    evals, evecs = jax.lax.stop_gradient(eigh(matrix))
    n = jnp.argmin(evals + params.omega * sz_expectations(evecs, basis))
    energy, vec, _, _ = selected_eigenpair(matrix, n)
    psi = as_matrix(vec, basis)
    sz = jnp.real(jnp.vdot(psi, psi @ basis.sz.T))
    return {
        "E": energy,
        "E_prime": energy + params.omega * sz,
        "spin_gap": spin_gap(params, basis, psi, energy),
        "ph_gap_min": jnp.nanmin(particle_hole_gap(params, basis, psi, energy)),
        "current": jnp.mean(bond_currents(params, basis, psi)),
    }
