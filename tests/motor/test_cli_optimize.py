"""The `jaxmotor motor optimize` command-line contract."""

import json

import numpy as np
import pytest

from jaxmotor.cli.main import main
from jaxmotor.motor import closed_forms as cf

KEYS = {"F_load", "power_out", "efficiency", "iterations", "history"}
SMALL = ["--trajectories", "32", "--time", "250", "--burn-in", "50", "--dt", "0.05", "--seed", "0", "--json",
         "--no-plot"]


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_power_over_the_load_finds_V_over_4pi_with_efficiency_one_half(capsys):
    record = _json(capsys, ["motor", "optimize", "--objective", "power", "--over", "load", "--V", "1", "--K", "0.5",
                            "--tau", "2", "--temperature", "0.01", "--noise", "white", "--steps", "100", *SMALL])
    assert KEYS <= set(record)
    assert record["iterations"] == 100 == len(record["history"]["objective"])
    assert len(record["history"]["params"]["F_load"]) == 100
    # the sampled optimum scatters around F* = V/4π by σ(θ̇)/(4πK_eff) (θ̇ linear in the load)
    sigma_f = record["mean_velocity_err"] / (4 * np.pi)
    assert abs(record["F_load"] - 1 / (4 * np.pi)) < 4 * sigma_f + 0.005 / (4 * np.pi)
    assert sigma_f < 0.01 / (4 * np.pi)
    # stationary estimator: η = 2πF/V exactly; P* = 2πK_eff (V/4π)², K_eff = 1 with leads (Eq. 41)
    assert record["efficiency"] == pytest.approx(2 * np.pi * record["F_load"], rel=1e-9)
    assert abs(record["power_out"] - float(cf.max_power(1.0, 0.5, leads=True))) < 4 * record["power_out_err"]


def test_efficiency_at_min_power_reaches_the_larger_root(capsys):
    p_min = 0.6 * float(cf.max_power(1.0, 0.5, leads=False))
    record = _json(capsys, ["motor", "optimize", "--objective", "efficiency", "--min-power", str(p_min),
                            "--over", "load", "--V", "1", "--K", "0.5", "--temperature", "0.01", "--noise", "white",
                            "--steps", "120", *SMALL])
    assert KEYS <= set(record)
    # constant load: the largest F with 2πK F(V/2π - F) >= P_min, η = 2πF/V ≈ 0.816
    f_root = (1 + np.sqrt(0.4)) / (4 * np.pi)
    assert record["F_load"] == pytest.approx(f_root, rel=0.03)
    assert p_min < record["power_out"] < 1.01 * p_min  # the barrier keeps it just inside


def test_history_plot_and_harmonics(capsys, tmp_path):
    argv = ["motor", "optimize", "--over", "load,harmonics", "--harmonics", "1", "--steps", "3",
            "--temperature", "0.05", "--noise", "white", "--trajectories", "4", "--time", "60", "--dt", "0.05",
            "--json", "--out", str(tmp_path)]
    record = _json(capsys, argv)
    assert set(record["harmonics"]) == {"a1", "b1"} and set(record["history"]["params"]) == {"F_load", "a1", "b1"}
    assert (tmp_path / "motor_optimize_history.png").stat().st_size > 0


@pytest.mark.parametrize("extra,message", [
    (["--objective", "efficiency"], "--min-power"),
    (["--min-power", "0.01"], "--min-power"),
    (["--over", "load,speed"], "--over"),
    (["--over", "load,load"], "--over"),
    (["--over", "temperature"], "initial value"),
    (["--objective", "efficiency", "--min-power", "1.0"], "--min-power"),  # the start must deliver P_min
    (["--objective", "efficiency", "--min-power", "0.01", "--fresh-keys"], "--fresh-keys"),
    (["--learning-rate", "-1"], "--learning-rate"),
    (["--steps", "0"], "steps"),
])
def test_bad_input_is_one_line_exit_2(extra, message, capsys):
    assert main(["motor", "optimize", "--trajectories", "2", "--time", "40", "--burn-in", "10", *extra, "--json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jaxmotor: error:") and message in err
