"""Design objectives of the Thouless motor: ensemble-mean output power and efficiency as
differentiable functions of the design parameters (motor paper Eqs. 39-41; docs/physics.md §2).

    objective = power_objective(MotorParams(K=0.5, V=1.0, temperature=0.02), dt=0.05, time=200.0,
                                trajectories=128)
    result = optimize(objective, {"F_load": 0.05}, maximize=True,
                      constraints=default_constraints(["F_load"]), key=jax.random.key(0))

A *design* is a dict of scalars over any of ``F_load``, ``V``, ``K``, ``inertia``, ``temperature``
and the Fourier coefficients ``a1, b1, a2, b2, ...`` of the θ-periodic load

    F(θ) = F_load + Σ_{n≥1} (a_n cos nθ + b_n sin nθ);

every other field comes from a base :class:`~jaxmotor.motor._params.MotorParams`. The objectives are
pathwise: the noise is drawn from the key, independently of the parameters, so with a fixed key
(common random numbers) an objective is a deterministic function of the design and ``jax.grad`` is
its exact derivative (checked against finite differences in ``tests/motor/test_gradients.py``).

What is held fixed (host side, at the base parameters): the noise generator's sizes
(:func:`~jaxmotor.motor._noise.noise_plan`: the filter spans the correlation time 1/(2πT) and the
round trips to the leads of the base) and the default burn-in (16 relaxation times of the base).
When a design lowers the temperature or raises K·I far below/above the base, build the objective
from a base at the extreme values (or pass ``plan`` / ``burn_in``).

Output power of a θ-periodic load. The harmonics derive from the potential
U(θ) = Σ_n (a_n sin nθ - b_n cos nθ)/n and do no net work per turn: in the steady state
⟨F(θ)θ̇⟩ = F_load⟨θ̇⟩ + d⟨U⟩/dt = F_load⟨θ̇⟩. The ensemble's ``power_out`` = ∫F(θ)dθ/time carries the
boundary term [U(θ_end) - U(θ_start)]/time, whose pathwise derivative in a_n, b_n is O(1/(time·P))
and has nothing to do with the steady state; the objectives therefore use the stationary estimator
P_out = F_load⟨θ̇⟩ (identical to ``power_out`` for a constant load). Consequently the efficiency
P_out/P_in = 2πF_load/V for every periodic load: harmonics change the efficiency *at a given output
power* only through the velocity ⟨θ̇⟩ they cost (or, with noise out of equilibrium, might gain).
That is the design problem of :func:`efficiency_at_min_power_objective`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import optax

import re
from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._validate import check_int, check_range, fail
from ..optimize import Positive
from ._langevin import LangevinSolver, MotorResults, default_burn_in, simulate
from ._noise import NoisePlan, noise_plan
from ._params import MotorParams

SCALAR_FIELDS = ("F_load", "V", "K", "inertia", "temperature")
_HARMONIC = re.compile(r"^([ab])([1-9][0-9]*)$")

Objective = Callable[[dict, PRNGKeyArray], Float[Array, ""]]


def harmonic_names(harmonics: int) -> list[str]:
    """``["a1", "b1", ..., "aN", "bN"]``: the Fourier coefficients of an N-harmonic load."""
    harmonics = check_int("harmonics", harmonics, low=1, high=64)
    return [f"{c}{n}" for n in range(1, harmonics + 1) for c in "ab"]


def check_design_names(names: Sequence[str]) -> None:
    """ValueError unless every name is a scalar field of :data:`SCALAR_FIELDS` or a harmonic a_n/b_n."""
    for name in names:
        if name not in SCALAR_FIELDS and not _HARMONIC.match(name):
            fail("design parameter", name, f"expected one of {', '.join(SCALAR_FIELDS)} or a harmonic a1, b1, a2, ...")


def with_design(base: MotorParams, design: dict) -> MotorParams:
    """``base`` with the design's fields replaced; a_n, b_n set the load harmonics (the others are
    kept from ``base`` or zero; the number of harmonics is the largest n in either)."""
    check_design_names(list(design))
    fields = {k: design[k] for k in SCALAR_FIELDS if k in design}
    harmonics = {(m.group(1), int(m.group(2))): v for k, v in design.items() if (m := _HARMONIC.match(k))}
    if harmonics:
        present = [jnp.shape(getattr(base, f))[-1] for f in ("load_cos", "load_sin") if getattr(base, f) is not None]
        count = max([n for _, n in harmonics] + present)
        for field, letter in (("load_cos", "a"), ("load_sin", "b")):
            old = getattr(base, field)
            coefficients = [harmonics.get((letter, n), old[n - 1] if old is not None and n <= old.shape[-1] else 0.0)
                            for n in range(1, count + 1)]
            fields[field] = jnp.stack(jnp.broadcast_arrays(*coefficients), axis=-1).astype(float)
    return eqx.tree_at(lambda p: [getattr(p, k) for k in fields], base, list(fields.values()),
                       is_leaf=lambda x: x is None)


class Ensemble(eqx.Module):
    """How one objective evaluation simulates (arguments of :func:`~jaxmotor.motor.simulate`).

    Attributes:
        dt: time step; the base's τ must be a multiple of it.
        time: simulated time per evaluation, burn-in included.
        trajectories: independent trajectories (the objective is their ensemble mean).
        burn_in: start-up time excluded from the averages (default: 16 relaxation times of the base).
        plan: the noise generator's sizes (default: :func:`~jaxmotor.motor._noise.noise_plan` of the base).
        solver: loop layout, checkpoints and dtype (default :meth:`LangevinSolver.default`).
    """

    dt: float = eqx.field(static=True)
    time: float = eqx.field(static=True)
    trajectories: int = eqx.field(static=True)
    burn_in: float = eqx.field(static=True)
    plan: NoisePlan = eqx.field(static=True)
    solver: LangevinSolver | None = eqx.field(default=None, static=True)


def ensemble(base: MotorParams, *, dt: float, time: float, trajectories: int, burn_in: float | None = None,
             plan: NoisePlan | None = None, solver: LangevinSolver | None = None) -> Ensemble:
    """Fix the simulation settings (host side) from the concrete ``base`` parameters."""
    check_range("dt", dt, low=0.0, low_inclusive=False)
    check_range("time", time, low=0.0, low_inclusive=False)
    trajectories = check_int("trajectories", trajectories, low=1)
    if base.batch_shape:
        fail("base", base.batch_shape, "a design starts from one parameter point (scalar fields)")
    burn_in = default_burn_in(base) if burn_in is None else burn_in
    check_range("burn_in", burn_in, low=0.0, high=time, high_inclusive=False)
    return Ensemble(float(dt), float(time), trajectories, float(burn_in), plan or noise_plan(base, dt), solver)


def simulate_design(base: MotorParams, design: dict, key: PRNGKeyArray, settings: Ensemble) -> MotorResults:
    """The ensemble at ``with_design(base, design)``; differentiable in the design's values."""
    return simulate(with_design(base, design), key, dt=settings.dt, time=settings.time,
                    trajectories=settings.trajectories, burn_in=settings.burn_in, plan=settings.plan,
                    solver=settings.solver)


