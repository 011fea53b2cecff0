"""Gradient design of the pump: maximize the minimum particle-hole gap over (η, Δ/J) at fixed ω while
Δn stays quantized (issue 6 part 5). L = 6, S = 5 (dimension 220), ω = 0.5."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.cli.main import main
from jaxmotor.pump import PumpParams, make_basis, observables, optimize_gap, solve

BASIS = make_basis(6, 3, 5)
OMEGA, TOL, BARRIER = 0.5, 0.03, 3e-3
ETA_BOX, DELTA_BOX = (0.05, 0.99), (0.05, 3.0)


@pytest.fixture(scope="module")
def design():
    return optimize_gap(PumpParams(omega=OMEGA, eta=0.95, Delta=1.0), BASIS, eta_bounds=ETA_BOX,
                        delta_bounds=DELTA_BOX, quantization_tol=TOL, barrier=BARRIER)


def _solve(eta, Delta, **kwargs):
    return solve(PumpParams(omega=OMEGA, eta=np.asarray(eta), Delta=np.asarray(Delta)), BASIS, **kwargs)


def _best_quantized_gap(eta, Delta):
    obs = _solve(eta, Delta)
    quantized = np.abs(obs.delta_n - 1) < TOL
    assert quantized.sum() >= 5  # the search did find the plateau
    return float(np.max(obs.ph_gap_min[quantized]))


@jax.jit
def _gap_and_margin(x):
    """(ph_gap_min, E' margin) at (η, Δ) = x, both differentiable."""
    obs = observables(PumpParams(omega=OMEGA, eta=x[0], Delta=x[1]), BASIS, method="full")
    return jnp.stack([obs.ph_gap_min, obs.E_prime_margin])


_jacobian = jax.jit(jax.jacfwd(_gap_and_margin))


def test_selection_margin_is_the_pipelines_margin_and_its_gradient_matches_differences():
    x = jnp.array([0.97, 1.25])
    assert float(_gap_and_margin(x)[1]) == pytest.approx(float(_solve(0.97, 1.25).E_prime_margin), abs=1e-10)
    h = 1e-5
    fd = [(_gap_and_margin(x.at[i].add(h))[1] - _gap_and_margin(x.at[i].add(-h))[1]) / (2 * h) for i in range(2)]
    np.testing.assert_allclose(_jacobian(x)[1], fd, rtol=1e-6, atol=1e-8)


def test_optimum_is_quantized_by_an_independent_full_space_ed(design):
    # The optimizer's checks use the symmetry sectors; this is the dense ED of the whole space.
    obs = _solve(design.eta, design.Delta, method="full")
    assert abs(float(obs.delta_n) - 1) < TOL
    assert float(obs.ph_gap_min) == pytest.approx(design.ph_gap_min, abs=1e-9)
    path = _solve(design.history["eta"], design.history["Delta"])
    assert np.all(np.abs(path.delta_n - 1) < TOL)  # every iterate stayed on the plateau
    assert design.ph_gap_min > design.history["ph_gap_min"][0] + 0.2  # 1.83 -> 2.11


def test_gradient_optimum_beats_random_and_grid_search_with_the_same_number_of_ed_evaluations(design):
    n = design.evaluations
    k_eta, k_delta = jax.random.split(jax.random.key(0))
    eta = jax.random.uniform(k_eta, (n,), minval=ETA_BOX[0], maxval=ETA_BOX[1])
    Delta = jax.random.uniform(k_delta, (n,), minval=DELTA_BOX[0], maxval=DELTA_BOX[1])
    assert design.ph_gap_min > _best_quantized_gap(eta, Delta)
    side = int(np.sqrt(n))
    grid_eta, grid_delta = np.meshgrid(np.linspace(*ETA_BOX, side), np.linspace(*DELTA_BOX, side))
    assert design.ph_gap_min > _best_quantized_gap(grid_eta, grid_delta)


def test_optimum_is_a_kkt_point_of_the_box_and_the_plateau_edge(design):
    x = jnp.array([design.eta, design.Delta])
    gap, margin = _gap_and_margin(x)
    d_gap, d_margin = _jacobian(x)
    lagrangian = d_gap + BARRIER / margin * d_margin  # ∇(gap + μ ln margin)
    # Δ: the gap alone still grows (the edge is active), the barrier's multiplier μ/margin balances it.
    assert d_gap[1] > 0.3
    assert abs(lagrangian[1]) < 0.02 * d_gap[1]
    # ... and the edge is real: a little more Δ and the pumping state is no longer selected.
    assert abs(float(_solve(design.eta, design.Delta + 0.02).delta_n) - 1) > TOL
    # η: pushed against its upper bound (the only way a positive derivative can remain).
    assert lagrangian[0] > 0.1
    assert ETA_BOX[1] - design.eta < 0.01 * (ETA_BOX[1] - ETA_BOX[0])
    # In the box variables the whole gradient has died out.
    assert design.history["grad_norm"][-1] < 0.02 * design.history["grad_norm"][0]


@pytest.mark.parametrize("kwargs,match", [
    ({"eta_bounds": (0.0, 0.99)}, "^eta_bounds="),
    ({"eta_bounds": (0.5, 1.2)}, "^eta_bounds="),
    ({"eta_bounds": (0.9, 0.5)}, "^eta_bounds="),
    ({"delta_bounds": (-1.0, 2.0)}, "^delta_bounds="),
    ({"omega": 0.0}, "^omega="),
    ({"omega": -0.5}, "^omega="),
    ({"quantization_tol": 0.0}, "^quantization_tol="),
    ({"barrier": -1.0}, "^barrier="),
    ({"steps": 0}, "^steps="),
    ({"params": PumpParams(omega=OMEGA, eta=0.995)}, r"^params\.eta="),
    ({"params": PumpParams(omega=OMEGA, eta=0.95, Delta=2.5)}, "^params=.*Δn"),  # off the plateau
    ({"params": PumpParams(omega=OMEGA, eta=np.array([0.9, 0.95]))}, "^params="),
])
def test_bad_input_raises_value_error_naming_the_parameter(kwargs, match):
    args = {"params": PumpParams(omega=OMEGA, eta=0.95, Delta=1.0), **kwargs}
    with pytest.raises(ValueError, match=match):
        optimize_gap(args.pop("params"), BASIS, **args)


def test_cli_prints_the_optimum_and_writes_the_history_plot(capsys, tmp_path):
    assert main(["pump", "gapdesign", "--steps", "4", "--json", "--out", str(tmp_path)]) == 0
    record = json.loads(capsys.readouterr().out)
    for key in ("eta", "Delta", "ph_gap_min", "delta_n", "iterations", "history"):
        assert key in record
    assert record["iterations"] == 4 and len(record["history"]["eta"]) == 5
    assert abs(record["delta_n"] - 1) < TOL and (tmp_path / "pump_gapdesign_history.png").stat().st_size > 0
    assert main(["pump", "gapdesign", "--omega", "0", "--json", "--no-plot"]) == 2
    assert capsys.readouterr().err.startswith("jaxmotor: error: omega=")
    assert main(["pump", "gapdesign", "--eta-bounds", "0,1", "--json", "--no-plot"]) == 2
    assert "eta_bounds=" in capsys.readouterr().err
