"""The pump at one parameter point: pure functions that compose with ``jit``, ``vmap`` and ``grad``.

    obs = observables(PumpParams(omega=0.25), basis)                  # one point
    jax.vmap(lambda w: observables(PumpParams(omega=w), basis))(ws)   # a batch, in the caller's vmap
    jax.grad(lambda eta: observables(PumpParams(eta=eta), basis).spin_gap)(0.95)

``method`` picks how H is diagonalized: ``"full"`` (the whole space, one dense ``eigh``) or
``"sectors"`` (block by block in the L symmetry sectors of U = T₁e^{iπS_z},
:mod:`jaxmotor.pump._sectors`); ``"auto"`` takes the sectors when the ring is clean
(``disorder=None``, or concrete zeros). Both give the same observables (tested); the sectors are ~60x
cheaper at L = 8, S = 10.

**Derivatives.** The full path differentiates through :func:`~jaxmotor.pump._linalg.safe_eigh`, whose
derivative is first-order perturbation theory with degenerate pairs dropped: finite wherever the
states an observable depends on (the selected state, its E' runner-up, the two S_x lines of ω̃) are
non-degenerate, whatever degeneracies exist elsewhere in the spectrum. The sectors path has a custom
JVP: its value comes from the sectors, its tangent from the full path (one dense ``eigh`` per
derivative — derivatives cost what the full ED costs). The discrete choices (which state is
selected, which lines make ω̃) are held fixed: derivatives are those of the selected branch, valid
away from crossings of E' (see ``E_prime_margin``).

Nothing here runs on the host per point: the sector tables are static structure built once per
(L, N, S) (:func:`jaxmotor.pump._sectors.make_sectors`) and enter as constants.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import jax
import numpy as np
from jaxtyping import Array, Float

from .._validate import fail
from ._basis import PumpBasis
from ._hamiltonian import PumpParams, hamiltonian
from ._linalg import EighSolver
from ._observables import PumpObservables, observables_from_eigh
from ._sectors import (
    PumpSectors,
    make_sectors,
    observables_from_sectors,
    physical_eigenvalues,
    sector_spectrum,
    sector_sz,
)

METHODS = ("auto", "sectors", "full")


def _concrete_zero(x) -> bool | None:
    """True/False for a concrete array (all zeros or not); None under tracing."""
    try:
        return not np.any(np.asarray(x))
    except Exception:  # a tracer
        return None


def resolve_method(params: PumpParams, method: str = "auto") -> str:
    """``"sectors"`` or ``"full"``: the sectors need a clean ring (disorder breaks U)."""
    if method not in METHODS:
        fail("method", method, "expected one of auto, sectors, full")
    clean = True if params.disorder is None else _concrete_zero(params.disorder)
    if method == "auto":
        return "sectors" if clean else "full"
    if method == "sectors" and clean is not True:
        fail("method", method, "symmetry sectors need a clean ring (disorder breaks U): pass disorder=None, "
             "or use 'full' or 'auto'")
    return method


def _clean(params: PumpParams) -> PumpParams:
    return dataclasses.replace(params, disorder=None) if params.disorder is not None else params


def full_observables(params: PumpParams, basis: PumpBasis, solver: EighSolver) -> PumpObservables:
    """Observables from one dense ``eigh`` of the whole space (differentiable: module docstring)."""
    evals, evecs = solver.eigh(hamiltonian(params, basis))
    return observables_from_eigh(params, basis, evals, evecs)


def sector_eigenpairs(params: PumpParams, basis: PumpBasis, sectors: PumpSectors, solver: EighSolver):
    """Eigenpairs of the representative sector blocks and their ⟨S_z⟩ (the expensive half of the
    sectors path)."""
    evals, evecs = sector_spectrum(params, basis, sectors, solver.eigh)
    return evals, evecs, sector_sz(sectors, evecs)


@partial(jax.custom_jvp, nondiff_argnums=(3,))
def sector_observables(params: PumpParams, basis: PumpBasis, sectors: PumpSectors, solver: EighSolver
                       ) -> PumpObservables:
    """Observables from the symmetry sectors; the tangent comes from :func:`full_observables`."""
    return observables_from_sectors(params, basis, sectors, *sector_eigenpairs(params, basis, sectors, solver))


@sector_observables.defjvp
def _sector_observables_jvp(solver, primals, tangents):
    params, basis, sectors = primals
    out = sector_observables(params, basis, sectors, solver)
    _, d_out = jax.jvp(lambda p: full_observables(p, basis, solver), (params,), (tangents[0],))
    return out, dataclasses.replace(d_out, method=out.method)


def observables(params: PumpParams, basis: PumpBasis, *, method: str = "auto",
                solver: EighSolver | None = None) -> PumpObservables:
    """Every observable of the selected state (minimal E' = E + ω⟨S_z⟩, Eq. 11) at one point.

    Args:
        params: one parameter point (scalar fields; ``disorder`` of shape (L,) or None). May hold
            traced values (inside ``jit``, ``vmap``, ``grad``).
        basis: static structure from :func:`jaxmotor.pump.make_basis`.
        method: ``"auto"``, ``"sectors"`` or ``"full"`` (module docstring).
        solver: the eigensolver (default :meth:`EighSolver.default`).

    Returns:
        :class:`PumpObservables` of scalars (``bond_currents`` (L,), ``ph_gap`` (L, L)).
    """
    solver = EighSolver.default() if solver is None else solver
    if resolve_method(params, method) == "full":
        return full_observables(params, basis, solver)
    return sector_observables(_clean(params), basis, make_sectors(basis), solver)


def eigenvalues(params: PumpParams, basis: PumpBasis, *, method: str = "auto",
                solver: EighSolver | None = None) -> Float[Array, " D"]:
    """All eigenvalues of H (ascending) at one point (Fig. 2); values only, not differentiated."""
    solver = EighSolver.default() if solver is None else solver
    if resolve_method(params, method) == "full":
        return solver.eigvalsh(hamiltonian(params, basis))
    sectors = make_sectors(basis)
    evals, _ = sector_spectrum(_clean(params), basis, sectors, lambda h: (solver.eigvalsh(h), None))
    return physical_eigenvalues(sectors, evals)


__all__ = ["observables", "eigenvalues", "resolve_method", "METHODS", "full_observables", "sector_observables",
           "sector_eigenpairs"]
