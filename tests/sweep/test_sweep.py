"""The sweep engine: grid specs, labeled stores, refusal of foreign stores, kill and resume."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from jaxmotor.pump import PumpParams, make_basis, solve
from jaxmotor.sweep import from_dict, run
from jaxmotor.sweep.spec import axis_values


def test_axis_forms_give_the_expected_values():
    np.testing.assert_allclose(axis_values("w", {"start": 0.1, "stop": 0.5, "step": 0.1})["w"], [0.1, 0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(axis_values("w", {"start": 0, "stop": 1, "num": 3})["w"], [0, 0.5, 1])
    np.testing.assert_allclose(axis_values("T", {"start": 0.01, "stop": 1, "num": 3, "log": True})["T"], [0.01, 0.1, 1])
    zipped = axis_values("JD", {"zip": {"J": [1, 2], "Delta": [3, 4]}})
    np.testing.assert_allclose(zipped["J"], [1, 2]) and np.testing.assert_allclose(zipped["Delta"], [3, 4])


@pytest.mark.parametrize(
    "raw,match",
    [
        ({"model": "pmp", "axes": {"omega": [1]}}, "^model="),
        ({"model": "pump", "axes": {}}, "^axes="),
        ({"model": "pump", "axes": {"omega": []}}, "^axes.omega="),
        ({"model": "pump", "axes": {"omega": {"start": 1, "stop": 0, "step": 0.1}}}, "^axes.omega="),
        ({"model": "pump", "axes": {"omega": {"start": 1, "stop": 2, "step": float("nan")}}}, "^axes.omega="),
        ({"model": "pump", "axes": {"omega": ["a"]}}, "^axes.omega="),
        ({"model": "pump", "axes": {"JD": {"zip": {"J": [1, 2], "Delta": [1]}}}}, "^axes.JD.zip="),
        ({"model": "pump", "fixed": {"omega": 1}, "axes": {"omega": [1]}}, "^axes="),
        ({"model": "pump", "axes": {"omega": [1]}, "colour": 1}, "^config="),
        ({"model": "pump", "axes": {"omega": [1]}, "run": {"memory_budget_gib": -1}}, "^run.memory_budget_gib="),
    ],
)
def test_bad_specs_are_refused_with_the_key_named(raw, match):
    with pytest.raises(ValueError, match=match):
        from_dict(raw)


PUMP_SPEC = {"model": "pump", "fixed": {"L": 4, "eta": 0.9},
             "axes": {"S": [1, 1.5, 2], "omega": {"start": 0.2, "stop": 1.0, "step": 0.4}}}


def test_pump_sweep_store_is_labeled_and_equals_direct_solves(tmp_path):
    import xarray as xr

    path = run(from_dict(PUMP_SPEC), tmp_path / "s.zarr", progress=False)
    ds = xr.open_zarr(path)
    assert ds["delta_n"].dims == ("S", "omega") and ds["ph_gap"].dims == ("S", "omega", "l", "m")
    np.testing.assert_allclose(ds["omega"].values, [0.2, 0.6, 1.0])
    assert ds.attrs["fixed_eta"] == 0.9 and "jax_version" in ds.attrs and "sweep_config" in ds.attrs
    for i, S in enumerate([1, 1.5, 2]):
        direct = solve(PumpParams(omega=np.array([0.2, 0.6, 1.0]), eta=0.9), make_basis(4, 2, S))
        np.testing.assert_allclose(ds["delta_n"].values[i], direct.delta_n, atol=1e-12)
        np.testing.assert_allclose(ds["E"].values[i], direct.E, atol=1e-12)


def test_a_store_of_another_sweep_is_refused(tmp_path):
    run(from_dict(PUMP_SPEC), tmp_path / "s.zarr", progress=False)
    other = {**PUMP_SPEC, "fixed": {"L": 4, "eta": 0.8}}
    with pytest.raises(ValueError, match="different sweep"):
        run(from_dict(other), tmp_path / "s.zarr", progress=False)
    (tmp_path / "junk").mkdir()
    with pytest.raises(ValueError, match="not a jaxmotor sweep store"):
        run(from_dict(PUMP_SPEC), tmp_path / "junk", progress=False)


KILL_CONFIG = """
model = "pump"
[fixed]
L = 6
N = 3
eta = 0.95
[axes]
S = [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]
omega = {start = 0.1, stop = 1.9, step = 0.3}
[run]
block_points = 1
"""


def test_a_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    import xarray as xr

    config = tmp_path / "kill.toml"
    config.write_text(KILL_CONFIG)
    store = tmp_path / "killed.zarr"
    cmd = [sys.executable, "-m", "jaxmotor.cli.main", "sweep", str(config), "--out", str(store), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress = store / ".jaxmotor-progress"
    deadline = time.time() + 240
    while time.time() < deadline and not (progress.is_dir() and len(os.listdir(progress)) >= 2):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished_before = len([f for f in os.listdir(progress) if f.startswith("row-")])
    assert 2 <= finished_before < 8, "the kill must land mid-sweep"
    assert subprocess.run(cmd, capture_output=True, timeout=600).returncode == 0
    reference = tmp_path / "reference.zarr"
    assert subprocess.run([*cmd[:-3], "--out", str(reference), "--quiet"], capture_output=True, timeout=600).returncode == 0
    resumed, clean = xr.open_zarr(store), xr.open_zarr(reference)
    for name in clean.data_vars:
        np.testing.assert_array_equal(resumed[name].values, clean[name].values)
    assert len(os.listdir(progress)) == 8
