"""The autonomous topological pump: spin-Rice-Mele ring solved by batched exact diagonalization.

Pump paper (Bohm, Anglin, Fleischhauer), Sec. II-III; conventions of SPEC §1.
"""

from .basis import PumpBasis as PumpBasis, make_basis as make_basis, spin_matrices as spin_matrices
from .hamiltonian import (
    PumpParams as PumpParams,
    apply_hamiltonian as apply_hamiltonian,
    hamiltonian as hamiltonian,
)
from .linalg import EighSolver as EighSolver
from .observables import PumpObservables as PumpObservables
from ._point import eigenvalues as eigenvalues, observables as observables
from .spectrum import solve as solve, spectrum as spectrum
from .design import GapDesign as GapDesign, optimize_gap as optimize_gap
from .meanfield import (
    MeanFieldConfig as MeanFieldConfig,
    MeanFieldResult as MeanFieldResult,
    MeanFieldSolver as MeanFieldSolver,
    meanfield_run as meanfield_run,
    lower_transition as lower_transition,
    meanfield as meanfield,
)
from .topology import (
    ChernResult as ChernResult,
    band_energy as band_energy,
    bloch_hamiltonian as bloch_hamiltonian,
    chern_number as chern_number,
    pumped_charge_adiabatic as pumped_charge_adiabatic,
)
from .phase import (
    PhaseDiagram as PhaseDiagram,
    analyze as analyze_phase,
    fit_inverse_spin as fit_inverse_spin,
    phase_diagram as phase_diagram,
    transitions as phase_transitions,
)
from .correlations import (
    SpinCorrelations as SpinCorrelations,
    dominant_frequency as dominant_frequency,
    spin_correlations as spin_correlations,
)
from .disorder import (
    DisorderResult as DisorderResult,
    disorder_average as disorder_average,
    disorder_realizations as disorder_realizations,
)
