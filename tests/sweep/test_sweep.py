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
from jaxmotor.sweep._spec import axis_values


def test_axis_forms_give_the_expected_values():
    stepped = axis_values("w", {"start": 0.1, "stop": 0.5, "step": 0.1})
    np.testing.assert_allclose(stepped["w"], [0.1, 0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(axis_values("w", {"start": 0, "stop": 1, "num": 3})["w"], [0, 0.5, 1])
    np.testing.assert_allclose(axis_values("T", {"start": 0.01, "stop": 1, "num": 3, "log": True})["T"], [0.01, 0.1, 1])
    zipped = axis_values("JD", {"zip": {"J": [1, 2], "Delta": [3, 4]}})
    assert set(zipped) == {"J", "Delta"}
    np.testing.assert_allclose(zipped["J"], [1, 2])
    np.testing.assert_allclose(zipped["Delta"], [3, 4])


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
    proc = subprocess.run([*cmd[:-3], "--out", str(reference), "--quiet"], capture_output=True, timeout=600)
    assert proc.returncode == 0
    resumed, clean = xr.open_zarr(store), xr.open_zarr(reference)
    for name in clean.data_vars:
        np.testing.assert_array_equal(resumed[name].values, clean[name].values)
    assert len(os.listdir(progress)) == 8


MOTOR_SPEC = {"model": "motor",
              "fixed": {"K": 0.5, "tau": 1.0, "noise": "paper", "dt": 0.05, "time": 60.0, "trajectories": 8,
                        "burn_in": 20.0},
              "axes": {"temperature": [0.1, 0.3], "F_load": {"start": 0.0, "stop": 0.12, "num": 3}},
              "run": {"block_points": 1}}


def test_motor_sweep_equals_one_direct_ensemble_whatever_the_blocks(tmp_path):
    """Blocks of one row (3 points) give what one batched simulate of all 6 points gives: the noise
    plan and burn-in are chosen from the whole grid and the trajectory keys are common."""
    import jax
    import xarray as xr

    from jaxmotor.motor import MotorParams, noise_plan, simulate

    ds = xr.open_zarr(run(from_dict(MOTOR_SPEC), tmp_path / "m.zarr", progress=False))
    assert ds["power_out"].dims == ("temperature", "F_load") and ds.attrs["fixed_tau"] == 1.0
    T, F = np.meshgrid([0.1, 0.3], [0.0, 0.06, 0.12], indexing="ij")
    params = MotorParams(K=0.5, tau=1.0, noise="paper", temperature=T, F_load=F)
    direct = simulate(params, jax.random.key(0), dt=0.05, time=60.0, trajectories=8,
                      burn_in=20.0, plan=noise_plan(params, 0.05))
    for name in ("mean_velocity", "power_out", "efficiency", "velocity_variance", "energy_balance_residual"):
        np.testing.assert_allclose(ds[name].values, getattr(direct, name), rtol=1e-12, atol=1e-14, err_msg=name)


def test_motor_sweep_over_tau_and_the_noise_kind_equals_direct_ensembles_of_each_kind(tmp_path):
    """tau and noise are structural (they change the run's shape): the sweep groups the points by them;
    tau = 0 is the infinite Luttinger liquid. Every entry equals a direct simulate of its own kind."""
    import jax
    import xarray as xr

    from jaxmotor.motor import MotorParams, default_burn_in, noise_plan, simulate
    from jaxmotor.sweep import from_flags

    spec = from_flags("motor", ["K=0.5", "dt=0.05", "time=120", "trajectories=4", "temperature=0.2"],
                      ["noise=white,paper", "tau=0,1", "F_load=0:0.1:0.05"])
    ds = xr.open_zarr(run(spec, tmp_path / "kinds.zarr", progress=False))
    assert ds["mean_velocity"].dims == ("noise", "tau", "F_load")
    assert list(ds["noise"].values) == ["white", "paper"]
    F = np.array([0.0, 0.05, 0.1])
    for i, kind in enumerate(("white", "paper")):
        for j, tau in enumerate((None, 1.0)):
            params = MotorParams(K=0.5, temperature=0.2, tau=tau, noise=kind, F_load=F)
            direct = simulate(params, jax.random.key(0), dt=0.05, time=120.0, trajectories=4,
                              burn_in=default_burn_in(params), plan=noise_plan(params, 0.05))
            np.testing.assert_allclose(ds["mean_velocity"].values[i, j], direct.mean_velocity, rtol=1e-12)
            np.testing.assert_allclose(ds["power_out"].values[i, j], direct.power_out, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="^axes.dt="):
        run(from_flags("motor", [], ["dt=0.01,0.02", "F_load=0,0.1"]), tmp_path / "bad.zarr", progress=False)


MULTI_DEVICE_SCRIPT = r"""
import json, sys
import jax, numpy as np
import jaxmotor
from jaxmotor.pump import PumpParams, make_basis, solve
from jaxmotor import _devices as devices
from jaxmotor.pump import EighSolver
from jaxmotor.sweep import from_dict
from jaxmotor.sweep._models import model_for
assert jax.device_count() == 4, jax.devices()
chunk = devices.shard_batch({"x": np.arange(8.0)})["x"]
spread = len({s.device for s in chunk.addressable_shards})
import importlib
spectrum = importlib.import_module("jaxmotor.pump._solve")
basis = make_basis(6, 3, 2)
points = devices.shard_batch(jax.tree.map(np.asarray, PumpParams(omega=np.linspace(0.2, 1.8, 8)).broadcast(6)))
energies = spectrum._chunk_kernel("observables", "sectors", EighSolver("lapack"))(points, basis).E
out_spread = len({s.device for s in energies.addressable_shards if s.data.size})
obs = solve(PumpParams(omega=np.linspace(0.2, 1.8, 6)), basis, memory_budget=2**30)
motor = model_for(from_dict(json.loads(sys.argv[1])))
motor.validate()
grid = motor.spec.points()
out = motor.compute({k: v.reshape(-1) for k, v in grid.items()})
print(json.dumps({"spread": spread, "out_spread": out_spread, "delta_n": obs.delta_n.tolist(), "E": obs.E.tolist(),
                  "power_out": out["power_out"].values.tolist()}))
"""


def test_four_virtual_devices_give_the_one_device_results_and_really_shard(tmp_path):
    import json

    from jaxmotor.sweep._models import model_for

    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", MULTI_DEVICE_SCRIPT, json.dumps(MOTOR_SPEC)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    four = json.loads(proc.stdout.strip().splitlines()[-1])
    assert four["spread"] == 4 and four["out_spread"] == 4  # inputs and the kernel's outputs sit on 4 devices
    one = solve(PumpParams(omega=np.linspace(0.2, 1.8, 6)), make_basis(6, 3, 2), memory_budget=2**30)
    np.testing.assert_allclose(four["delta_n"], one.delta_n, atol=1e-12)
    np.testing.assert_allclose(four["E"], one.E, atol=1e-13)
    motor = model_for(from_dict(MOTOR_SPEC))
    motor.validate()
    out = motor.compute({k: v.reshape(-1) for k, v in motor.spec.points().items()})
    # same keys, same trajectories: equal to round-off (a device's vmapped batch is a quarter as long, and XLA's
    # CPU vectorization of the step loop then rounds a few results differently, ~1e-16 relative)
    np.testing.assert_allclose(four["power_out"], out["power_out"].values, rtol=1e-13, atol=1e-16)


def test_deterministic_gpu_kernels_are_requested_once_and_respect_the_user(monkeypatch):
    from jaxmotor.cli.sweep import deterministic_gpu_ops

    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    deterministic_gpu_ops()
    deterministic_gpu_ops()
    assert os.environ["XLA_FLAGS"] == "--xla_force_host_platform_device_count=2 --xla_gpu_deterministic_ops=true"
    monkeypatch.setenv("XLA_FLAGS", "--xla_gpu_deterministic_ops=false")
    deterministic_gpu_ops()
    assert os.environ["XLA_FLAGS"] == "--xla_gpu_deterministic_ops=false"


def test_blocks_are_sized_from_the_memory_budget_and_a_tenth_of_the_grid(tmp_path, monkeypatch):
    from jaxmotor.sweep import _models

    sizes = []
    compute = _models.PumpSweep.compute

    def spy(self, points, **kwargs):
        sizes.append(len(next(iter(points.values()))))
        return compute(self, points, **kwargs)

    monkeypatch.setattr(_models.PumpSweep, "compute", spy)
    spec = from_dict({"model": "pump", "fixed": {"L": 4, "S": 1},
                      "axes": {"eta": {"start": 0.1, "stop": 0.9, "num": 20}, "omega": [0.3, 0.6, 0.9, 1.2, 1.5]}})
    per_point = _models.model_for(spec).point_bytes()
    run(spec, tmp_path / "big.zarr", progress=False)  # plenty of memory: a tenth of the 100 points, 2 rows
    assert sizes == [10] * 10
    sizes.clear()
    run(spec, tmp_path / "small.zarr", progress=False, memory_budget=7 * per_point)  # 7 points fit: one row
    assert sizes == [5] * 20