def steady_power(base: MotorParams, design: dict, key: PRNGKeyArray, settings: Ensemble) -> dict[str, Array]:
    """Stationary output power F_load⟨θ̇⟩, input power V⟨θ̇⟩/2π and efficiency of a design (see the
    module docstring), with the :class:`~jaxmotor.motor._langevin.MotorResults` they come from."""
    params = with_design(base, design)
    res = simulate_design(base, design, key, settings)
    power_out = params.F_load * res.mean_velocity
    return {"power_out": power_out, "power_in": res.power_in, "efficiency": power_out / res.power_in,
            "results": res}


def power_objective(base: MotorParams, **settings) -> Objective:
    """design, key -> output power F_load⟨θ̇⟩ (Eq. 40; for a constant load maximal, P* = 2πK_eff(V/4π)²,
    at F* = V/4π, Eq. 41). ``settings``: the arguments of :func:`ensemble`."""
    fixed = ensemble(base, **settings)
    return lambda design, key: steady_power(base, design, key, fixed)["power_out"]


def efficiency_objective(base: MotorParams, **settings) -> Objective:
    """design, key -> P_out/P_in = 2πF_load/V (see the module docstring). Alone it is maximized at the
    stall load, where the motor stops: see :func:`efficiency_at_min_power_objective`."""
    fixed = ensemble(base, **settings)
    return lambda design, key: steady_power(base, design, key, fixed)["efficiency"]


