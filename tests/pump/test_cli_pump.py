"""The `jaxmotor pump point | sweep | spectrum` command-line contract."""

import json
import subprocess
import sys

import numpy as np
import pytest

from jaxmotor.cli.main import main
from jaxmotor.pump import PumpParams, make_basis, solve

POINT_KEYS = {"dim", "E", "E_prime", "E_prime_margin", "omega_tilde", "current", "delta_n", "delta_n_bare",
              "spin_gap", "ph_gap_min", "ph_gap_max", "Sz", "Sx2", "Sy2"}


def _run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_point_json_has_the_contract_keys_and_matches_the_library(capsys):
    record = _run_json(capsys, ["pump", "point", "--L", "6", "--S", "3/2", "--eta", "0.9", "--omega", "0.6", "--json"])
    assert POINT_KEYS <= set(record)
    obs = solve(PumpParams(omega=0.6, eta=0.9), make_basis(6, 3, "3/2"))
    assert record["dim"] == 20 * 4
    assert record["delta_n"] == pytest.approx(float(obs.delta_n), abs=1e-12)
    assert record["E_prime"] == pytest.approx(float(obs.E_prime), abs=1e-12)
    assert len(record["ph_gap"]) == 6 and record["ph_gap"][0][0] is None  # undefined diagonal -> null


def test_spectrum_json_lists_all_eigenvalues_in_order(capsys, tmp_path):
    record = _run_json(capsys, ["pump", "spectrum", "--L", "4", "--N", "1", "--S", "2", "--omega", "0.25",
                                "--json", "--plot", "--out", str(tmp_path)])
    ev = np.array(record["eigenvalues"])
    assert ev.shape == (4 * 5,) and np.all(np.diff(ev) >= 0)
    assert (tmp_path / "pump_spectrum.png").stat().st_size > 1000


def test_sweep_writes_a_labeled_store_and_a_plot(capsys, tmp_path):
    import xarray as xr

    record = _run_json(capsys, ["pump", "sweep", "--L", "4", "--S", "2", "--omega-min", "0.2", "--omega-max", "1.0",
                                "--omega-step", "0.2", "--out", str(tmp_path), "--json"])
    ds = xr.open_zarr(record["data"])
    np.testing.assert_allclose(ds["omega"].values, [0.2, 0.4, 0.6, 0.8, 1.0])
    assert ds["ph_gap"].dims == ("omega", "l", "m")
    assert ds.attrs["L"] == 4 and "jax_version" in ds.attrs
    np.testing.assert_allclose(ds["delta_n"].values, record["delta_n"])
    assert (tmp_path / "pump_sweep.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "args",
    [
        ["pump", "point", "--L", "7"],
        ["pump", "point", "--N", "9"],
        ["pump", "point", "--S", "1.3"],
        ["pump", "point", "--omega", "nan"],
        ["pump", "point", "--eta", "inf"],
        ["pump", "point", "--L", "40"],
        ["pump", "point", "--L", "4", "--disorder", "1,2"],
        ["pump", "sweep", "--omega-step", "0"],
        ["pump", "sweep", "--omega-min", "2", "--omega-max", "1"],
        ["pump", "point", "--L", "abc"],
        ["pump", "nonsense"],
    ],
)
def test_bad_input_prints_one_line_and_exits_2(args):
    proc = subprocess.run([sys.executable, "-m", "jaxmotor.cli.main", *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
    assert "Traceback" not in proc.stderr
