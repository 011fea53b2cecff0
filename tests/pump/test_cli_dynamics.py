"""The `jaxmotor pump meanfield | chern` command-line contract."""

import json

import numpy as np
import pytest

from jaxmotor.cli.main import main
from jaxmotor.pump import MeanFieldConfig, PumpParams, meanfield


def _run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_chern_json_has_the_contract_keys(capsys, tmp_path):
    record = _run_json(capsys, ["pump", "chern", "--eta", "0.95", "--json", "--out", str(tmp_path),
                                "--eta-min", "0.5", "--eta-max", "1.0", "--eta-step", "0.25"])
    assert record["chern"] == -1 and isinstance(record["chern"], int)
    assert record["band_gap_min"] == pytest.approx(1.9, abs=1e-12)  # 2η, Eq. 27 at k = π
    assert record["pumped_charge_per_period_adiabatic"] == pytest.approx(1.0034, abs=1e-4)
    assert record["chern_scan"] == [-1, -1, -1]
    assert (tmp_path / "pump_chern.png").stat().st_size > 1000


def test_meanfield_json_single_point_matches_the_library(capsys, tmp_path):
    record = _run_json(capsys, ["pump", "meanfield", "--S", "8", "--omega", "0.6", "--periods", "3",
                                "--n-saved", "30", "--json", "--out", str(tmp_path)])
    for key in ("pumped_charge_per_period", "encircles", "omega", "S", "eta", "L", "N", "revolutions",
                "omega_tilde", "energy_error", "charge_per_bare_period", "data", "plot"):
        assert key in record
    res = meanfield(PumpParams(omega=0.6), MeanFieldConfig(S=8.0, periods=3, n_saved=30))
    assert record["encircles"] is True and record["revolutions"] == int(res.revolutions)
    assert record["pumped_charge_per_period"] == pytest.approx(float(res.pumped_charge_per_period), abs=1e-12)


def test_meanfield_grid_writes_a_labeled_store_with_the_lower_transition(capsys, tmp_path):
    import xarray as xr

    record = _run_json(capsys, ["pump", "meanfield", "--S", "5,10", "--omega-min", "0.15", "--omega-max", "0.45",
                                "--omega-step", "0.1", "--periods", "3", "--n-saved", "20", "--json",
                                "--out", str(tmp_path)])
    ds = xr.open_zarr(record["data"])
    assert ds["spin"].dims == ("S", "omega", "t", "component")
    np.testing.assert_allclose(ds["omega"].values, [0.15, 0.25, 0.35, 0.45])
    enc = np.array(record["encircles"])
    assert enc.shape == (2, 4)
    # lower transition near 1.87/S (docs/physics.md): S=5 only at 0.45, S=10 from 0.25 on
    np.testing.assert_array_equal(enc, [[False, False, False, True], [False, True, True, True]])
    np.testing.assert_allclose(record["omega_min"], [0.45, 0.25])
    assert record["pumped_charge_per_period"][0][0] is None  # no revolution -> null
    assert (tmp_path / "pump_meanfield.png").stat().st_size > 1000
    assert (tmp_path / "pump_meanfield_trajectory.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "args",
    [
        ["pump", "chern", "--eta", "0"],
        ["pump", "chern", "--eta", "nan"],
        ["pump", "chern", "--n-k", "2"],
        ["pump", "chern", "--Delta", "abc"],
        ["pump", "meanfield", "--S", "-1", "--omega", "0.5"],
        ["pump", "meanfield", "--S", "a,b", "--omega", "0.5"],
        ["pump", "meanfield", "--omega", "0"],
        ["pump", "meanfield", "--omega", "inf"],
        ["pump", "meanfield", "--L", "7", "--omega", "0.5"],
        ["pump", "meanfield", "--order", "3", "--omega", "0.5"],
        ["pump", "meanfield", "--dt", "-1", "--omega", "0.5"],
        ["pump", "meanfield", "--omega", "1e-9"],
    ],
)
def test_bad_input_exits_2_with_one_line(args, capsys, tmp_path):
    try:
        code = main([*args, "--json", "--out", str(tmp_path)])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "error" in err[0]
