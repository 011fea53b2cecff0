"""The Thouless motor: Langevin dynamics of the motor angle with memory friction and colored noise.

Motor paper (Luttinger-liquid Thouless motor), Sec. III-V; conventions and corrections of SPEC §2.
"""

from .langevin import MotorResults as MotorResults, default_burn_in as default_burn_in, simulate as simulate
from .noise import NoisePlan as NoisePlan, noise_plan as noise_plan
from .params import MotorParams as MotorParams
