"""Gradient design of the pump: maximize the minimum particle-hole gap over (η, Δ/J) at fixed ω
while the pumped charge stays quantized (issue 6 part 5; pump paper Eq. 7, 11, 34; SPEC §1).

    design = optimize_gap(PumpParams(omega=0.5, eta=0.95, Delta=1.0), make_basis(6, 3, 5))
    design.eta, design.Delta, design.ph_gap_min, design.delta_n

The objective is the minimum over site pairs of the normalized particle-hole gap
ΔE_{l,m} = ⟨φ|H|φ⟩/⟨φ|φ⟩ - E_n, φ = c†_m c_l ψ (Eq. 34, SPEC §1), of the selected state ψ (minimal
E' = E + ω⟨S_z⟩, Eq. 11): the smallest fermion excitation above the pumping state, units of J.
It is differentiated by ``jax.grad`` through the ED
(:func:`jaxmotor.pump.gradients.differentiable_observables`: perturbation theory of the selected
eigenpair only, no NaN from degeneracies elsewhere) and maximized by Adam (optax). No finite
differences, no grid search.

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

  1. a log barrier μ·ln(E'_runner-up - E'_selected) (:func:`selection_margin`, differentiable
     through the same perturbation theory) added to the gap: an interior-point method that keeps the
     selected state from being overtaken and, near the edge, supplies the edge's normal, so the
     iterate can slide along the edge (the optimum is where ∇gap = -μ∇margin/margin). It settles
     at a margin of order μ·|∂margin|/|∂gap| (≈ 3μ here).
  2. every proposed step is checked by an independent ED: Δn from the pipeline of
     :func:`jaxmotor.pump.solve` (symmetry sectors on a clean ring; no derivatives involved). A
     step that leaves the plateau is halved up to ``backtracking`` times, then dropped. This
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
import numpy as np
import optax
from jaxtyping import Array, Float

from .._validate import check_int, check_range, fail
from ..optimize import Box
from .basis import PumpBasis
from .gradients import differentiable_observables, selected_eigenpair
from .hamiltonian import PumpParams, hamiltonian
from .observables import as_matrix, observables_from_eigh, sz_expectations
from .sectors import make_sectors, observables_from_sectors, sector_spectrum
from .spectrum import choose_method, eigh


def selection_margin(params: PumpParams, basis: PumpBasis) -> Float[Array, ""]:
    """E'_m - E'_n ≥ 0 between the runner-up m and the selected state n (E' = E + ω⟨S_z⟩, Eq. 11),
    differentiable in the parameters (one point; the same number as ``solve(...).E_prime_margin``).

    The pair (n, m) is a discrete choice held fixed (``stop_gradient``); both E' are differentiated
    through :func:`~jaxmotor.pump.gradients.selected_eigenpair`, so they must be non-degenerate.
    """
    matrix = hamiltonian(params, basis)
    evals, evecs = jax.lax.stop_gradient(eigh(matrix))
    order = jnp.argsort(evals + params.omega * sz_expectations(evecs, basis))

    def e_prime(k):
        energy, vec, _, _ = selected_eigenpair(matrix, k)
        psi = as_matrix(vec, basis)
        return energy + params.omega * jnp.real(jnp.vdot(psi, psi @ basis.sz.T))

    return e_prime(order[1]) - e_prime(order[0])


class GapDesign(eqx.Module):
    """Outcome of :func:`optimize_gap` (energies in the units of J, ħ = 1).

    Attributes:
        omega: the fixed Larmor frequency ω.
        eta, Delta: the optimum (Δ in the units of the fixed J; Δ/J lies in ``delta_bounds``).
        ph_gap_min: the minimum particle-hole gap there (Eq. 34).
        delta_n: the charge per period there, from the ED of :func:`~jaxmotor.pump.solve` (|Δn - 1| < tol).
        iterations: optimizer steps taken (one gradient through the ED each).
        evaluations: ED evaluations the optimizer used: each gradient (one point through
            :func:`~jaxmotor.pump.gradients.differentiable_observables` and :func:`selection_margin`)
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
    boxes = (Box(*eta_bounds), Box(*delta_bounds))

    def point(u) -> PumpParams:
        eta, ratio = (box.forward(x) for box, x in zip(boxes, u))
        return PumpParams(omega=omega, eta=eta, J=params.J, Delta=J * ratio, flux=params.flux,
                          disorder=params.disorder)

    def objective(u):
        p = point(u)
        gap = differentiable_observables(p, basis)["ph_gap_min"]
        return gap + barrier * jnp.log(selection_margin(p, basis)), gap

    # As the motor's design_optimizer: clip first, so that the barrier's spike near the edge
    # (|∇| ~ μ/margin) neither throws the iterate back nor inflates Adam's moments for many steps.
    optimizer = optax.chain(optax.clip_by_global_norm(1.0),
                            optax.adam(optax.cosine_decay_schedule(learning_rate, steps), b1=0.5, b2=0.9))

    @jax.jit
    def ascent(u, state):
        (value, gap), grad = jax.value_and_grad(objective, has_aux=True)(u)
        updates, state = optimizer.update(-grad, state, u)
        p = point(u)
        return updates, state, jnp.stack([value, gap, p.eta, p.Delta, jnp.linalg.norm(grad)])

    sectors = make_sectors(basis) if choose_method(params, method) == "sectors" else None

    @jax.jit
    def delta_n(u):
        # The per-point kernel of solve(), jitted for one point: one dispatch per check, where solve's
        # chunking and sharding machinery costs dozens (it dominates a run under CPU contention).
        p = point(u)
        if sectors is None:
            return observables_from_eigh(p, basis, *eigh(hamiltonian(p, basis))).delta_n
        return observables_from_sectors(p, basis, sectors, *sector_spectrum(p, basis, sectors, eigh)).delta_n

    u = np.array([box.inverse(x) for box, x in zip(boxes, start)])
    dn, evaluations, rejected = float(delta_n(u)), 1, 0
    if not abs(dn - 1.0) < quantization_tol:
        fail("params", start, f"the start (eta, Delta/J) must be quantized, |Δn - 1| < {quantization_tol:g}; "
             f"it has Δn = {dn:.4g}")
    state = optimizer.init(jnp.asarray(u))
    rows = []
    iterator = range(steps + 1)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="optimize gap", unit="step")
    for i in iterator:
        updates, new_state, record = ascent(u, state)
        updates, record = np.asarray(updates), np.asarray(record)
        evaluations += 1
        rows.append((*record[:4], dn, record[4]))
        if not np.all(np.isfinite(record)):
            raise FloatingPointError(f"objective or gradient not finite at step {i}: {rows[-1]}")
        if i == steps:
            break
        for halving in range(backtracking + 1):
            proposal = u + updates * 0.5**halving
            dn_new = float(delta_n(proposal))
            evaluations += 1
            if abs(dn_new - 1.0) < quantization_tol:
                u, state, dn = proposal, new_state, dn_new
                break
            rejected += 1
    columns = np.array(rows).T
    history = dict(zip(("objective", "ph_gap_min", "eta", "Delta", "delta_n", "grad_norm"), columns))
    return GapDesign(omega=omega, eta=rows[-1][2], Delta=rows[-1][3], ph_gap_min=rows[-1][1], delta_n=dn,
                     iterations=steps, evaluations=evaluations, rejected=rejected, history=history)
