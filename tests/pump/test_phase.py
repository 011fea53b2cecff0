"""Phase diagram (Fig. 4): grouping by S is exact, transitions and the 1/S fit, Eqs. 20-21."""

import numpy as np
import pytest

from jaxmotor.pump import PumpParams, make_basis, solve
from jaxmotor.pump.phase import analyze, fit_inverse_spin, phase_diagram, transitions


def test_grouping_by_spin_size_equals_a_direct_solve_of_every_point():
    spins = [2, "3/2", 1]  # unsorted, mixed integer / half-integer: each S its own Hilbert space
    omega = np.array([0.3, 0.9, 1.6])
    diagram = phase_diagram(spins, PumpParams(omega=omega, eta=0.9), L=4)  # sectors, batched over ω
    assert diagram.delta_n.shape == (3, 3)
    np.testing.assert_array_equal(diagram.dim, [6 * 5, 6 * 4, 6 * 3])
    for i, S in enumerate(spins):
        basis = make_basis(4, None, S)
        for j, w in enumerate(omega):  # one point at a time, whole space: an independent path
            obs = solve(PumpParams(omega=w, eta=0.9), basis, method="full")
            assert diagram.delta_n[i, j] == pytest.approx(float(obs.delta_n), abs=1e-9)
            assert diagram.spin_gap[i, j] == pytest.approx(float(obs.spin_gap), abs=1e-9)
            assert diagram.omega_tilde[i, j] == pytest.approx(float(obs.omega_tilde), abs=1e-9)


def test_transitions_interpolate_where_delta_n_crosses_one_half():
    omega = 0.1 * np.arange(1, 10)
    rows = np.array([
        [0.0, 0.0, 0.2, 0.8, 1.0, 1.0, 0.9, 0.3, 0.1],  # both transitions
        [0.0, 0.1, 0.1, 0.1, 0.2, 0.1, 0.0, 0.1, 0.0],  # never pumps
        [0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.1],  # pumps from the first ω: ω_min not on the grid
        [0.0, 0.7, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # no upper transition on the grid
    ])
    lower, upper = transitions(omega, rows)
    assert lower[0] == pytest.approx(0.3 + 0.1 * (0.5 - 0.2) / 0.6)
    assert upper[0] == pytest.approx(0.7 + 0.1 * (0.5 - 0.9) / (0.3 - 0.9))
    assert np.isnan(lower[1]) and np.isnan(upper[1])
    assert np.isnan(lower[2]) and np.isnan(upper[2])
    assert lower[3] == pytest.approx(0.1 + 0.1 * 0.5 / 0.7) and np.isnan(upper[3])
    with pytest.raises(ValueError, match="omega"):
        transitions(omega[::-1], rows)


def test_fit_recovers_an_inverse_spin_law_and_compares_with_eq20():
    S = np.arange(1.0, 9.0)
    omega_min = 1.72 / S
    omega_min[0] = np.nan  # undefined rows are skipped
    fit = fit_inverse_spin(S, omega_min, eta=0.95, N=4)
    assert fit.prefactor == pytest.approx(1.72, rel=1e-12)
    assert fit.prefactor_err == pytest.approx(0.0, abs=1e-12)
    assert fit.n_points == 7
    assert fit.ratio_to_eq20 == pytest.approx(1.72 / (0.95 * 4))
    assert np.isnan(fit_inverse_spin(S, np.full(8, np.nan), eta=0.95, N=4).prefactor)


def test_lower_transition_scales_as_one_over_S_and_lies_below_eq20():
    """L=4 (N=2): ω_min·S is the same for S = 2 and 4, and Eq. 20's ηN/S is a sufficient bound, far
    above the transition (SPEC §1); transport is quantized from ω_min up to well above ηN/S."""
    omega = np.arange(0.05, 1.2001, 0.02)
    diagram = phase_diagram([2, 4], PumpParams(omega=omega), L=4)
    result = analyze(diagram)
    scaled = result.lower * diagram.S
    assert np.all(np.isfinite(scaled))
    assert scaled[1] == pytest.approx(scaled[0], rel=0.2)
    eq20 = 0.95 * 2 / diagram.S
    assert np.all(result.lower < 0.6 * eq20)
    plateau = (omega > eq20[:, None]) & (omega < 1.2)
    assert np.all(np.abs(diagram.delta_n[plateau] - 1) < 0.1)
    assert result.eq21 == pytest.approx(1.9)


def test_bad_spin_lists_are_rejected():
    with pytest.raises(ValueError, match="distinct"):
        phase_diagram([1, 1], PumpParams(omega=np.array([0.5, 1.0])), L=4)
    with pytest.raises(ValueError, match="S"):
        phase_diagram([1.3], PumpParams(omega=np.array([0.5, 1.0])), L=4)
    with pytest.raises(ValueError, match="omega"):
        phase_diagram([1], PumpParams(omega=0.5), L=4)
    with pytest.raises(ValueError, match="eta"):
        phase_diagram([1], PumpParams(omega=np.array([0.5, 1.0]), eta=np.array([0.5, 0.9])), L=4)
