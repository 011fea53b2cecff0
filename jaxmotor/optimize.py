"""Gradient-based design: maximize or minimize an objective over chosen parameters with optax.

    result = optimize(objective, {"F_load": 0.01}, maximize=True,
                      constraints={"F_load": Positive()}, steps=200, key=jax.random.key(0))

``objective(params, key) -> scalar`` receives a dict of the parameters being optimized (and a PRNG
key for stochastic objectives). Constraints are handled by smooth transforms of unconstrained
variables — ``Positive()``: x = softplus(u); ``Box(lo, hi)``: x = lo + (hi - lo)·sigmoid(u) — so
the optimizer never leaves the allowed region. With ``common_random_numbers=True`` every step uses
the same key (the objective is then a deterministic function and its gradient is exact for it);
otherwise each step gets ``fold_in(key, step)`` (fresh noise: stochastic gradient descent).

The gradient is always ``jax.value_and_grad`` of the objective: no finite differences, no grid
search. The history records objective, parameters and gradient norm (with respect to the
unconstrained variables) of every step; ``jaxmotor.plots.optimize.history`` draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import optax

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._validate import check_finite, check_int, fail


class Positive(eqx.Module):
    """x > 0 through x = softplus(u)."""

    def forward(self, u):
        return jax.nn.softplus(u)

    def inverse(self, x):
        if not x > 0:
            fail("initial value", x, "a Positive() parameter must start > 0")
        return x + math.log(-math.expm1(-x))  # softplus⁻¹


class Box(eqx.Module):
    """lo < x < hi through x = lo + (hi - lo)·sigmoid(u)."""

    lo: float
    hi: float

    def __check_init__(self):
        check_finite("Box.lo", self.lo)
        check_finite("Box.hi", self.hi)
        if not self.hi > self.lo:
            fail("Box.hi", self.hi, f"must exceed Box.lo={self.lo}")

    def forward(self, u):
        return self.lo + (self.hi - self.lo) * jax.nn.sigmoid(u)

    def inverse(self, x):
        if not self.lo < x < self.hi:
            fail("initial value", x, f"a Box({self.lo}, {self.hi}) parameter must start strictly inside")
        s = (x - self.lo) / (self.hi - self.lo)
        return math.log(s / (1 - s))


class Unconstrained(eqx.Module):
    def forward(self, u):
        return u

    def inverse(self, x):
        return float(x)


class OptimizeResult(eqx.Module):
    """Outcome of :func:`optimize`.

    Attributes:
        params: the parameters of the last step (dict name -> float).
        objective: the objective there.
        iterations: number of optimizer steps taken.
        history: dict with ``objective`` (steps,), ``grad_norm`` (steps,), ``params``
            (dict name -> (steps,)) and ``aux`` (dict name -> (steps,), with ``has_aux``), each entry
            evaluated before the step's update.
        converged: True if the gradient norm fell below ``gtol`` before ``steps`` ran out.
    """

    params: dict
    objective: float
    iterations: int
    history: dict
    converged: bool


def optimize(
    objective: Callable[[dict, jax.Array], jax.Array],
    init: dict[str, float],
    *,
    maximize: bool = False,
    constraints: dict | None = None,
    optimizer: optax.GradientTransformation | None = None,
    steps: int = 200,
    key: jax.Array | None = None,
    common_random_numbers: bool = True,
    gtol: float = 0.0,
    feasible: Callable[[dict], bool] | None = None,
    backtracking: int | None = None,
    has_aux: bool = False,
    progress: bool = False,
) -> OptimizeResult:
    """Optimize ``objective`` over the parameters in ``init`` by gradient (optax).

    Args:
        objective: ``objective(params: dict, key) -> scalar``, differentiable in ``params``.
        init: starting values of the parameters to optimize.
        maximize: maximize instead of minimize.
        constraints: per parameter ``Positive()``, ``Box(lo, hi)`` (default unconstrained).
        optimizer: an optax transformation (default ``optax.adam(0.05)``), acting on the
            unconstrained variables.
        steps: maximum number of steps.
        key: PRNG key passed to the objective (default ``jax.random.key(0)``).
        common_random_numbers: same key every step (True) or ``fold_in(key, step)`` (False).
        gtol: stop when the gradient norm falls below this.
        feasible: optional host-side check ``feasible(params) -> bool`` of a constraint that has no
            useful gradient (e.g. "Δn stays quantized"); the start must be feasible. What happens to
            a step that lands outside depends on ``backtracking``.
        backtracking: None: an infeasible step is rejected and every later step is halved (the step
            length shrinks for good at the boundary). An integer b ≥ 0: an infeasible step is halved
            and checked again, up to b times, then dropped (the next step starts from the same point
            and optimizer state); the step length is not reduced for later steps.
        has_aux: the objective returns ``(value, aux)`` with ``aux`` a dict of scalars, recorded per
            step in ``history["aux"]``.
        progress: show a tqdm progress bar with the current objective.

    The last step's update is not taken: the result is the last point where the objective was
    evaluated (``history`` holds ``iterations`` evaluations).
    """
    if backtracking is not None:
        backtracking = check_int("backtracking", backtracking, low=0, high=60)
    if not init:
        fail("init", init, "give at least one parameter to optimize")
    steps = check_int("steps", steps, low=1, high=10**7)
    constraints = dict(constraints or {})
    unknown = set(constraints) - set(init)
    if unknown:
        fail("constraints", sorted(unknown), f"not among the optimized parameters {sorted(init)}")
    transforms = {k: constraints.get(k, Unconstrained()) for k in init}
    for name, value in init.items():
        check_finite(name, value)
    u0 = {k: jnp.asarray(transforms[k].inverse(float(v)), dtype=float) for k, v in init.items()}
    import optax  # here, not at import: a command that does not optimize never loads it

    optimizer = optimizer or optax.adam(0.05)
    key = jax.random.key(0) if key is None else key
    sign = -1.0 if maximize else 1.0

    def to_params(u):
        return {k: transforms[k].forward(v) for k, v in u.items()}

    def loss(u, step_key):
        out = objective(to_params(u), step_key)
        value, aux = out if has_aux else (out, {})
        return sign * value, aux

    @jax.jit
    def step(u, state, step_key):
        (value, aux), grads = jax.value_and_grad(loss, has_aux=True)(u, step_key)
        updates, new_state = optimizer.update(grads, state, u)
        return updates, new_state, sign * value, optax.tree.norm(grads), to_params(u), aux

    def scaled(u, updates, factor):
        return optax.apply_updates(u, jax.tree.map(lambda x: factor * x, updates))

    def as_floats(params):
        return {k: float(v) for k, v in params.items()}

    if feasible is not None and not feasible(as_floats(to_params(u0))):
        fail("init", init, "the starting point does not satisfy the feasibility check")

    u, state = u0, optimizer.init(u0)
    history = {"objective": [], "grad_norm": [], "params": {k: [] for k in init}, "aux": {}}
    iterator = range(steps)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        iterator = bar = tqdm(iterator, desc="optimize", unit="step")
    converged = False
    scale = 1.0
    for i in iterator:
        step_key = key if common_random_numbers else jax.random.fold_in(key, i)
        updates, new_state, value, norm, params, aux = step(u, state, step_key)
        value, norm = float(value), float(norm)
        if not (math.isfinite(value) and math.isfinite(norm)):
            raise FloatingPointError(f"objective or gradient not finite at step {i}: {value}, {norm}")
        history["objective"].append(value)
        history["grad_norm"].append(norm)
        for k, v in params.items():
            history["params"][k].append(float(v))
        for k, v in aux.items():
            history["aux"].setdefault(k, []).append(float(v))
        if bar is not None:
            bar.set_postfix(objective=f"{value:.5g}", grad=f"{norm:.2g}")
        if norm < gtol:
            converged = True
            break
        if i == steps - 1:  # the result is this evaluated point: no proposal to check
            break
        if feasible is None:
            u, state = scaled(u, updates, scale), new_state
        elif backtracking is None:
            proposal = scaled(u, updates, scale)
            if feasible(as_floats(to_params(proposal))):
                u, state = proposal, new_state
            else:
                scale *= 0.5
        else:
            for halving in range(backtracking + 1):
                proposal = scaled(u, updates, 0.5**halving)
                if feasible(as_floats(to_params(proposal))):
                    u, state = proposal, new_state
                    break
    final = {k: v[-1] for k, v in history["params"].items()}  # where the last objective was evaluated
    history = {"objective": np.array(history["objective"]), "grad_norm": np.array(history["grad_norm"]),
               "params": {k: np.array(v) for k, v in history["params"].items()},
               "aux": {k: np.array(v) for k, v in history["aux"].items()}}
    return OptimizeResult(params=final, objective=float(history["objective"][-1]), iterations=len(history["objective"]),
                          history=history, converged=converged)
