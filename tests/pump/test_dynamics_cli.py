"""The `jaxmotor pump dynamics` command-line contract and the eigenstate-transport module."""

import json

import numpy as np
import pytest

from jaxmotor.cli.main import main
from jaxmotor.pump import PumpParams, _dynamics as dy, hamiltonian, make_basis, solve
from jaxmotor.pump._dynamics_eigenstates import _sector_states, eigenstate_transport, pumping_fraction
from jaxmotor.pump._sectors import make_sectors

CONTRACT = ("t", "Sx", "Sy", "Sz", "entanglement_entropy", "energy", "norm", "charge", "charge_per_revolution")


def test_dynamics_json_has_the_contract_keys_and_matches_the_library(capsys, tmp_path):
    import xarray as xr

    argv = ["pump", "dynamics", "--L", "6", "--S", "2", "--omega", "0.5", "--t-max", "10", "--records", "11",
            "--method", "krylov", "--json", "--out", str(tmp_path)]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    for key in CONTRACT:
        assert key in record
    assert len(record["t"]) == 11 and record["t"][0] == 0.0 and record["t"][-1] == pytest.approx(10.0)
    res = dy.dynamics(PumpParams(omega=0.5), 6, None, 2, t_max=10.0, records=11,
                      config=dy.DynamicsConfig(method="krylov"))
    np.testing.assert_allclose(record["charge"], res.charge, atol=1e-12)
    np.testing.assert_allclose(record["Sy"], res.Sy, atol=1e-12)
    ds = xr.open_zarr(record["data"])
    assert ds["bond_currents"].dims == ("time", "bond") and ds["meanfield_charge"].dims == ("time",)
    assert (tmp_path / "pump_dynamics.png").stat().st_size > 1000


def test_dynamics_cli_from_an_eigenstate_out_of_plane_start(capsys, tmp_path):
    assert main(["pump", "dynamics", "--L", "6", "--S", "1", "--omega", "0.5", "--t-max", "4", "--records", "5",
                 "--polar", "30", "--azimuth", "10", "--no-plot", "--json", "--out", str(tmp_path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["Sz"][0] == pytest.approx(np.cos(np.deg2rad(30)), abs=1e-12)
    assert record["meanfield_charge_per_revolution"] is None  # the mean field starts in the plane only
    assert main(["pump", "dynamics", "--L", "6", "--S", "1", "--eigenstate", "3", "--t-max", "4", "--records", "5",
                 "--no-plot", "--json", "--out", str(tmp_path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert np.ptp(record["Sz"]) < 1e-10


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as err:  # argparse's own errors (OneLineParser: one line, status 2)
        return err.code


@pytest.mark.parametrize("args", [
    ["--L", "7"], ["--S", "-1"], ["--omega", "0"], ["--records", "1"], ["--t-max", "-1"], ["--method", "euler"],
    ["--polar", "nan"], ["--eigenstate", "100000"], ["--L", "12", "--method", "exact"], ["--tol", "0"],
])
def test_dynamics_bad_input_is_one_line_and_exit_2(capsys, tmp_path, args):
    assert _exit_code(["pump", "dynamics", "--S", "1", "--L", "6", *args, "--no-plot", "--out", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]


def test_every_eigenstate_transport_selected_state_and_trace():
    """Δn of the selected state (minimal E') equals solve()'s; Σ_n ⟨n|J̄|n⟩ = Tr J̄ = 0; each
    eigenstate carries the same current on every bond (checked on a few states)."""
    L, S = 6, 3
    p = PumpParams(omega=0.4)
    basis = make_basis(L, None, S)
    sectors, tables = make_sectors(basis), dy.make_hop_tables(L, None, S)
    res = eigenstate_transport(p, basis, sectors, tables)
    obs = solve(p, basis)
    i = int(np.argmin(res.E_prime))
    assert res.energy.size == basis.dim
    assert res.delta_n[i] == pytest.approx(float(obs.delta_n), abs=1e-10)
    assert res.omega_tilde[i] == pytest.approx(float(obs.omega_tilde), abs=1e-10)
    assert abs(res.current.sum()) < 1e-10
    np.testing.assert_allclose(res.energy, np.linalg.eigvalsh(np.asarray(hamiltonian(p, basis))), atol=1e-10)
    _, _, vectors = _sector_states(p, basis, sectors)
    for k, a in ((0, 0), (1, 5), (3, 2)):
        currents = np.asarray(dy.bond_currents(p, tables, vectors[k, a]))
        np.testing.assert_allclose(currents, currents.mean(), atol=1e-10)
    frac = pumping_fraction(res, bins=5)
    assert frac["count"].sum() == basis.dim
    assert frac["total_fraction"] == pytest.approx(np.mean(np.abs(res.delta_n - 1) < 0.25))
    ds = res.to_dataset()
    assert ds["delta_n"].dims == ("state",)
