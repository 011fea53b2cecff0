"""The `jaxmotor motor run | loadcurve | transient` command-line contract."""

import json

import jax
import numpy as np
import pytest

from jaxmotor import store
from jaxmotor.cli.main import main
from jaxmotor.motor import MotorParams, simulate

RUN_KEYS = {"mean_velocity", "mean_velocity_err", "velocity_variance", "power_in", "power_out",
            "power_dissipated", "efficiency", "energy_balance_residual", "burn_in", "current"}


def _run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_run_json_has_the_contract_keys_and_matches_the_library(capsys):
    argv = ["motor", "run", "--K", "0.5", "--V", "1", "--tau", "0.5", "--temperature", "0.1", "--noise", "white",
            "--load", "0.05", "--inertia", "1", "--trajectories", "8", "--time", "60", "--dt", "0.05",
            "--seed", "3", "--burn-in", "10", "--json"]
    record = _run_json(capsys, argv)
    assert RUN_KEYS <= set(record)
    res = simulate(MotorParams(K=0.5, V=1.0, F_load=0.05, temperature=0.1, noise="white", tau=0.5),
                   jax.random.key(3), dt=0.05, time=60.0, trajectories=8, burn_in=10.0)
    assert record["mean_velocity"] == pytest.approx(float(res.mean_velocity), rel=1e-12)
    assert record["burn_in"] == pytest.approx(10.0)
    assert record["energy_balance_residual"] < 1e-12


def test_loadcurve_writes_a_labeled_store_and_a_plot(capsys, tmp_path):
    record = _run_json(capsys, ["motor", "loadcurve", "--K", "0.5", "--temperature", "0.05", "--noise", "white",
                                "--inertia", "0.5", "--trajectories", "4", "--time", "40", "--dt", "0.05",
                                "--burn-in", "10", "--load-points", "3", "--out", str(tmp_path), "--json"])
    ds = store.open_store(record["data"])
    np.testing.assert_allclose(ds["load"].values, [0, 1 / (4 * np.pi), 1 / (2 * np.pi)])
    np.testing.assert_allclose(ds["closed_velocity"].values, 0.5 * np.array([1.0, 0.5, 0.0]), atol=1e-15)
    assert record["max_power_load"] == pytest.approx(1 / (4 * np.pi))
    assert (tmp_path / "motor_loadcurve.png").stat().st_size > 1000


def test_transient_records_the_mean_velocity_and_the_exact_solution(capsys, tmp_path):
    record = _run_json(capsys, ["motor", "transient", "--K", "0.5", "--tau", "1", "--inertia", "0.1",
                                "--trajectories", "2", "--time", "3", "--dt", "0.01", "--out", str(tmp_path),
                                "--json", "--no-plot"])
    mean, exact = np.array(record["mean_velocity"]), np.array(record["exact_noise_free"])
    assert mean.shape == exact.shape == (300,)
    np.testing.assert_allclose(mean, exact, atol=1e-3)  # noise-free (T = 0): the exact piecewise solution


@pytest.mark.parametrize("argv, message", [
    (["--K", "0"], "K=0.0 is not allowed"),
    (["--tau", "0.015"], "tau=0.015 is not allowed: must be a positive multiple of the time step"),
    (["--noise", "fdt", "--temperature", "0.1"], "cutoff=None is not allowed"),
    (["--time", "5"], "time=5.0 is not allowed: must exceed the default burn-in"),
    (["--memory-budget", "0"], "--memory-budget=0.0 is not allowed: must be > 0 GiB"),
    (["--memory-budget", "1e-9", "--burn-in", "1"],
     "trajectories=256 is not allowed: the results of 1 point(s) x 256 trajectories"),
    (["--dt", "1e-12", "--burn-in", "1"], "time=1000.0 is not allowed: is 1e+15 steps"),
])
def test_bad_input_prints_one_line_and_exits_2(capsys, argv, message):
    assert main(["motor", "run", "--json", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
