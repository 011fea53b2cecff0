"""Transport phase diagram of the pump over spin size S and field ω (pump paper Fig. 4, docs/physics.md §1).

Δn (charge per period 2π/ω̃) on a grid of S × ω/J at fixed L. Each S has its own Hilbert space
(dimension C(L, N)·(2S+1)), so the grid is *grouped by S*: one batched, jitted :func:`solve` over
all ω per spin size (the only Python loop runs over the S groups, never over points). The spin
spaces are padded to a few bucket sizes with inert padding (:mod:`jaxmotor.pump._buckets`), so the
Fig. 4 grid (S = 1..20) compiles each kernel once per bucket (4 buckets) instead of once per S;
padding cannot change the physics: every entry equals a direct solve of that single point
(``tests/pump/test_phase.py`` checks it).

Transitions are read off each row Δn(ω) where it crosses 1/2 (linear interpolation between the
grid points around the crossing; the jump itself is sharp, so the grid step bounds the error):

* lower transition ω_min(S): the first crossing from below;
* upper transition: the first crossing from above after ω_min.

The paper's estimates are Eq. 20, ω_min > ηN/S·J (with |⟨I⟩|, |⟨P⟩| ≤ N: a sufficient bound,
not the transition — docs/physics.md measures ω_min ≈ 0.45 ηN/S), and Eq. 21, ω_crit⁽¹⁾ ≤ 2ηJ (docs/physics.md: the
measured upper transition, ≈ 1.76-1.78 J at L = 8 for large S, lies below 2η).
"""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import numpy as np
from jaxtyping import Float

from .._results import to_dataset
from .._validate import check_range, fail
from ._basis import make_basis, spin_value
from ._hamiltonian import PumpParams
from ._solve import solve_spins


class PhaseDiagram(eqx.Module):
    """Δn and companions on the grid (S, ω). Arrays have shape (n_S, n_ω) unless noted.

    Attributes:
        S: spin sizes, (n_S,).
        omega: Larmor frequencies ω/J, (n_ω,).
        dim: Hilbert-space dimension of each S, (n_S,).
        delta_n: charge per period 2π/ω̃ (Fig. 4).
        delta_n_bare: charge per period 2π/ω.
        omega_tilde: renormalized precession frequency ω̃ (units of J).
        spin_gap: normalized spin gap (Eq. 13, docs/physics.md), units of J; it changes sign at the transitions.
        E_prime_margin: E' margin of the selected state to the runner-up (small: near tie).
        L, N, eta: the fixed ring size, filling and coupling η.
    """

    S: Float[np.ndarray, " nS"]
    omega: Float[np.ndarray, " nw"]
    dim: np.ndarray
    delta_n: Float[np.ndarray, "nS nw"]
    delta_n_bare: Float[np.ndarray, "nS nw"]
    omega_tilde: Float[np.ndarray, "nS nw"]
    spin_gap: Float[np.ndarray, "nS nw"]
    E_prime_margin: Float[np.ndarray, "nS nw"]
    L: int = eqx.field(static=True)
    N: int = eqx.field(static=True)
    eta: float = eqx.field(static=True)

    def to_dataset(self, attrs: dict | None = None):
        """An ``xarray.Dataset`` over the coordinates ``S`` and ``omega`` (``dim`` over ``S``)."""
        return to_dataset(self, reference="delta_n", shared={"S": ("S",), "omega": ("omega",), "dim": ("S",)},
                          batch_dims=("S", "omega"), coords={"S": self.S, "omega": self.omega}, attrs=attrs)


_FIELDS = ("delta_n", "delta_n_bare", "omega_tilde", "spin_gap", "E_prime_margin")


