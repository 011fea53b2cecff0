"""Robustness of the pump against on-site disorder (pump paper Sec. V, Eq. 33, Fig. 6; docs/physics.md §1).

H' = H + Σ_j ε_j n_j with ε_j i.i.d. uniform on [0, ε₀]. Realization r of a run with PRNG key
``key`` draws u_r = U[0, 1)^L from ``jax.random.fold_in(key, r)``, and ε = ε₀ u_r: the numbers of
realization r depend only on (key, r), never on how many realizations are drawn or how the batch
is chunked, and every ε₀ of a sweep uses the same u_r (common random numbers, so the curve Δn(ε₀)
is smooth in ε₀). All realizations of all ε₀ are diagonalized in one batched :func:`solve` (in the
whole space: disorder breaks the sector symmetry).

A realization *fails* when |Δn| < 1/2 (transport lost). docs/physics.md: the paper's "breakdown at
ε₀ ≈ 0.3 J" does not hold — at L = 8, S = 10, ω = 0.25 transport is intact at 0.3 J and degrades
at order J (a few realizations fail at 0.5 J).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Key

from .._results import to_dataset
from .._validate import check_int, check_range, fail
from ._basis import PumpBasis
from ._hamiltonian import PumpParams
from ._solve import solve

FAILED_BELOW = 0.5  # |Δn| below this: the realization does not pump


def unit_disorder(key: Key[Array, ""], n_realizations: int, L: int) -> Float[Array, "R L"]:
    """u_r ~ U[0, 1)^L for r = 0..R-1, realization r from ``fold_in(key, r)`` (batch-size independent)."""
    n_realizations = check_int("realizations", n_realizations, low=1)
    keys = jax.vmap(lambda r: jax.random.fold_in(key, r))(jnp.arange(n_realizations))
    return jax.vmap(lambda k: jax.random.uniform(k, (L,), dtype=float))(keys)


def disorder_realizations(key: Key[Array, ""], eps0, n_realizations: int, L: int) -> Float[Array, "*E R L"]:
    """On-site energies ε_j ~ U[0, ε₀] (Eq. 33): ε₀ u_r for every ε₀ (any shape) and realization r."""
    check_range("eps0", eps0, low=0.0)
    eps0 = jnp.asarray(eps0, dtype=float)
    return eps0[..., None, None] * unit_disorder(key, n_realizations, L)


class DisorderResult(eqx.Module):
    """Δn of the selected state over disorder realizations, for each ε₀.

    Attributes:
        eps0: disorder strengths ε₀ (units of J), (E,).
        disorder: the on-site energies ε_j of every realization, (E, R, L).
        delta_n: Δn (period 2π/ω̃) of every realization, (E, R).
        delta_n_mean: mean over realizations, (E,).
        delta_n_std: sample standard deviation over realizations (ddof = 1; 0 for one realization), (E,).
        failed_fraction: fraction of realizations with |Δn| < 1/2, (E,).
        omega_tilde: ω̃ of every realization, (E, R).
        E_prime_margin: E' margin of every realization, (E, R).
    """

    eps0: Float[np.ndarray, " E"]
    disorder: Float[np.ndarray, "E R L"]
    delta_n: Float[np.ndarray, "E R"]
    delta_n_mean: Float[np.ndarray, " E"]
    delta_n_std: Float[np.ndarray, " E"]
    failed_fraction: Float[np.ndarray, " E"]
    omega_tilde: Float[np.ndarray, "E R"]
    E_prime_margin: Float[np.ndarray, "E R"]

    dims: ClassVar[dict[str, tuple[str, ...]]] = {"disorder": ("realization", "site"), "delta_n": ("realization",),
                                                  "omega_tilde": ("realization",), "E_prime_margin": ("realization",)}

    def to_dataset(self, attrs: dict | None = None):
        """An ``xarray.Dataset`` over ``eps0`` (coordinate), ``realization`` and ``site``."""
        return to_dataset(self, reference="delta_n_mean", trailing=self.dims, shared={"eps0": ("eps0",)},
                          batch_dims=("eps0",), coords={"eps0": self.eps0}, attrs=attrs)


def disorder_average(
    params: PumpParams,
    basis: PumpBasis,
    key: Key[Array, ""],
    eps0,
    n_realizations: int = 50,
    *,
    memory_budget: float | None = None,
    progress: bool = False,
) -> DisorderResult:
    """Δn averaged over disorder realizations for each ε₀ (Fig. 6), all in one batched solve.

    Args:
        params: the clean model at one point (scalar fields); a ``disorder`` of shape (L,) is a
            fixed background added to every realization.
        basis: from :func:`~jaxmotor.pump.make_basis`.
        key: PRNG key (e.g. ``jax.random.key(seed)``).
        eps0: disorder strength(s) ε₀ ≥ 0, scalar or 1-D (units of J).
        n_realizations: realizations R per ε₀ (the same u_r for every ε₀).
        memory_budget, progress: passed to :func:`~jaxmotor.pump.solve`.
    """
    if params.batch_shape != ():
        fail("params", params.batch_shape,
             "expected one parameter point (scalar fields); ε₀ and the realizations form the batch")
    eps0 = np.atleast_1d(np.asarray(eps0, dtype=float))
    if eps0.ndim != 1:
        fail("eps0", eps0, "expected a scalar or a 1-D list of disorder strengths")
    background = np.zeros(basis.L) if params.disorder is None else np.asarray(params.disorder, dtype=float)
    eps = np.asarray(disorder_realizations(key, eps0, n_realizations, basis.L)) + background
    disordered = PumpParams(omega=params.omega, eta=params.eta, J=params.J, Delta=params.Delta, flux=params.flux,
                            disorder=eps)
    obs = solve(disordered, basis, method="full", memory_budget=memory_budget, progress=progress)
    delta_n = np.asarray(obs.delta_n)
    std = np.std(delta_n, axis=-1, ddof=1) if delta_n.shape[-1] > 1 else np.zeros(eps0.shape)
    return DisorderResult(
        eps0=eps0, disorder=eps, delta_n=delta_n, delta_n_mean=delta_n.mean(axis=-1), delta_n_std=std,
        failed_fraction=np.mean(np.abs(delta_n) < FAILED_BELOW, axis=-1), omega_tilde=np.asarray(obs.omega_tilde),
        E_prime_margin=np.asarray(obs.E_prime_margin),
    )


__all__ = ["unit_disorder", "disorder_realizations", "DisorderResult", "disorder_average", "FAILED_BELOW"]
