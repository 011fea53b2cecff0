"""The autonomous topological pump: spin-Rice-Mele ring solved by batched exact diagonalization.

Pump paper (Bohm, Anglin, Fleischhauer); conventions and corrections in docs/physics.md §1.

The pure one-point functions (:func:`observables`, :func:`eigenvalues`, :func:`spin_correlation`,
:func:`meanfield_run`, :func:`evolve`, :func:`pumped_charge`) compose with ``jax.jit``, ``jax.vmap``
and ``jax.grad``; the drivers (:func:`solve`, :func:`spectrum`, :func:`spin_correlations`,
:func:`meanfield`, :func:`disorder_average`, :func:`phase_diagram`, :func:`dynamics`) run them over
parameter batches through :mod:`jaxmotor.batching`. The implementation modules are private.
"""

from ._basis import PumpBasis as PumpBasis, make_basis as make_basis, spin_matrices as spin_matrices
from ._correlations import (
    SpinCorrelations as SpinCorrelations,
    dominant_frequency as dominant_frequency,
    spin_correlation as spin_correlation,
    spin_correlations as spin_correlations,
)
from ._design import GapDesign as GapDesign, optimize_gap as optimize_gap
from ._disorder import (
    DisorderResult as DisorderResult,
    disorder_average as disorder_average,
    disorder_realizations as disorder_realizations,
)
from ._dynamics import (
    DynamicsConfig as DynamicsConfig,
    DynamicsPlan as DynamicsPlan,
    DynamicsResult as DynamicsResult,
    HopTables as HopTables,
    classical_spin as classical_spin,
    coherent_initial_state as coherent_initial_state,
    coherent_spin_state as coherent_spin_state,
    dynamics as dynamics,
    eigenstate as eigenstate,
    entanglement_entropy as entanglement_entropy,
    evolve as evolve,
    fixed_precession_charge as fixed_precession_charge,
    make_hop_tables as make_hop_tables,
    make_plan as make_plan,
    pumped_charge as pumped_charge,
    slater_state as slater_state,
    spectral_width_estimate as spectral_width_estimate,
    state_observables as state_observables,
)
from ._dynamics_eigenstates import (
    EigenstateTransport as EigenstateTransport,
    eigenstate_transport as eigenstate_transport,
    pumping_fraction as pumping_fraction,
)
from ._hamiltonian import (
    PumpParams as PumpParams,
    apply_hamiltonian as apply_hamiltonian,
    hamiltonian as hamiltonian,
)
from ._linalg import EighSolver as EighSolver, safe_eigh as safe_eigh
from ._meanfield import (
    MeanFieldConfig as MeanFieldConfig,
    MeanFieldResult as MeanFieldResult,
    MeanFieldSolver as MeanFieldSolver,
    lower_transition as lower_transition,
    meanfield as meanfield,
    meanfield_run as meanfield_run,
)
from ._observables import PumpObservables as PumpObservables
from ._phase import (  # noqa: F401  (analyze, transitions re-exported under clearer names)
    PhaseDiagram as PhaseDiagram,
    analyze as analyze_phase,  # noqa: F401  (a clearer public name)
    fit_inverse_spin as fit_inverse_spin,
    phase_diagram as phase_diagram,
    transitions as phase_transitions,  # noqa: F401  (a clearer public name)
)
from ._point import eigenvalues as eigenvalues, observables as observables
from ._solve import solve as solve, spectrum as spectrum
from ._topology import (
    ChernResult as ChernResult,
    band_energy as band_energy,
    bloch_hamiltonian as bloch_hamiltonian,
    chern_number as chern_number,
    pumped_charge_adiabatic as pumped_charge_adiabatic,
)