def phase_diagram(
    spins: Sequence,
    params: PumpParams,
    *,
    L: int = 8,
    N: int | None = None,
    method: str = "auto",
    memory_budget: float | None = None,
    progress: bool = False,
) -> PhaseDiagram:
    """Δn over the grid of spin sizes × ω (Fig. 4), one batched solve per spin size.

    Args:
        spins: spin sizes S (positive multiples of 1/2, distinct).
        params: the model; ``params.omega`` is the 1-D ω grid (units of J); η, J, Δ scalars (a
            ``disorder`` of shape (L,) is allowed and applies to every point).
        L, N: ring sites and fermions (default N = L/2).
        method, memory_budget: passed to :func:`~jaxmotor.pump.solve`.
        progress: a progress bar over the S groups.
    """
    spin_values = [spin_value(s) for s in spins]
    if not spin_values:
        fail("S", list(spins), "expected at least one spin size")
    if len(set(spin_values)) != len(spin_values):
        fail("S", [str(s) for s in spin_values], "spin sizes must be distinct")
    omega = np.asarray(params.omega, dtype=float)
    if omega.ndim != 1:
        fail("omega", params.omega, "expected a 1-D grid of ω")
    for name in ("eta", "J", "Delta", "flux"):
        if np.ndim(getattr(params, name)) != 0:
            fail(name, getattr(params, name), "expected a scalar (the phase diagram's axes are S and ω)")
    if params.disorder is not None and np.ndim(params.disorder) != 1:
        fail("disorder", params.disorder, "expected one set of on-site energies, shape (L,)")
    bases = [make_basis(L, N, s, memory_budget=memory_budget) for s in spin_values]  # validate all first
    rows = {k: [] for k in _FIELDS}
    # one batched solve per spin size (Hilbert spaces differ), compiled once per bucket of spin sizes
    for obs in solve_spins(params, bases, method=method, memory_budget=memory_budget, progress=progress):
        for k in _FIELDS:
            rows[k].append(np.asarray(getattr(obs, k)))
    return PhaseDiagram(
        S=np.array([float(s) for s in spin_values]), omega=omega, dim=np.array([b.dim for b in bases]),
        **{k: np.stack(v) for k, v in rows.items()}, L=bases[0].L, N=bases[0].N, eta=float(np.asarray(params.eta)),
    )


def _crossing(omega: np.ndarray, values: np.ndarray, start: np.ndarray, upward: bool, level: float):
    """First crossing of ``level`` at or after grid interval ``start`` (per row), linearly
    interpolated; returns (position or NaN, interval index or n_ω)."""
    above = values >= level
    step = (~above[:, :-1] & above[:, 1:]) if upward else (above[:, :-1] & ~above[:, 1:])
    step &= np.arange(values.shape[1] - 1)[None, :] >= start[:, None]
    found = step.any(axis=1)
    i = np.argmax(step, axis=1)
    rows = np.arange(values.shape[0])
    v0, v1 = values[rows, i], values[rows, np.minimum(i + 1, values.shape[1] - 1)]
    w0, w1 = omega[i], omega[np.minimum(i + 1, omega.size - 1)]
    where = w0 + (level - v0) * (w1 - w0) / np.where(v1 != v0, v1 - v0, 1.0)
    return np.where(found, where, np.nan), np.where(found, i, values.shape[1])


