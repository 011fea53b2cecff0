"""Large-S topology of the pump (paper Sec. IV B, docs/physics.md §1): h(k, φ), its bands, its Chern number."""

import numpy as np
import pytest

from jaxmotor.pump._topology import (
    band_energy,
    band_gap_min_closed_form,
    bloch_hamiltonian,
    chern_number,
    lattice_momenta,
    pumped_charge_adiabatic,
)


def ring_hamiltonian(L, phi, eta, J=1.0, Delta=1.0):
    """Real-space L×L hopping matrix of Eq. 25 built directly (numpy): sites j = 1..L, bond j → j+1
    with amplitude -(J/2)(1 + (-1)^j η cos φ), potential (-1)^j Δη sin φ, periodic ring."""
    h = np.zeros((L, L))
    for j in range(1, L + 1):
        a, b = j - 1, j % L
        h[a, b] = h[b, a] = -0.5 * J * (1 + (-1) ** j * eta * np.cos(phi))
        h[a, a] = (-1) ** j * Delta * eta * np.sin(phi)
    return h


@pytest.mark.parametrize("L", [4, 8, 12])
@pytest.mark.parametrize("phi", [0.0, 0.4, np.pi / 2, 2.5, 4.0])
def test_bands_of_eq27_are_the_real_space_spectrum_of_the_ring(L, phi):
    eta, J, Delta = 0.95, 1.0, 0.7
    real_space = np.linalg.eigvalsh(ring_hamiltonian(L, phi, eta, J, Delta))
    e = np.asarray(band_energy(lattice_momenta(L), phi, eta, J, Delta))
    np.testing.assert_allclose(np.sort(np.concatenate([-e, e])), real_space, atol=1e-12)


def test_eq26_matrix_has_the_bands_of_eq27():
    k = np.linspace(0, 2 * np.pi, 13)[:, None]
    phi = np.linspace(0, 2 * np.pi, 11)[None, :]
    evals = np.linalg.eigvalsh(np.asarray(bloch_hamiltonian(k, phi, 0.6, 1.3, 0.8)))
    e = np.asarray(band_energy(k, phi, 0.6, 1.3, 0.8))
    np.testing.assert_allclose(evals[..., 0], -e, atol=1e-12)
    np.testing.assert_allclose(evals[..., 1], e, atol=1e-12)


def test_lattice_momenta_are_those_of_the_two_site_cell():
    # docs/physics.md: k = 4πn/L, n = 0..L/2-1 (the paper's πn/L is not the momentum grid of the ring)
    np.testing.assert_allclose(lattice_momenta(8), [0, np.pi / 2, np.pi, 3 * np.pi / 2])


@pytest.mark.parametrize("eta", [0.05, 0.3, 0.6, 0.95, 0.99])
def test_chern_number_is_minus_one_for_eta_in_0_1(eta):
    """C = -1 (orientation k then φ) for J, Δ > 0: the spin turns clockwise (dφ/dt = -ω) so the
    charge per period, -C, is the +1 of Fig. 3 (see the module doc and test_meanfield)."""
    res = chern_number(eta, n_k=32, n_phi=32)
    assert float(res.chern) == pytest.approx(-1.0, abs=1e-10)
    assert float(res.berry_flux_max) < 1.0  # grid fine enough: no plaquette near ±π


def test_chern_number_flips_with_the_staggered_potential_and_is_even_in_eta():
    # Δ → -Δ reflects d_z: the loop is traversed the other way. η → -η is the shift φ → φ + π.
    res = chern_number(np.array([0.8, 0.8, -0.8]), 1.0, np.array([1.0, -1.0, 1.0]), n_k=24, n_phi=24)
    np.testing.assert_allclose(res.chern, [-1, 1, -1], atol=1e-10)


def test_chern_number_does_not_depend_on_the_grid_once_fine_enough():
    grids = [(12, 12), (16, 24), (32, 20), (48, 48), (64, 96)]
    values = [float(chern_number(0.3, n_k=nk, n_phi=nphi).chern) for nk, nphi in grids]
    np.testing.assert_allclose(values, -1.0, atol=1e-10)
    # and the lattice Chern number is an exact integer on every grid (gauge invariant)
    coarse = [float(chern_number(0.3, n_k=n, n_phi=n).chern) for n in (4, 6)]
    np.testing.assert_allclose(coarse, np.round(coarse), atol=1e-10)


def test_chern_number_batches_over_eta():
    eta = np.array([[0.2, 0.5], [0.9, 1.5]])
    res = chern_number(eta, n_k=24, n_phi=24)
    assert res.chern.shape == (2, 2)
    np.testing.assert_allclose(res.chern, -1.0, atol=1e-10)


@pytest.mark.parametrize("eta,J,Delta", [(0.95, 1.0, 1.0), (0.5, 1.0, 1.0), (0.95, 1.0, 0.5), (0.4, 2.0, 0.3),
                                         (1.5, 1.0, 1.0), (1.5, 1.0, 0.5)])
def test_band_gap_min_is_the_closed_form_minimum_of_eq27(eta, J, Delta):
    # n_k even and n_phi a multiple of 4: the grid holds k = 0, π and φ = 0, π/2 (the minimizers)
    res = chern_number(eta, J, Delta, n_k=24, n_phi=24)
    assert float(res.band_gap_min) == pytest.approx(float(band_gap_min_closed_form(eta, J, Delta)), abs=1e-12)
    # and no point of a dense grid of Eq. 27 lies below it
    k, phi = np.meshgrid(np.linspace(0, 2 * np.pi, 401), np.linspace(0, 2 * np.pi, 401))
    dense = 2 * np.min(np.asarray(band_energy(k, phi, eta, J, Delta)))
    assert dense >= float(res.band_gap_min) - 1e-12
    assert dense == pytest.approx(float(res.band_gap_min), abs=1e-3)


def test_band_gap_min_for_the_paper_default_is_two_eta():
    # Eq. 21's upper bound 2η is exactly the minimum band gap (reached at k = π for every φ)
    assert float(chern_number(0.95).band_gap_min) == pytest.approx(1.9, abs=1e-12)


def test_finite_ring_adiabatic_charge_tends_to_minus_the_chern_number():
    charge = np.asarray(pumped_charge_adiabatic(8, 0.95))
    assert float(charge) == pytest.approx(1.0034, abs=1e-4)  # docs/physics.md: the finite-L Berry flux at L = 8
    big = [float(pumped_charge_adiabatic(L, 0.95)) for L in (16, 64, 256)]
    assert abs(big[-1] - 1.0) < 1e-6
    assert abs(big[0] - 1) > abs(big[1] - 1) >= abs(big[2] - 1) - 1e-12  # L = 64 and 256 both at round-off


@pytest.mark.parametrize("kwargs,name", [(dict(eta=np.nan), "eta"), (dict(eta=0.5, n_k=2), "n_k"),
                                         (dict(eta=0.5, n_phi=10**5), "n_phi"), (dict(eta=0.5, n_k=8.5), "n_k"),
                                         (dict(eta=0.5, Delta=np.inf), "Delta")])
def test_bad_input_raises_value_error_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name}="):
        chern_number(**kwargs)


def test_odd_ring_is_rejected():
    with pytest.raises(ValueError, match="L=7"):
        lattice_momenta(7)