def efficiency_at_min_power_objective(base: MotorParams, min_power: float, *, barrier: float = 1e-3,
                                      **settings) -> Objective:
    """design, key -> η + barrier·ln(P_out/P_min - 1): the efficiency at a required output power, an
    interior-point (log-barrier) objective; NaN where P_out ≤ P_min.

    Use it with ``optimize(..., feasible=power_constraint(...))`` and common random numbers, from a
    start with P_out > P_min: infeasible steps are then rejected and every iterate keeps the motor
    running. (A penalty that lets iterates cross the constraint does not work here: near the stall
    load a ripple pins the motor, the pathwise gradient of its thermally activated creep is huge and
    meaningless, and the harmonics feel no gradient at all while the constraint is inactive.) The
    barrier pushes P up everywhere — the harmonics shrink from the start — and leaves the optimum
    inside by P - P_min ≈ barrier·(V/2π)|∂P/∂F| (≈ 1e-4 for the default at V = 1). For a constant
    load the exact optimum is the larger root F of 2πK_eff F(V/2π - F) = P_min, η = 2πF/V.
    """
    check_range("min_power", min_power, low=0.0, low_inclusive=False)
    check_range("barrier", barrier, low=0.0, low_inclusive=False)
    fixed = ensemble(base, **settings)

    def objective(design, key):
        power = steady_power(base, design, key, fixed)
        return power["efficiency"] + barrier * jnp.log(power["power_out"] / min_power - 1.0)

    return objective


def power_constraint(base: MotorParams, min_power: float, key: PRNGKeyArray, **settings) -> Callable[[dict], bool]:
    """Host check ``feasible(design) -> bool``: P_out > P_min for the noise of ``key`` (pass the key the
    optimizer uses, with common random numbers). One forward simulation per call."""
    check_range("min_power", min_power, low=0.0, low_inclusive=False)
    fixed = ensemble(base, **settings)
    power = jax.jit(lambda design: steady_power(base, design, key, fixed)["power_out"])
    return lambda design: bool(power(design) > min_power)


def default_constraints(names: Sequence[str]) -> dict:
    """Positive() for the fields that must stay positive (F_load too: the motor works against the
    load); the harmonics are unconstrained."""
    check_design_names(names)
    return {k: Positive() for k in names if k in SCALAR_FIELDS}


def random_search(objective: Objective, bounds: dict[str, tuple[float, float]], samples: int,
                  key: PRNGKeyArray, *, objective_key: PRNGKeyArray | None = None) -> dict:
    """The baseline the gradient method is compared with: the objective at ``samples`` designs drawn
    uniformly from the box ``bounds`` (one simulation each, the same ``objective_key`` for all,
    as the gradient method's common random numbers).

    Returns:
        dict with ``designs`` (name -> (samples,)), ``objective`` (samples,; NaN where a barrier
        objective is infeasible), and ``best`` (name -> float) the design with the largest objective.
    """
    samples = check_int("samples", samples, low=1)
    check_design_names(list(bounds))
    for name, (lo, hi) in bounds.items():
        check_range(f"{name} upper bound", hi, low=lo, low_inclusive=False)
    objective_key = jax.random.key(0) if objective_key is None else objective_key
    keys = jax.random.split(key, len(bounds))
    designs = {name: jax.random.uniform(k, (samples,), minval=lo, maxval=hi)
               for k, (name, (lo, hi)) in zip(keys, bounds.items())}
    values = jax.lax.map(jax.jit(lambda d: objective(d, objective_key)), designs)
    best = int(jnp.nanargmax(values))
    return {"designs": designs, "objective": values, "best": {k: float(v[best]) for k, v in designs.items()}}


def design_optimizer(names: Sequence[str], steps: int, *, learning_rate: float = 0.02,
                     harmonic_learning_rate: float = 0.003, clip: float = 1.0, b1: float = 0.5,
                     b2: float = 0.9) -> optax.GradientTransformation:
    """Adam with a cosine-decayed step, per group, after clipping the gradient's global norm.

    The fields move in their constraint transform's variable (softplus⁻¹ of a Positive() field:
    relative steps of about ``learning_rate``), the harmonics a_n, b_n in absolute units (about
    ``harmonic_learning_rate`` per step: Adam's step does not scale with the gradient, so one step
    size for both would throw a small load ripple far out). The clip matters near constraints: a
    gradient orders of magnitude larger than the rest, unclipped, would inflate Adam's second moment
    and freeze the next steps; and where a design pins the motor (a ripple comparable to
    V/2π - F_load) the pathwise gradient of the thermally activated creep is huge.
    With :func:`efficiency_at_min_power_objective` the barrier's gradient grows without bound at the
    constraint.
    """
    check_design_names(names)
    steps = check_int("steps", steps, low=1)
    check_range("clip", clip, low=0.0, low_inclusive=False)
    labels = {n: "harmonic" if _HARMONIC.match(n) else "field" for n in names}
    import optax  # here, not at import: a command that does not optimize never loads it

    groups = {group: optax.adam(optax.cosine_decay_schedule(rate, steps), b1=b1, b2=b2)
              for group, rate in (("field", learning_rate), ("harmonic", harmonic_learning_rate))}
    return optax.chain(optax.clip_by_global_norm(clip), optax.multi_transform(groups, labels))
