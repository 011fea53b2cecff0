"""Transport in every eigenstate (the pump paper's outlook, Sec. VI: "many states pump").

At one clean parameter point the symmetry-sector ED (:mod:`jaxmotor.pump._sectors`, all L blocks
of U = T₁e^{iπS_z}) gives every eigenstate |n⟩. For each one, with no further diagonalization:

* the bond-averaged current J̄_n = ⟨n|J̄|n⟩ (docs/physics.md §1 orientation; the same on every bond in an
  eigenstate), from the matrix-free J̄ of :mod:`jaxmotor.pump._dynamics`;
* ω̃_n, docs/physics.md's two-line average over the spectral lines of C_xx(t) = Σ_m |⟨m|S_x|n⟩|² e^{-i(E_m-E_n)t}
  (S_x connects sector k only to k + L/2, so the lines come from one product of two blocks'
  eigenvectors);
* Δn_n = J̄_n·2π/ω̃_n (Fig. 3) and Δn_n(bare) = J̄_n·2π/ω;
* ⟨S_z⟩_n and E'_n = E_n + ω⟨S_z⟩_n (Eq. 11), the fermions' share of the energy.

:func:`pumping_fraction` bins the states by an energy and counts those with |Δn - 1| < tol. The
selected state of Eq. 11 (minimal E') is one of them: its Δn equals :func:`jaxmotor.pump.solve`'s.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._validate import check_int, check_range, fail
from ._basis import PumpBasis
from ._dynamics import HopTables, apply_hamiltonian_and_current, apply_sx
from ._hamiltonian import PumpParams
from ._linalg import eigh
from ._observables import renormalized_frequency
from ._sectors import PumpSectors, from_real_basis, sector_hamiltonians, to_product


class EigenstateTransport(eqx.Module):
    """Transport of every eigenstate at one parameter point; arrays of length D (ascending E).

    Attributes:
        energy: E_n. E_prime: E_n + ω⟨S_z⟩_n (Eq. 11). Sz: ⟨S_z⟩_n.
        current: J̄_n, the bond-averaged current. omega_tilde: ω̃_n (NaN without S_x lines).
        delta_n: J̄_n·2π/ω̃_n. delta_n_bare: J̄_n·2π/ω.
        sector: the U sector k of every state.
        S: spin size. omega: ω.
    """

    energy: Float[Array, " D"]
    E_prime: Float[Array, " D"]
    Sz: Float[Array, " D"]
    current: Float[Array, " D"]
    omega_tilde: Float[Array, " D"]
    delta_n: Float[Array, " D"]
    delta_n_bare: Float[Array, " D"]
    sector: Int[Array, " D"]
    S: float = eqx.field(static=True, default=0.0)
    omega: float = eqx.field(static=True, default=0.0)

    def to_dataset(self, attrs: dict | None = None):
        """An ``xarray.Dataset`` over the dim "state" (ascending energy)."""
        import xarray as xr

        names = ("energy", "E_prime", "Sz", "current", "omega_tilde", "delta_n", "delta_n_bare", "sector")
        return xr.Dataset({k: (("state",), np.asarray(getattr(self, k))) for k in names},
                          coords={"state": np.arange(np.size(self.energy))},
                          attrs={"S": self.S, "omega": self.omega, **(attrs or {})})


def _sector_states(params: PumpParams, basis: PumpBasis, sectors: PumpSectors):
    """Eigenpairs of all L blocks; eigenvectors in the product basis, (L, d, C, M) (zero on padding)."""
    blocks = sector_hamiltonians(params, basis, sectors, tuple(range(sectors.L)))
    evals, evecs = jax.vmap(eigh)(blocks)

    def states(k):
        return jax.vmap(lambda v: to_product(sectors, k, from_real_basis(sectors, k, v)), in_axes=1)(evecs[k])

    vectors = jax.vmap(states)(jnp.arange(sectors.L)).reshape(sectors.L, sectors.size, basis.n_configs, basis.n_spin)
    return evals, evecs, vectors


@eqx.filter_jit
def _transport(params: PumpParams, basis: PumpBasis, sectors: PumpSectors, tables: HopTables):
    evals, evecs, vectors = _sector_states(params, basis, sectors)
    L, d = sectors.L, sectors.size
    sz = jnp.einsum("kan,ka->kn", evecs ** 2, sectors.sz)  # A keeps m: W†S_zW = S_z

    def mean_current(v):
        return jnp.real(jnp.vdot(v, apply_hamiltonian_and_current(params, tables, v)[1]))

    current = jax.vmap(jax.vmap(mean_current))(vectors)  # (L, d)
    flat = vectors.reshape(L, d, -1)

    def lines(k):
        shifted = (k + L // 2) % L
        sx_v = jax.vmap(lambda v: apply_sx(tables, v))(vectors[k]).reshape(d, -1)  # S_x|k, n⟩
        weights = jnp.abs(jnp.conj(flat[shifted]) @ sx_v.T) ** 2  # (m in k + L/2, n in k)
        weights = jnp.where(sectors.valid[shifted][:, None], weights, 0.0)
        gaps = evals[shifted][:, None] - evals[k][None, :]
        return jax.vmap(renormalized_frequency, in_axes=(1, 1))(gaps, weights)

    omega_tilde = jax.vmap(lines)(jnp.arange(L))
    return evals, sz, current, omega_tilde


def eigenstate_transport(params: PumpParams, basis: PumpBasis, sectors: PumpSectors,
                         tables: HopTables) -> EigenstateTransport:
    """Δn of every eigenstate at one clean parameter point (module docstring).

    Args:
        params: one point (scalar fields, no disorder: the sectors need a clean ring).
        basis, sectors, tables: :func:`~jaxmotor.pump.make_basis`,
            :func:`~jaxmotor.pump._sectors.make_sectors` and
            :func:`~jaxmotor.pump._dynamics.make_hop_tables` of the same (L, N, S).
    """
    if params.batch_shape != ():
        fail("params", params.batch_shape, "expected one parameter point (scalar fields)")
    if not params.is_clean:
        fail("disorder", params.disorder, "the sector ED needs a clean ring")
    if (basis.L, basis.N, basis.two_S) != (tables.L, tables.N, tables.two_S):
        fail("tables", (tables.L, tables.N, tables.S), f"expected the sizes of the basis {(basis.L, basis.N, basis.S)}")
    evals, sz, current, omega_tilde = (np.asarray(a) for a in _transport(params, basis, sectors, tables))
    valid = np.asarray(sectors.valid)
    sector = np.broadcast_to(np.arange(sectors.L)[:, None], valid.shape)[valid]
    E, sz, current, omega_tilde = evals[valid], sz[valid], current[valid], omega_tilde[valid]
    order = np.argsort(E, kind="stable")
    omega = float(params.omega)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta_n = np.where(omega_tilde > 0, current * 2 * np.pi / np.where(omega_tilde > 0, omega_tilde, 1), np.nan)
    return EigenstateTransport(
        energy=E[order], E_prime=(E + omega * sz)[order], Sz=sz[order], current=current[order],
        omega_tilde=np.where(omega_tilde > 0, omega_tilde, np.nan)[order], delta_n=delta_n[order],
        delta_n_bare=(current * 2 * np.pi / omega)[order], sector=sector[order], S=basis.S, omega=omega)


def pumping_fraction(result: EigenstateTransport, bins: int = 12, *, by: str = "E_prime", tol: float = 0.25,
                     bare: bool = False) -> dict[str, np.ndarray]:
    """Fraction of pumping states (|Δn - 1| < tol) per energy window.

    Args:
        result: :func:`eigenstate_transport`.
        bins: equal windows over the range of the energy ``by`` (``"E_prime"`` or ``"energy"``).
        tol: how close to one a Δn must be to count as pumping. bare: use Δn(bare) = J̄·2π/ω.

    Returns:
        dict with ``edges`` (bins+1,), ``count`` (bins,), ``pumping`` (bins,) and ``fraction`` (bins,)
        (NaN in an empty window), and ``total_fraction``.
    """
    check_int("bins", bins, low=1, high=10**5)
    check_range("tol", tol, low=0.0, low_inclusive=False)
    if by not in ("E_prime", "energy"):
        fail("by", by, "expected 'E_prime' or 'energy'")
    x = np.asarray(getattr(result, by))
    dn = np.asarray(result.delta_n_bare if bare else result.delta_n)
    pumping = np.abs(dn - 1.0) < tol
    edges = np.linspace(x.min(), x.max(), bins + 1)
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    pumps = np.bincount(which, weights=pumping.astype(float), minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(count > 0, pumps / np.maximum(count, 1), np.nan)
    return {"edges": edges, "count": count, "pumping": pumps.astype(int), "fraction": fraction,
            "total_fraction": float(pumping.mean())}


__all__ = ["EigenstateTransport", "eigenstate_transport", "pumping_fraction"]