def transitions(omega, delta_n, level: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper transitions of each row Δn(ω) (rows: spin sizes), where Δn crosses ``level``.

    Lower: the first crossing from below (ω_min). Upper: the first crossing from above after it.
    Linear interpolation between the two grid points around the crossing; NaN where there is none
    (no transport on the grid, or transport already at the first ω, or none up to the last ω).

    Returns:
        (lower, upper), each of shape delta_n.shape[:-1].
    """
    omega = np.asarray(omega, dtype=float)
    values = np.asarray(delta_n, dtype=float)
    if omega.ndim != 1 or values.shape[-1] != omega.size or omega.size < 2 or np.any(np.diff(omega) <= 0):
        fail("omega", omega, "expected an increasing 1-D grid (≥ 2 points) matching delta_n's last axis")
    check_range("level", level)
    flat = values.reshape(-1, omega.size)
    below_first = flat[:, 0] < level
    lower, i = _crossing(omega, flat, np.zeros(flat.shape[0], dtype=int), True, level)
    lower = np.where(below_first, lower, np.nan)
    upper, _ = _crossing(omega, flat, i + 1, False, level)
    upper = np.where(np.isnan(lower), np.nan, upper)
    shape = values.shape[:-1]
    return lower.reshape(shape), upper.reshape(shape)


class InverseSpinFit(eqx.Module):
    """Least-squares fit ω_min(S) = a/S through the defined transitions.

    Attributes:
        prefactor: a (units of J), i.e. ω_min·S.
        prefactor_err: its standard error from the residuals (NaN with one point).
        eq20_prefactor: Eq. 20's bound ηN (ω_min > ηN/S).
        ratio_to_eq20: a / (ηN) (docs/physics.md: about 0.45).
        n_points: number of spin sizes used.
    """

    prefactor: float
    prefactor_err: float
    eq20_prefactor: float
    ratio_to_eq20: float
    n_points: int


def fit_inverse_spin(S, omega_min, *, eta: float, N: int, S_min: float = 0.0) -> InverseSpinFit:
    """Fit ω_min(S) = a/S by least squares over the spin sizes S ≥ ``S_min`` where ω_min is defined.

    The model is linear in a: a = Σ(ω_min/S) / Σ(1/S²). NaN (n_points = 0) if no ω_min is defined.
    """
    S = np.asarray(S, dtype=float)
    omega_min = np.asarray(omega_min, dtype=float)
    if S.shape != omega_min.shape or np.any(S <= 0):
        fail("S", S, "expected positive spin sizes, one per ω_min")
    use = np.isfinite(omega_min) & (S >= S_min)
    x, y = 1.0 / S[use], omega_min[use]
    n = int(use.sum())
    a = float(np.sum(x * y) / np.sum(x * x)) if n else float("nan")
    err = float(np.sqrt(np.sum((y - a * x) ** 2) / (n - 1) / np.sum(x * x))) if n > 1 else float("nan")
    bound = float(eta * N)
    return InverseSpinFit(prefactor=a, prefactor_err=err, eq20_prefactor=bound, ratio_to_eq20=a / bound, n_points=n)


def eq21_upper_bound(eta: float) -> float:
    """Eq. 21's upper transition 2η·√(⟨S_x⟩² + ⟨S_y⟩²)/S at its maximum 2η (units of J)."""
    return 2.0 * float(eta)


class PhaseAnalysis(eqx.Module):
    """The transitions of a :class:`PhaseDiagram` and their comparison with Eqs. 20-21.

    Attributes:
        lower: ω_min(S), where Δn first crosses 1/2 from below (NaN if not on the grid), (n_S,).
        upper: the upper transition, first crossing of 1/2 from above after ω_min, (n_S,).
        fit: ω_min = a/S fitted over the defined ω_min with S ≥ fit_S_min, with Eq. 20's ηN.
        upper_large_S: mean upper transition over the larger half of the spin sizes (S ≥ median).
        upper_large_S_std: its spread (standard deviation over those S; 0 for one).
        eq21: Eq. 21's bound 2η.
    """

    lower: Float[np.ndarray, " nS"]
    upper: Float[np.ndarray, " nS"]
    fit: InverseSpinFit
    upper_large_S: float
    upper_large_S_std: float
    eq21: float


def analyze(diagram: PhaseDiagram, *, level: float = 0.5, fit_S_min: float = 4.0) -> PhaseAnalysis:
    """Transitions of every row, the 1/S fit of ω_min (vs Eq. 20) and the large-S upper
    transition (vs Eq. 21).

    The 1/S law is a large-S (semiclassical) statement: at L = 8 the smallest spins lie well above
    it (measured ω_min·S ≈ 3.1 at S = 2, 2.1 at S = 3, against ≈ 1.75 for S ≥ 4; S = 1 does not
    pump), so the fit uses S ≥ ``fit_S_min`` only.
    """
    lower, upper = transitions(diagram.omega, diagram.delta_n, level)
    large = (diagram.S >= np.median(diagram.S)) & np.isfinite(upper)
    tail = upper[large]
    return PhaseAnalysis(
        lower=lower, upper=upper,
        fit=fit_inverse_spin(diagram.S, lower, eta=diagram.eta, N=diagram.N, S_min=fit_S_min),
        upper_large_S=float(np.mean(tail)) if tail.size else float("nan"),
        upper_large_S_std=float(np.std(tail)) if tail.size else float("nan"),
        eq21=eq21_upper_bound(diagram.eta),
    )


__all__ = ["PhaseDiagram", "phase_diagram", "transitions", "InverseSpinFit", "fit_inverse_spin", "eq21_upper_bound",
           "PhaseAnalysis", "analyze"]
