"""The Thouless motor: Langevin dynamics of the motor angle with memory friction and colored noise.

Motor paper (Luttinger-liquid Thouless motor), Secs. III-V; conventions and corrections in
docs/physics.md §2 and docs/motor_field.md. :func:`ensemble` is the pure one-point function (jit,
vmap, grad); :func:`simulate` runs it over parameter batches through :mod:`jaxmotor.batching`.
:mod:`jaxmotor.motor.closed_forms` is a public namespace of the paper's closed forms. The
implementation modules are private.
"""

from . import closed_forms as closed_forms
from ._design import (
    default_constraints as default_constraints,
    design_optimizer as design_optimizer,
    efficiency_at_min_power_objective as efficiency_at_min_power_objective,
    efficiency_objective as efficiency_objective,
    power_constraint as power_constraint,
    power_objective as power_objective,
    random_search as random_search,
)
from ._field import (
    FieldResults as FieldResults,
    FieldSolver as FieldSolver,
    langevin_friction as langevin_friction,
    prescribed_motion as prescribed_motion,
    solve_field as solve_field,
)
from ._langevin import (
    LangevinSolver as LangevinSolver,
    MotorResults as MotorResults,
    adiabaticity as adiabaticity,
    default_burn_in as default_burn_in,
    ensemble as ensemble,
    simulate as simulate,
)
from ._noise import NoisePlan as NoisePlan, noise_plan as noise_plan, sample_noise as sample_noise
from ._params import MotorParams as MotorParams
from ._statics import (
    StaticsResults as StaticsResults,
    rg_flow as rg_flow,
    rg_gap as rg_gap,
    shell_exponent as shell_exponent,
    statics as statics,
)
from ._transient import noise_free_transient as noise_free_transient, transient_statistics as transient_statistics
