"""Build notebooks/pump_meanfield_topology.ipynb (run: python notebooks/build_pump_meanfield_topology.py).

The notebook reproduces Sec. IV of the pump paper (papers/autonomous-topological-pump.txt): the
mean-field spin-fermion dynamics (Sec. IV A) and the topology of the large-S limit (Sec. IV B), and
says what matches the paper and what docs/physics.md §1 corrects. It reads ``JAXMOTOR_REDUCED`` (set by
tests/test_notebooks.py) to use coarse grids and short runs (well under 60 s on a CPU); without it
it computes the full curves (a few minutes on a CPU).
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell(r"""# The autonomous topological pump: mean-field dynamics and topology (Sec. IV)

Two limits of the spin-Rice-Mele ring (pump paper Eq. 7, docs/physics.md §1; ħ = e = 1, energies in units of $J$):

* **Mean field** (Sec. IV A, Eqs. 15-19): the spin is a classical vector of length $S$, the fermions a Slater
  determinant. They evolve together: $\dot\rho = -i[h(\mathbf S), \rho]$ and
  $\dot{\mathbf S} = \mathbf S \times \mathbf B$, $\mathbf B = (gJ\langle I\rangle, g\Delta\langle P\rangle, \omega)$.
  `jaxmotor.pump.meanfield` integrates this with an exact splitting of the flow (each piece is a rotation of
  the spin and a unitary on $\rho$), fourth order, `lax.scan` + `vmap` over $\omega$, $\eta$, $S$.
* **Large $S$** (Sec. IV B, Eqs. 26-28): the spin angle $\phi$ is a parameter of the Bloch Hamiltonian
  $h(k, \phi)$, and the charge pumped per period is a Chern number (`jaxmotor/pump/_topology.py`).

Set `JAXMOTOR_REDUCED=1` for a quick run on coarse grids."""),
    new_code_cell("""import os
import time

import matplotlib.pyplot as plt
import numpy as np

import jaxmotor  # float64
from jaxmotor.plots import pump_dynamics as plots
from jaxmotor.pump import (MeanFieldConfig, PumpParams, band_energy, chern_number, lower_transition, meanfield,
                           pumped_charge_adiabatic)
from jaxmotor.pump._topology import band_gap_min_closed_form, lattice_momenta

%matplotlib inline
REDUCED = bool(os.environ.get("JAXMOTOR_REDUCED"))
L, ETA = 8, 0.95
PERIODS = 3 if REDUCED else 10
print("reduced" if REDUCED else "full", f"run: L={L}, eta={ETA}, {PERIODS} precession periods per mean-field run")"""),
    new_markdown_cell(r"""## Topology: bands of Eq. 27 and the Chern number

$h(k,\phi) = \Delta\eta\sin\phi\,\sigma_z + \tfrac J2(1-\eta\cos\phi)\sin k\,\sigma_y
 - \tfrac J2\big(1+\eta\cos\phi+(1-\eta\cos\phi)\cos k\big)\sigma_x$ with $S_x = S\cos\phi$, $S_y = S\sin\phi$.
First check: the bands $\pm\mathcal E(k,\phi)$ of Eq. 27 at the ring's momenta are the spectrum of the
$L$-site ring in real space."""),
    new_code_cell("""def ring(L, phi, eta):
    h = np.zeros((L, L))
    for j in range(1, L + 1):
        a, b = j - 1, j % L
        h[a, b] = h[b, a] = -0.5 * (1 + (-1) ** j * eta * np.cos(phi))
        h[a, a] = (-1) ** j * eta * np.sin(phi)
    return h

worst = 0.0
for phi in np.linspace(0, 2 * np.pi, 7):
    e = np.asarray(band_energy(lattice_momenta(L), phi, ETA))
    worst = max(worst, np.abs(np.sort(np.r_[-e, e]) - np.linalg.eigvalsh(ring(L, phi, ETA))).max())
print(f"Eq. 27 at k = 4 pi n/L vs real-space ring spectrum (L={L}): max deviation {worst:.1e}")

