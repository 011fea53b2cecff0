"""Gradient design of the pump: maximize the minimum particle-hole gap over (η, Δ/J) at fixed ω
while the pumped charge stays quantized (issue 6 part 5; pump paper Eq. 7, 11, 34; docs/physics.md §1).

    design = optimize_gap(PumpParams(omega=0.5, eta=0.95, Delta=1.0), make_basis(6, 3, 5))
    design.eta, design.Delta, design.ph_gap_min, design.delta_n

The objective is the minimum over site pairs of the normalized particle-hole gap
ΔE_{l,m} = ⟨φ|H|φ⟩/⟨φ|φ⟩ - E_n, φ = c†_m c_l ψ (Eq. 34, docs/physics.md §1), of the selected state ψ (minimal
E' = E + ω⟨S_z⟩, Eq. 11): the smallest fermion excitation above the pumping state, units of J.
It is differentiated by ``jax.grad`` through the ED
(:func:`jaxmotor.pump.observables` with ``method="full"``: first-order perturbation theory with
degenerate pairs dropped, no NaN from degeneracies elsewhere) and maximized by Adam (optax) in the
one optimizer loop of :func:`jaxmotor.optimize.optimize`. No finite differences, no grid search.

Constraints.

- Box: η = lo + (hi - lo)·sigmoid(u), Δ/J likewise (:class:`jaxmotor.optimize.Box`); the optimizer
  moves u, so every iterate lies strictly inside ``eta_bounds`` × ``delta_bounds``. A bound is
  approached as u → ∞, where ∂/∂u → 0: that is how an active bound shows in the gradient norm.
- "Δn stays quantized", |Δn - 1| < ``quantization_tol`` with Δn = J_l·2π/ω̃ (Fig. 3). Δn has no
  useful gradient: flat on the plateau, it jumps where it ends. At the sizes this runs at (L = 6,
  S = 5, ω = 0.5) the gap grows with η and Δ, and the plateau ends at large Δ/J where a
  non-pumping state overtakes the pumping one in E' (Eq. 11): the selected state changes, Δn drops
  from 1 to about -0.06, and the gap of the *new* state is larger — so without a constraint the
  ascent walks off the plateau. Two mechanisms, one smooth and one exact:

  1. a log barrier μ·ln(E'_runner-up - E'_selected) (``E_prime_margin`` of the same ED,
     differentiable through the same perturbation theory) added to the gap: an interior-point method that keeps the
     selected state from being overtaken and, near the edge, supplies the edge's normal, so the
     iterate can slide along the edge (the optimum is where ∇gap = -μ∇margin/margin). It settles
     at a margin of order μ·|∂margin|/|∂gap| (≈ 3μ here).
  2. every proposed step is checked by an independent ED: Δn from the pipeline of
     :func:`jaxmotor.pump.solve` (symmetry sectors on a clean ring; no derivatives involved). A
     step that leaves the plateau is halved up to ``backtracking`` times, then dropped
     (``optimize(..., feasible=..., backtracking=...)``). This
     catches what the barrier cannot see: a step that jumps over a crossing, and the excursions
     of Δn just before the edge (ω̃, an argmax over spectral lines, jumps there: Δn ≈ 1.02-1.04).

  The barrier also resists crossings between two pumping states inside the plateau (the gap jumps
  there); a large enough step jumps over them when the check accepts it. The method is local and
  follows a branch: start on the plateau, near the branch to improve.

Adam's gradient is clipped to norm 1 first: at the edge the barrier's gradient μ/margin spikes and
would otherwise throw the iterate back and stall Adam's moments (the motor's design optimizer does
the same). Small sizes: L = 6, S = 5 (dimension 220) takes a few seconds per 100 steps on a CPU.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._validate import check_int, check_range, fail
from ..optimize import Box, optimize
from ._basis import PumpBasis
from ._hamiltonian import PumpParams
from ._point import observables
from ._solve import choose_method


def selection_margin(params: PumpParams, basis: PumpBasis) -> Float[Array, ""]:
    """E'_m - E'_n ≥ 0 between the runner-up m and the selected state n (E' = E + ω⟨S_z⟩, Eq. 11),
    differentiable in the parameters (one point; the same number as ``solve(...).E_prime_margin``):
    ``observables(params, basis, method="full").E_prime_margin``. The pair (n, m) is a discrete choice
    held fixed; both must be non-degenerate for the derivative to be unique."""
    return observables(params, basis, method="full").E_prime_margin


class GapDesign(eqx.Module):
    """Outcome of :func:`optimize_gap` (energies in the units of J, ħ = 1).

    Attributes:
        omega: the fixed Larmor frequency ω.
        eta, Delta: the optimum (Δ in the units of the fixed J; Δ/J lies in ``delta_bounds``).
        ph_gap_min: the minimum particle-hole gap there (Eq. 34).
        delta_n: the charge per period there, from the ED of :func:`~jaxmotor.pump.solve` (|Δn - 1| < tol).
        iterations: optimizer steps taken (one gradient through the ED each).
        evaluations: ED evaluations the optimizer used: each gradient (one point through
            :func:`~jaxmotor.pump.observables`, ``method="full"``)
            counts one, each feasibility check (the ED of :func:`~jaxmotor.pump.solve`) one (the start, and
            every proposed or halved step).
        rejected: proposals (halvings included) that left the quantized plateau; > 0 when the
            constraint was active.
        history: dict of (iterations + 1,) arrays, one per iterate from the start to the optimum:
            ``objective`` (the barrier objective), ``ph_gap_min``, ``eta``, ``Delta``, ``delta_n`` and
            ``grad_norm`` (norm of the objective's gradient with respect to the unconstrained u).
    """

    omega: float
    eta: float
    Delta: float
    ph_gap_min: float
    delta_n: float
    iterations: int
    evaluations: int
    rejected: int
    history: dict


def optimize_gap(
    params: PumpParams,
    basis: PumpBasis,
    *,
    omega: float | None = None,
    steps: int = 100,
    learning_rate: float = 0.1,
    eta_bounds: tuple[float, float] = (0.05, 0.99),
    delta_bounds: tuple[float, float] = (0.05, 3.0),
    quantization_tol: float = 0.03,
    barrier: float = 3e-3,
    backtracking: int = 6,
    method: str = "auto",
    progress: bool = False,
) -> GapDesign:
    """Maximize the minimum particle-hole gap over (η, Δ/J) at fixed ω, keeping |Δn - 1| < tol.

    Args:
        params: the starting point (one parameter point): its ``eta`` and ``Delta`` start the
            search; ``J``, ``flux`` and ``disorder`` stay fixed. It must be quantized, and on the
            branch of the pumping state to be improved (the barrier keeps that branch selected).
        basis: from :func:`jaxmotor.pump.make_basis` (small sizes: every step diagonalizes H).
        omega: the fixed Larmor frequency ω > 0 (default ``params.omega``).
        steps: optimizer steps (Adam in the box transform's variables u).
        learning_rate: Adam's initial step in u (cosine-decayed to 0 over ``steps``); a step du
            moves η by du·s(1 - s)·(hi - lo), s = sigmoid(u).
        eta_bounds: (lo, hi) for η, inside (0, 1) (the paper's range of η).
        delta_bounds: (lo, hi) for Δ/J, lo > 0.
        quantization_tol: the plateau is |Δn - 1| < quantization_tol, in (0, 0.5).
        barrier: weight μ of the log barrier μ·ln(E'-margin) (units of J), > 0.
        backtracking: how many times a step that leaves the plateau is halved before it is dropped.
        method: ED of the feasibility check, as in :func:`~jaxmotor.pump.solve` (``"auto"``: the
            symmetry sectors on a clean ring).
        progress: tqdm progress bar.
    """
    if params.batch_shape:
        fail("params", params.batch_shape, "the design starts from one parameter point (scalar fields)")
    omega = float(params.omega if omega is None else omega)
    check_range("omega", omega, low=0.0, low_inclusive=False)
    steps = check_int("steps", steps, low=1, high=10**5)
    backtracking = check_int("backtracking", backtracking, low=0, high=50)
    check_range("learning_rate", learning_rate, low=0.0, low_inclusive=False)
    check_range("barrier", barrier, low=0.0, low_inclusive=False)
    check_range("quantization_tol", quantization_tol, low=0.0, high=0.5, low_inclusive=False, high_inclusive=False)
    check_range("eta_bounds", eta_bounds, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    check_range("delta_bounds", delta_bounds, low=0.0, low_inclusive=False)
    for name, (lo, hi) in (("eta_bounds", eta_bounds), ("delta_bounds", delta_bounds)):
        if not lo < hi:
            fail(name, (lo, hi), "expected (lo, hi) with lo < hi")
    J = float(params.J)
    check_range("J", J, low=0.0, low_inclusive=False)
    start = (float(params.eta), float(params.Delta) / J)
    for label, value, (lo, hi) in (("params.eta", start[0], eta_bounds), ("params.Delta/J", start[1], delta_bounds)):
        check_range(label, value, low=lo, high=hi, low_inclusive=False, high_inclusive=False)
    boxes = {"eta": Box(*eta_bounds), "ratio": Box(*delta_bounds)}

    def point(design) -> PumpParams:
        return PumpParams(omega=omega, eta=design["eta"], J=params.J, Delta=J * design["ratio"], flux=params.flux,
                          disorder=params.disorder)

    def objective(design, key):
        obs = observables(point(design), basis, method="full")
        return obs.ph_gap_min + barrier * jnp.log(obs.E_prime_margin), {
            "ph_gap_min": obs.ph_gap_min, "delta_n": obs.delta_n, "Delta": J * design["ratio"]}

    # As the motor's design: clip first, so that the barrier's spike near the edge (|∇| ~ μ/margin)
    # neither throws the iterate back nor inflates Adam's moments for many steps.
    import optax  # here, not at import: a command that does not optimize never loads it

    optimizer = optax.chain(optax.clip_by_global_norm(1.0),
                            optax.adam(optax.cosine_decay_schedule(learning_rate, steps), b1=0.5, b2=0.9))
    method = choose_method(params, method)

    @jax.jit
    def delta_n(eta, ratio):
        # the independent check: the ED of solve() (sectors on a clean ring), jitted for one point
        return observables(point({"eta": eta, "ratio": ratio}), basis, method=method).delta_n

    checks = {"evaluations": 0, "rejected": 0}
    seen: dict[tuple[float, float], float] = {}

    def quantized(design) -> bool:
        where = (design["eta"], design["ratio"])
        if where not in seen:
            seen[where] = float(delta_n(*where))
            checks["evaluations"] += 1
        ok = abs(seen[where] - 1.0) < quantization_tol
        checks["rejected"] += not ok
        return ok

    dn = float(delta_n(*start))
    seen[start] = dn
    checks["evaluations"] += 1
    if not abs(dn - 1.0) < quantization_tol:
        fail("params", start, f"the start (eta, Delta/J) must be quantized, |Δn - 1| < {quantization_tol:g}; "
             f"it has Δn = {dn:.4g}")
    result = optimize(objective, {"eta": start[0], "ratio": start[1]}, maximize=True, constraints=boxes,
                      optimizer=optimizer, steps=steps + 1, feasible=quantized, backtracking=backtracking,
                      has_aux=True, progress=progress)
    aux = result.history["aux"]
    history = {"objective": result.history["objective"], "ph_gap_min": aux["ph_gap_min"],
               "eta": result.history["params"]["eta"], "Delta": aux["Delta"], "delta_n": aux["delta_n"],
               "grad_norm": result.history["grad_norm"]}
    final = (float(history["eta"][-1]), float(result.history["params"]["ratio"][-1]))
    return GapDesign(omega=omega, eta=final[0], Delta=float(history["Delta"][-1]),
                     ph_gap_min=float(history["ph_gap_min"][-1]), delta_n=seen.get(final, float(delta_n(*final))),
                     iterations=result.iterations - 1, evaluations=checks["evaluations"] + result.iterations,
                     rejected=checks["rejected"], history=history)
