"""jaxmotor: adiabatic quantum motors and pumps in JAX.

Two models:

* :mod:`jaxmotor.pump` — the autonomous topological pump (spin-Rice-Mele ring), solved by batched
  exact diagonalization.
* :mod:`jaxmotor.motor` — the Thouless motor (Langevin dynamics with memory friction and colored
  quantum noise).

Importing jaxmotor switches JAX to float64 (``jax_enable_x64``): the physics of both models needs
it (near-degenerate selection energies, energy-balance residuals at round-off).
"""

import jax

jax.config.update("jax_enable_x64", True)

from ._version import __version__ as __version__  # noqa: E402