n = 24 if REDUCED else 48
eta_scan = np.linspace(0.05, 1.5, 10 if REDUCED else 30)
scan = chern_number(eta_scan, n_k=n, n_phi=n)
k = 2 * np.pi * np.arange(n + 1) / n
phi = 2 * np.pi * np.arange(n + 1) / n
gap_grid = 2 * np.asarray(band_energy(k[None, :], phi[:, None], ETA))
C = int(np.round(float(chern_number(ETA, n_k=n, n_phi=n).chern)))
plots.chern_and_bands(eta_scan, np.asarray(scan.chern), np.asarray(scan.band_gap_min),
                      band_gap_min_closed_form(eta_scan), k, phi, gap_grid, np.asarray(lattice_momenta(L)),
                      eta=ETA, chern=C, title=f"FHS grid {n}x{n}")
plt.show()
print("Chern numbers over the eta scan:", np.unique(np.round(np.asarray(scan.chern)).astype(int)))
print(f"eta = {ETA}: C = {C:+d}, min gap {float(scan.band_gap_min[np.argmin(abs(eta_scan - ETA))]):.4f} "
      f"(closed form 2 eta = {2 * ETA})")
for grid in (8, 16, 64):
    print(f"  grid {grid}x{grid}: C = {float(chern_number(ETA, n_k=grid, n_phi=grid).chern):+.12f}")
print("adiabatic charge per period on the ring:",
      {Lr: round(float(pumped_charge_adiabatic(Lr, ETA)), 5) for Lr in (8, 16, 64)})"""),
    new_markdown_cell(r"""**Matches the paper:** $h(k,\phi)$ of Eq. 26 and $\mathcal E$ of Eq. 27 are right (with $\Delta$ on $\sigma_z$,
which the paper sets to $J$); the gap closes only at $\eta = 0$ and the lower band has Chern number of modulus 1
for every $\eta > 0$, on every grid (FHS is gauge invariant and exactly integer). Its minimum gap is
$2\min(|\Delta\eta|, |J|\min(|\eta|, 1))$ — for the paper's $\Delta = J$, $\eta < 1$ exactly $2\eta$, the bound of Eq. 21,
reached at $k = \pi$ for every $\phi$.

**docs/physics.md corrects:** the ring's momenta are $k = 4\pi n/L$, $n = 0..L/2-1$ (two-site cell), not $\pi n/L$; Eq. 32
lacks a factor $1/2\pi$ ($\mathcal J/\omega = C/2\pi$). **Sign:** with the orientation ($k$, then $\phi$) the FHS
number is $C = -1$. For $\omega > 0$ the spin turns *clockwise* ($\dot\phi = -\omega$, Eq. 19), although the paper's
Sec. IV B writes $\dot\phi = +\omega$; the charge per period is therefore $-C = +1$, the plateau of Fig. 3 in docs/physics.md's
current orientation. On the $L = 8$ ring the adiabatic charge is the Riemann sum of the Berry flux over the four
momenta, 1.0034 (docs/physics.md), tending to 1 as $L \to \infty$."""),
    new_markdown_cell(r"""## Driven pump: the mean-field fermions with the spin on a fixed precession

With `back_action=False` the spin precesses at exactly $\omega$ and the fermions are a Thouless pump. The
charge per period tends to the adiabatic value $-C$ (1.0034 at $L = 8$) as $\omega \to 0$."""),
    new_code_cell("""t0 = time.perf_counter()
omega_fixed = np.array([0.8, 0.4, 0.2, 0.1] if REDUCED else [0.8, 0.4, 0.2, 0.1, 0.05, 0.025])
driven = meanfield(PumpParams(omega=omega_fixed, eta=ETA), MeanFieldConfig(S=10.0, periods=PERIODS, back_action=False))
adiabatic = float(pumped_charge_adiabatic(L, ETA))
for w, q in zip(omega_fixed, np.asarray(driven.pumped_charge_per_period)):
    print(f"omega = {w:5.3f}: charge per period {q:.5f}   (adiabatic limit {adiabatic:.5f}, -C = {-C})")
print(f"{time.perf_counter() - t0:.1f} s")"""),
    new_markdown_cell(r"""## Self-consistent mean field: spin trajectories

