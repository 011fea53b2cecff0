"""Smooth start of the mean-field dynamics (``ramp_periods``; docs/physics.md §1 "Mean-field dynamics": a sudden
start leaves a fermion excitation that never decays, a slow ramp of the spin rotation removes most of it)."""

import json

import numpy as np
import pytest

from jaxmotor.cli.main import main
from jaxmotor.pump import MeanFieldConfig, MeanFieldSolver, PumpParams, meanfield
from jaxmotor.pump._topology import chern_number, pumped_charge_adiabatic

START_ANGLES = np.deg2rad([0.0, 22.5, 45.0, 67.5, 90.0, 112.5, 135.0, 157.5])


@pytest.mark.parametrize("omega", [0.5, -0.3])
def test_ramp_ends_in_the_plane_at_theta0_after_ramp_periods(omega):
    """The ramp turns the spin by ∫ω sin²(πt/2T) dt = ωT/2 (closed form), summed here step by step:
    starting at θ₀ + ωT/2 it must arrive exactly at θ₀, at t = T = R·2π/|ω|."""
    theta0 = np.array([0.3, 2.0, -1.1])
    cfg = MeanFieldConfig(S=4.0, theta0=theta0, periods=1, ramp_periods=1.5, n_saved=2)
    res = meanfield(PumpParams(omega=omega), cfg)
    expected = 4.0 * np.stack([np.cos(theta0), np.sin(theta0), np.zeros(3)], axis=-1)
    np.testing.assert_allclose(res.spin[:, 0], expected, atol=1e-12)
    np.testing.assert_allclose(res.time[:, 0], 1.5 * 2 * np.pi / abs(omega), rtol=1e-14)
    assert np.all(np.asarray(res.charge[:, 0]) == 0)  # Q is counted from the end of the ramp


def test_ramped_drive_pumps_the_adiabatic_charge_from_every_start():
    """Fixed precession at ω = 0.25: after a ramp the charge per period is the finite-L adiabatic value
    (Berry flux of the filled band, 1.0034 at L = 8, from the topology module) up to O(ω²), whatever
    θ₀; a sudden start leaves a θ₀-dependent excitation of a few 1e-3."""
    params = PumpParams(omega=0.25, eta=0.95)
    runs = {R: meanfield(params, MeanFieldConfig(S=10.0, theta0=START_ANGLES[::2], periods=10, ramp_periods=R,
                                                 n_saved=10, back_action=False)) for R in (0.0, 1.0)}
    sudden, ramped = (np.asarray(runs[R].pumped_charge_per_period) for R in (0.0, 1.0))
    adiabatic = float(pumped_charge_adiabatic(8, 0.95))
    assert np.ptp(ramped) < 2e-4 and np.ptp(sudden) > 1e-3
    np.testing.assert_allclose(ramped, adiabatic, atol=1e-3)
    assert np.max(np.abs(ramped - adiabatic)) < 0.5 * np.max(np.abs(sudden - adiabatic))


def test_ramp_removes_most_of_the_start_up_wandering_of_the_charge_per_revolution():
    """Self-consistent, S = 10, ω = 0.5, L = 8 (docs/physics.md: sudden start 0.95-0.99 depending on θ₀). Measured:
    sudden 0.938-1.006 (spread 0.068), ramp of 2 periods 0.997-1.022 (spread 0.025), mean |Δn - 1|
    0.027 -> 0.004. The spin starts from the same state (in the plane at θ₀, dθ/dt = -ω), so the
    orbit is kept: the same revolutions and ω̃ within a few percent."""
    params = PumpParams(omega=0.5, eta=0.95)
    runs = {R: meanfield(params, MeanFieldConfig(S=10.0, theta0=START_ANGLES, periods=20, ramp_periods=R,
                                                 n_saved=20)) for R in (0.0, 2.0)}
    sudden, ramped = (np.asarray(runs[R].pumped_charge_per_period) for R in (0.0, 2.0))
    quantized = -float(chern_number(0.95).chern)  # the spin turns clockwise: -C = +1
    assert quantized == pytest.approx(1.0, abs=1e-9)
    assert np.all(runs[0.0].encircles) and np.all(runs[2.0].encircles)
    assert np.ptp(ramped) < 0.5 * np.ptp(sudden)
    assert np.mean(np.abs(ramped - quantized)) < 0.3 * np.mean(np.abs(sudden - quantized))
    assert np.max(np.abs(ramped - quantized)) < 0.03
    np.testing.assert_allclose(runs[2.0].omega_tilde, runs[0.0].omega_tilde, rtol=0.05)
    assert np.all(np.abs(np.asarray(runs[2.0].revolutions) - np.asarray(runs[0.0].revolutions)) <= 1)


