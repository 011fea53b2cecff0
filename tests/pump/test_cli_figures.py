"""The `jaxmotor pump phase | correlations | disorder | phgap` command-line contract (small sizes)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from jaxmotor.cli.main import main


def _run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_phase_json_store_and_plot(capsys, tmp_path):
    import xarray as xr

    record = _run_json(capsys, ["pump", "phase", "--L", "4", "--S", "2:3", "--omega-min", "0.1", "--omega-max", "1.3",
                                "--omega-step", "0.2", "--fit-S-min", "2", "--out", str(tmp_path), "--json"])
    for key in ("S", "omega", "delta_n", "omega_min", "omega_upper", "prefactor", "prefactor_err", "eq20_prefactor",
                "ratio_to_eq20", "upper_large_S", "eq21", "data", "plot"):
        assert key in record
    assert record["S"] == [2.0, 3.0] and np.shape(record["delta_n"]) == (2, 7)
    ds = xr.open_zarr(record["data"])
    assert ds["delta_n"].dims == ("S", "omega")
    np.testing.assert_allclose(ds["delta_n"].values, record["delta_n"])
    assert record["eq20_prefactor"] == pytest.approx(0.95 * 2) and record["eq21"] == pytest.approx(1.9)
    lower = np.array(record["omega_min"], dtype=float)
    assert record["fit_points"] == np.isfinite(lower).sum()
    if record["fit_points"]:
        S = np.array(record["S"])[np.isfinite(lower)]
        assert record["prefactor"] == pytest.approx(np.sum(lower[np.isfinite(lower)] / S) / np.sum(1 / S**2))
    assert (tmp_path / "pump_phase.png").stat().st_size > 1000


def test_correlations_json_and_store(capsys, tmp_path):
    import xarray as xr

    record = _run_json(capsys, ["pump", "correlations", "--L", "4", "--S", "2", "--omega", "0.5,1", "--t-max", "40",
                                "--t-points", "81", "--out", str(tmp_path), "--json"])
    for key in ("omega", "omega_tilde", "dominant_frequency", "delta_n", "Sx2", "Sy2", "SxSy_imag", "data", "plot"):
        assert key in record
    ds = xr.open_zarr(record["data"])
    assert ds["xx"].dims == ("omega", "t") and np.iscomplexobj(ds["xx"].values)
    np.testing.assert_allclose(ds["xx"].values[:, 0].real, record["Sx2"])
    assert (tmp_path / "pump_correlations.png").stat().st_size > 1000


def test_disorder_json_contract_and_reproducible_seed(capsys, tmp_path):
    def run(seed, realizations):
        return _run_json(capsys, ["pump", "disorder", "--L", "4", "--S", "2", "--eps0", "0.5", "--seed", str(seed),
                                  "--realizations", str(realizations), "--out", str(tmp_path), "--json"])

    first = run(1, 4)
    for key in ("delta_n_mean", "delta_n_std", "failed_fraction", "delta_n"):
        assert key in first
    assert len(first["delta_n"]) == 4
    assert first["delta_n_mean"] == pytest.approx(np.mean(first["delta_n"]))
    assert first["delta_n_std"] == pytest.approx(np.std(first["delta_n"], ddof=1))
    assert run(1, 4)["delta_n"] == first["delta_n"]
    np.testing.assert_allclose(run(1, 2)["delta_n"], first["delta_n"][:2], atol=1e-12)  # smaller batch, same numbers
    assert run(2, 4)["delta_n"] != first["delta_n"]
    assert (tmp_path / "pump_disorder.png").stat().st_size > 1000


def test_disorder_sweep_lists_every_eps0(capsys, tmp_path):
    record = _run_json(capsys, ["pump", "disorder", "--L", "4", "--S", "1", "--eps0", "0,0.3", "--realizations", "3",
                                "--out", str(tmp_path), "--json", "--no-plot"])
    assert record["eps0"] == [0.0, 0.3] and np.shape(record["delta_n"]) == (2, 3)
    assert len(record["failed_fraction"]) == 2 and "plot" not in record


def test_phgap_json_is_an_L_by_L_map(capsys, tmp_path):
    record = _run_json(capsys, ["pump", "phgap", "--L", "4", "--S", "2", "--omega", "0.5", "--out", str(tmp_path),
                                "--json"])
    gap = np.array(record["ph_gap"], dtype=float)  # null -> nan
    assert gap.shape == (4, 4) and np.all(np.isnan(np.diag(gap)))
    assert np.nanmin(gap) == pytest.approx(record["ph_gap_min"])
    assert (tmp_path / "pump_phgap.png").stat().st_size > 1000


@pytest.mark.parametrize(
    "args",
    [
        ["pump", "phase", "--S", "1.3"],
        ["pump", "phase", "--S", "5:2"],
        ["pump", "phase", "--omega-min", "1", "--omega-max", "1"],
        ["pump", "correlations", "--omega", "abc"],
        ["pump", "correlations", "--t-points", "2"],
        ["pump", "correlations", "--method", "sectors"],
        ["pump", "disorder", "--eps0", "-1"],
        ["pump", "disorder", "--realizations", "0"],
        ["pump", "phgap", "--L", "5"],
    ],
)
def test_bad_input_prints_one_line_and_exits_2(args, capsys, tmp_path):
    assert main([*args, "--out", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jaxmotor: error:")


def test_bad_flag_from_the_shell_exits_2_with_one_line():
    proc = subprocess.run([sys.executable, "-m", "jaxmotor.cli.main", "pump", "disorder", "--realizations", "many"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in proc.stderr
