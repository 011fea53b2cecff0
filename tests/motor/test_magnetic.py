"""The magnetic motor (Sec. V, Eqs. 67-70) and what a motor user measures next: the diffusion of θ,
the current noise (Fano factor) against their closed forms, and the adiabaticity diagnostic."""

import json

import jax
import numpy as np
import pytest

from jaxmotor.cli.main import main
from jaxmotor.motor import MotorParams, closed_forms as cf, simulate
from jaxmotor.motor._langevin import adiabaticity


def test_magnetic_motor_is_the_langevin_motor_with_inertia_one_over_D(getkey):
    key = getkey()
    D = np.array([0.5, 4.0])
    fields = dict(K=0.5, V=1.0, F_load=0.02, temperature=0.1, noise="paper", tau=1.0)
    magnetic = simulate(MotorParams.magnetic(D, **fields), key, dt=0.05, time=60.0, trajectories=4, burn_in=10.0)
    langevin = simulate(MotorParams(inertia=1 / D, **fields), key, dt=0.05, time=60.0, trajectories=4, burn_in=10.0)
    np.testing.assert_array_equal(magnetic.trajectory_velocity, langevin.trajectory_velocity)
    assert float(MotorParams.magnetic(2.0).inertia) == 0.5
    with pytest.raises(ValueError, match="^anisotropy=0.0 is not allowed"):
        MotorParams.magnetic(0.0)
    with pytest.raises(ValueError, match="^inertia=1.0 is not allowed"):
        MotorParams.magnetic(1.0, inertia=1.0)


def test_cli_anisotropy_equals_inertia_one_over_D(capsys):
    common = ["motor", "run", "--K", "0.5", "--temperature", "0.1", "--noise", "white", "--trajectories", "4",
              "--time", "30", "--dt", "0.05", "--burn-in", "5", "--json"]
    assert main([*common, "--anisotropy", "4"]) == 0
    magnetic = json.loads(capsys.readouterr().out)
    assert main([*common, "--inertia", "0.25"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert magnetic["anisotropy"] == 4.0 and magnetic["inertia"] == 0.25
    assert magnetic["mean_velocity"] == plain["mean_velocity"]
    assert magnetic["velocity_variance"] == plain["velocity_variance"]
    with pytest.raises(SystemExit) as exit_info:  # an argparse error: one line, exit 2
        main([*common, "--anisotropy", "4", "--inertia", "1"])
    assert exit_info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
    assert main([*common, "--anisotropy", "-1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("tau", [None, 1.0], ids=["infinite-LL", "leads"])
def test_diffusion_and_fano_factor_match_their_white_noise_closed_forms(tau, getkey):
    """D = 2πK_eff·T (Einstein, Γ(0) = 1/2πK_eff) and Var Q/⟨Q⟩ = 2T/(V - 2πF) at long times."""
    leads = tau is not None
    T, F = np.array([0.1, 0.3]), 0.02
    p = MotorParams(K=0.5, V=1.0, F_load=F, inertia=0.5, temperature=T, noise="white", tau=tau)
    res = simulate(p, getkey(), dt=0.05, time=420.0, trajectories=256, burn_in=20.0)
    # the window (400) is ~100 relaxation times: the finite-window bias of Var Δθ/2t is ~2 %
    expected_d = np.asarray(cf.diffusion_coefficient(T, 0.5, leads))
    assert np.all(np.abs(res.diffusion - expected_d) <= 4 * res.diffusion_err + 0.03 * expected_d), \
        (res.diffusion, expected_d, res.diffusion_err)
    expected_f = np.asarray(cf.fano_factor(1.0, F, T))
    assert np.all(np.abs(res.fano_factor - expected_f) <= 4 * res.fano_factor_err + 0.03 * expected_f), \
        (res.fano_factor, expected_f, res.fano_factor_err)
    assert np.all(res.diffusion_err < 0.1 * expected_d)  # the check resolves 10 %


def test_adiabaticity_is_the_rms_velocity_over_the_gap(getkey, capsys):
    p = MotorParams(K=0.5, V=1.0, temperature=0.1, noise="white", inertia=0.5)
    res = simulate(p, getkey(), dt=0.05, time=60.0, trajectories=8, burn_in=10.0)
    value = float(adiabaticity(res, 2.0))
    assert value == pytest.approx(np.sqrt(float(res.mean_velocity) ** 2 + float(res.velocity_variance)) / 2.0)
    with pytest.raises(ValueError, match="^gap=0.0 is not allowed"):
        adiabaticity(res, 0.0)
    argv = ["motor", "run", "--K", "0.5", "--temperature", "0.1", "--noise", "white", "--inertia", "0.5",
            "--trajectories", "8", "--time", "60", "--dt", "0.05", "--burn-in", "10", "--json"]
    assert main([*argv, "--gap", "0.5"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["adiabaticity"] > 0.1 and "warning: rms velocity / gap" in captured.err
    assert main([*argv, "--gap", "100"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["adiabaticity"] < 0.1 and captured.err == ""


def test_diffusion_statistics_compose_with_jit(getkey):
    from jaxmotor.motor import ensemble

    key = getkey()
    run = jax.jit(lambda T: ensemble(MotorParams(K=0.5, temperature=T, noise="white"), key, dt=0.05, steps=400,
                                     trajectories=8, burn_in_steps=50).diffusion)
    # white noise: Δθ = its noise-free value (the same on every path) + √T × a path's noise response,
    # so the sampled D is exactly ∝ T: dD/dT = D/T
    assert float(jax.grad(run)(0.2)) == pytest.approx(float(run(0.2)) / 0.2, rel=1e-9)