The spin starts in the plane along $+y$ (docs/physics.md's default; `theta0` is a parameter), the fermions in the filled lower
band. Below the lower transition the fermions' torque tilts the spin over the top and back: its in-plane projection
never encircles the origin and no charge is pumped. Above it the spin precesses (with nutation in $S_z$) and the
fermions are pumped."""),
    new_code_cell("""S_TRAJ = 10.0
omega_traj = np.array([0.17, 0.2, 0.5])
traj = meanfield(PumpParams(omega=omega_traj, eta=ETA), MeanFieldConfig(S=S_TRAJ, periods=PERIODS))
plots.spin_trajectories(np.asarray(traj.time), np.asarray(traj.spin), S_TRAJ, omega_traj,
                        title=f"mean-field spin, S={S_TRAJ:g}, start along +y")
plt.show()
for w, enc, q, wt, de in zip(omega_traj, np.asarray(traj.encircles), np.asarray(traj.pumped_charge_per_period),
                             np.asarray(traj.omega_tilde), np.asarray(traj.energy_error)):
    print(f"omega = {w}: encircles {bool(enc)}, charge per revolution {q:.4f}, omega_tilde {wt:.4f}, "
          f"max |E(t) - E(0)| = {de:.1e}")"""),
    new_markdown_cell(r"""## Pumped charge versus $\omega$ for two spin lengths: the lower transition moves as $1/S$"""),
    new_code_cell("""t0 = time.perf_counter()
S_two = np.array([5.0, 10.0])
omega = np.arange(0.1, 2.51, 0.2 if REDUCED else 0.05)
res = meanfield(PumpParams(omega=omega[None, :], eta=ETA), MeanFieldConfig(S=S_two[:, None], periods=PERIODS, n_saved=20))
omega_min = lower_transition(omega, res.encircles)
plots.meanfield_transport(omega, S_two, np.asarray(res.pumped_charge_per_period), np.asarray(res.encircles),
                          omega_min, eta=ETA, N=L // 2, title=f"mean field, L={L}, eta={ETA}, start along +y")
plt.show()
print(f"coarse grid: omega_min = {omega_min} ({time.perf_counter() - t0:.1f} s)")

# the transition itself on a fine grid of omega*S
x = np.arange(1.6, 2.2001, 0.1 if REDUCED else 0.02)
fine = meanfield(PumpParams(omega=x[None, :] / S_two[:, None], eta=ETA),
                 MeanFieldConfig(S=S_two[:, None], periods=PERIODS, n_saved=10))
x_min = lower_transition(x, fine.encircles)
print("omega_min * S =", x_min, "-> omega_min(S=5)/omega_min(S=10) =", round(float(x_min[0] / x_min[1] * 2), 3))
print(f"as omega_min * S: Eq. 20 gives eta N = {ETA * (L // 2):.2f}; ED (docs/physics.md) 1.72")"""),
    new_markdown_cell(r"""**Matches the paper:** the mean field has a sharp lower transition below which the spin does not encircle the
origin and nothing is pumped, and it scales as $1/S$: $\omega_{\min} S \approx 1.88$ for $S = 5, 10, 20$ (full grid,
resolution 0.02; docs/physics.md: 1.87). Above it the charge per revolution is close to 1.

**docs/physics.md corrects / adds:** Eq. 20's estimate $\eta N/S$ ($= 3.8/S$) is a sufficient bound, about 2× too high; ED gives
$\omega_{\min} \approx 1.72/S$. The mean-field transition depends on the starting angle more than on $S$: measured
$\omega_{\min}S \approx$ 1.88 from $+y$, 1.32-1.36 from 45° (docs/physics.md: 1.31), and no transition from $+x$ (the spin always
encircles) — run `meanfield` with `theta0`. At the upper end there is no sharp breakdown at Eq. 21's $2\eta = 1.9$
but a smooth decline ($\Delta n \approx 0.5$ near $\omega \approx 1.85$-1.9). The sudden start leaves the fermions
excited in this closed system, so the charge per revolution wanders by a few percent from point to point."""),
]


def main() -> None:
    nb = new_notebook(cells=CELLS, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    path = Path(__file__).with_name("pump_meanfield_topology.ipynb")
    nbformat.write(nb, path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
