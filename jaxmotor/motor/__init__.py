"""The Thouless motor: Langevin dynamics of the motor angle with memory friction and colored noise.

Motor paper (Luttinger-liquid Thouless motor), Sec. III-V; conventions and corrections of SPEC §2.
"""

from .langevin import LangevinSolver as LangevinSolver
from .langevin import MotorResults as MotorResults
from .langevin import default_burn_in as default_burn_in
from .langevin import ensemble as ensemble
from .langevin import simulate as simulate
from .noise import NoisePlan as NoisePlan
from .noise import noise_plan as noise_plan
from .params import MotorParams as MotorParams
