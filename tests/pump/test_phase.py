"""Phase diagram (Fig. 4): grouping by S is exact, transitions and the 1/S fit, Eqs. 20-21."""

import numpy as np
import pytest

from jaxmotor.pump import PumpParams, make_basis, solve
from jaxmotor.pump._phase import analyze, fit_inverse_spin, phase_diagram, transitions


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


COMPILE_COUNTER = r"""
import json, logging, sys
import numpy as np, jax
compiles = []
class Count(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("Finished XLA compilation"):
            compiles.append(record.getMessage())
jax.config.update("jax_log_compiles", True)
logging.getLogger("jax").addHandler(Count())
from jaxmotor.pump import PumpParams, phase_diagram
L, S_max, n_omega = (int(a) for a in sys.argv[1:4])
d = phase_diagram(list(range(1, S_max + 1)), PumpParams(omega=np.linspace(0.05, 2.5, n_omega)), L=L)
print(json.dumps({"compilations": len(compiles), "delta_n": d.delta_n.tolist(), "spin_gap": d.spin_gap.tolist()}))
"""


def _compilations(L, S_max, n_omega):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", COMPILE_COUNTER, str(L), str(S_max), str(n_omega)], env=env,
                          capture_output=True, text=True, timeout=3000)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_grid_over_spin_sizes_compiles_twice_per_bucket_and_padding_changes_nothing():
    # S = 1..12: buckets 2S+1 <= 11, 21, 31 -> 3 buckets, two kernels each (eigenpairs, selection)
    out = _compilations(4, 12, 5)
    assert out["compilations"] == 6
    omega = np.linspace(0.05, 2.5, 5)
    for S in (1, 5, 6, 12):  # each bucket's smallest and largest spin (most and least padding)
        obs = solve(PumpParams(omega=omega), make_basis(4, None, S), method="full")  # unpadded, whole space
        np.testing.assert_allclose(out["delta_n"][S - 1], obs.delta_n, atol=1e-9)
        np.testing.assert_allclose(out["spin_gap"][S - 1], obs.spin_gap, atol=1e-9)


@pytest.mark.slow
def test_the_fig4_grid_compiles_at_most_eight_kernels():
    out = _compilations(8, 20, 50)  # S = 1..20 x 50 omega at L = 8, as jaxmotor pump phase
    assert out["compilations"] <= 8


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
    above the transition (docs/physics.md §1); transport is quantized from ω_min up to well above ηN/S."""
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