@pytest.fixture(scope="module")
def ramped_runs():
    """Self-consistent runs from 45° (not a stationary direction) after a one-period ramp, three steps."""
    cfg = dict(S=10.0, theta0=np.pi / 4, periods=2, ramp_periods=1.0, n_saved=50)
    return {dt: meanfield(PumpParams(omega=0.5), MeanFieldConfig(**cfg), MeanFieldSolver(dt=dt))
            for dt in (0.2, 0.1, 0.025)}


def test_energy_is_conserved_after_the_ramp_to_fourth_order(ramped_runs):
    """After the ramp the Hamiltonian is time-independent: E = -ωS_z + Tr[hρ] has a bounded O(dt⁴) error."""
    coarse, fine = ramped_runs[0.2], ramped_runs[0.1]
    rate = np.log(float(coarse.energy_error) / float(fine.energy_error)) / np.log(float(coarse.dt) / float(fine.dt))
    assert rate == pytest.approx(4, abs=0.3)
    assert float(fine.energy_error) < 1e-4
    assert float(fine.norm_error) < 1e-11


def test_time_dependent_ramp_keeps_the_order_of_the_integrator(ramped_runs):
    """The state at the end of the ramp (driven by ω(t), time carried by the A flow) converges as dt⁴."""
    reference = float(ramped_runs[0.025].energy[0])
    err = {dt: abs(float(ramped_runs[dt].energy[0]) - reference) for dt in (0.2, 0.1)}
    assert np.log2(err[0.2] / err[0.1]) == pytest.approx(4, abs=0.4)


def test_batch_over_omega_and_eta_with_a_ramp_equals_single_runs(ramped_runs):
    """Every batch element has its own T = R·2π/|ω|; the smallest |ω| sets the steps of the batch."""
    omega, eta = np.array([0.5, 1.0]), np.array([[0.7], [0.95]])
    cfg = MeanFieldConfig(S=10.0, theta0=np.pi / 4, periods=2, ramp_periods=1.0, n_saved=50)
    batch = meanfield(PumpParams(omega=omega, eta=eta), cfg, MeanFieldSolver(dt=0.1))
    single = ramped_runs[0.1]
    np.testing.assert_allclose(batch.spin[1, 0], single.spin, atol=1e-12)
    np.testing.assert_allclose(batch.charge[1, 0], single.charge, atol=1e-12)
    np.testing.assert_allclose(batch.time[:, :, 0], np.broadcast_to(2 * np.pi / omega, (2, 2)), rtol=1e-14)
    assert not np.allclose(batch.spin[0, 0], single.spin, atol=1e-3)  # η matters


def test_cli_ramp_periods_reaches_the_library_and_the_json(capsys, tmp_path):
    argv = ["pump", "meanfield", "--S", "10", "--omega", "0.5", "--ramp-periods", "1.5", "--periods", "2",
            "--n-saved", "20", "--no-plot", "--json", "--out", str(tmp_path)]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    res = meanfield(PumpParams(omega=0.5), MeanFieldConfig(S=10.0, periods=2, ramp_periods=1.5, n_saved=20))
    assert record["ramp_periods"] == 1.5 and record["encircles"] is True
    assert record["pumped_charge_per_period"] == pytest.approx(float(res.pumped_charge_per_period), abs=1e-12)


def test_negative_ramp_is_rejected(capsys, tmp_path):
    with pytest.raises(ValueError, match="^ramp_periods="):
        MeanFieldConfig(ramp_periods=-1.0)
    assert main(["pump", "meanfield", "--omega", "0.5", "--ramp-periods", "-1", "--json", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("jaxmotor: error: ramp_periods=")
