"""Statics of the motor (motor paper Sec. III, App. A): the numerically integrated RG flows against
Eq. 15, the shell sum of Eq. A4, the Eq. 16 factor, solitons and the critical chemical potential."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.motor import closed_forms as cf
from jaxmotor.motor._statics import (
    check_statics,
    flow_rate,
    printed_gap_ratio,
    rg_flow,
    rg_gap,
    shell_exponent,
    statics,
)

V0, VC, LAM = 0.05, 1.0, 0.5


@pytest.mark.parametrize("flow", ["physical", "rescaled"])
def test_integrated_flow_stops_at_the_gap_of_eq15(flow):
    Ks = np.linspace(0.05, 1.9, 12)
    res = statics(Ks)
    gap = np.asarray(cf.gap(Ks, V0, VC, LAM))
    np.testing.assert_allclose(res.rg_gap if flow == "physical" else res.rg_gap_rescaled, gap, rtol=1e-6)
    # Eq. 14: the potential where the flow of Eq. 13 stops gives the gap through Eq. 11
    V_star = V0 * (2 * np.pi * VC / (LAM * gap)) ** (-Ks)
    np.testing.assert_allclose(np.sqrt(4 * V_star * Ks * VC / LAM), gap, rtol=1e-12)
    np.testing.assert_allclose(2 * np.pi * VC / LAM * np.exp(-np.asarray(res.rg_scale)), gap, rtol=1e-6)


def test_flow_is_the_exponential_of_eq13_and_eq9():
    l = jnp.linspace(0.0, 6.0, 31)
    for flow, rate in (("physical", -0.7), ("rescaled", 1.3)):
        # RK4: relative error ≈ (steps)(h·rate)⁵/120 = 480 × (0.0125 × 1.3)⁵/120 ≈ 4e-9
        np.testing.assert_allclose(rg_flow(0.7, V0, l, flow=flow, substeps=16), V0 * np.exp(rate * l), rtol=1e-8)
    assert float(flow_rate(0.7, "physical")) == -0.7 and float(flow_rate(0.7, "rescaled")) == pytest.approx(1.3)


def test_shell_sum_of_eq_a3_is_K_ln_b():
    """The fast-mode sum of Eq. A3 on a Matsubara x momentum lattice → K ln b (Eq. A4), the b^{-K} of
    Eq. A5 that makes Eq. 13 (and Eq. 9: 2 - K); the lattice error falls with the number of modes."""
    K, b = 0.7, 3.0
    errors = [abs(float(shell_exponent(K, b, m)) / (K * np.log(b)) - 1) for m in (50, 200)]
    assert errors[1] < 1e-3 and errors[1] < errors[0]


def test_eq16_as_printed_is_smaller_than_the_ratio_of_eq15_by_two_to_the_1mK_over_2mK():
    Ks = jnp.array([0.2, 0.6, 0.9, 1.0, 1.4])
    ratio_eq15 = cf.gap(Ks, V0, VC, LAM) / cf.gap(1.0, V0, VC, LAM)
    np.testing.assert_allclose(cf.gap_ratio(Ks, V0, VC, LAM), ratio_eq15, rtol=1e-12)
    np.testing.assert_allclose(ratio_eq15 / printed_gap_ratio(Ks, V0, VC, LAM), 2 ** ((1 - Ks) / (2 - Ks)), rtol=1e-12)
    assert float(ratio_eq15[1] / printed_gap_ratio(0.6, V0, VC, LAM)) == pytest.approx(1.219, abs=1e-3)
    # the numerically integrated flows give the Eq. 15 ratio, not the printed one
    rg = np.array([float(rg_gap(k, V0, VC, LAM)[0]) for k in (0.6, 1.0)])
    assert rg[0] / rg[1] == pytest.approx(float(cf.gap_ratio(0.6, V0, VC, LAM)), rel=1e-7)
    # repulsion enhances the gap when πv_c/λ ≫ V₀ (Eq. 16's "> 1"); at K = 1 Eq. 15 gives 2V₀/π
    assert np.all(np.asarray(cf.gap_ratio(Ks[:3], V0, VC, LAM)) > 1)
    assert float(cf.gap(1.0, V0, VC, LAM)) == pytest.approx(2 * V0 / np.pi, rel=1e-14)


def test_solitons_and_critical_chemical_potential_of_eqs_22_to_24():
    res = statics([0.4, 0.8])
    np.testing.assert_allclose(res.soliton_energy, 2 * np.asarray(res.gap) / (np.pi * np.asarray(res.K)))
    np.testing.assert_allclose(res.critical_chemical_potential, res.soliton_energy)
    # μ_c is where the optimal soliton density of Eq. 23 turns positive
    for K, gap, mu_c in zip(np.asarray(res.K), np.asarray(res.gap), np.asarray(res.critical_chemical_potential)):
        assert float(cf.optimal_soliton_density(mu_c, gap, K, VC)) == pytest.approx(0.0, abs=1e-14)
        assert float(cf.optimal_soliton_density(1.01 * mu_c, gap, K, VC)) > 0


def test_rg_gap_under_jit_vmap_and_grad_matches_eq15():
    Ks = jnp.array([0.3, 0.6, 1.2])
    batched, _ = jax.vmap(lambda k: rg_gap(k, V0, VC, LAM))(Ks)
    np.testing.assert_allclose(batched, [float(jax.jit(lambda k: rg_gap(k, V0, VC, LAM)[0])(k)) for k in Ks],
                               rtol=1e-13)
    for argnum in range(4):
        args = (0.6, V0, VC, LAM)
        g = jax.grad(lambda *a: rg_gap(*a)[0], argnums=argnum)(*args)
        assert float(g) == pytest.approx(float(jax.grad(cf.gap, argnums=argnum)(*args)), rel=1e-6)


def test_rg_flow_under_vmap_and_grad():
    l = jnp.linspace(0.0, 3.0, 7)
    batched = jax.vmap(lambda k: rg_flow(k, V0, l))(jnp.array([0.4, 0.8]))
    np.testing.assert_allclose(batched[1], jax.jit(lambda k: rg_flow(k, V0, l))(0.8), rtol=1e-14)
    g = jax.grad(lambda k: rg_flow(k, V0, l)[-1])(0.8)  # d/dK V₀e^{-Kl} = -l V(l)
    assert float(g) == pytest.approx(-3.0 * V0 * np.exp(-0.8 * 3.0), rel=1e-6)  # RK4, h·K = 0.05: ~1e-7


def test_dataset_has_named_dims():
    ds = statics([0.5, 1.0], points=9).to_dataset()
    assert ds["gap"].dims == ("K",) and ds["potential"].dims == ("K", "l") and ds.sizes["l"] == 9


@pytest.mark.parametrize("args,name", [
    ((2.0, V0, VC, LAM), "K"), ((0.0, V0, VC, LAM), "K"), ((0.5, -1.0, VC, LAM), "V0"),
    ((0.5, V0, 0.0, LAM), "vc"), ((0.5, V0, VC, -LAM), "cutoff_length"),
    ((0.5, 50.0, VC, LAM), "V0"),  # the gap would exceed the cutoff 2πv_c/λ
])
def test_bad_input_is_a_value_error_naming_the_parameter(args, name):
    with pytest.raises(ValueError, match=f"^{name}="):
        check_statics(*args)
    with pytest.raises(ValueError, match=f"^{name}="):
        statics(args[0], *args[1:])


def test_cli_statics_json_contract(capsys, tmp_path):
    import json

    from jaxmotor import store
    from jaxmotor.cli.main import main

    argv = ["motor", "statics", "--K", "0.6", "--V0", "0.05", "--vc", "1", "--cutoff-length", "0.5",
            "--K-points", "6", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    gap = float(cf.gap(0.6, V0, VC, LAM))
    assert record["gap"] == pytest.approx(gap, rel=1e-14)
    assert record["gap_ratio"] == pytest.approx(float(cf.gap_ratio(0.6, V0, VC, LAM)), rel=1e-14)
    assert record["soliton_energy"] == pytest.approx(2 * gap / (np.pi * 0.6), rel=1e-14)
    assert record["critical_chemical_potential"] == pytest.approx(2 * gap / (np.pi * 0.6), rel=1e-14)
    assert record["rg_gap"] == pytest.approx(gap, rel=1e-6)
    assert record["gap_ratio"] / record["gap_ratio_printed_eq16"] == pytest.approx(2 ** (0.4 / 1.4), rel=1e-12)
    assert store.open_store(record["data"])["gap"].dims == ("K",)
    assert (tmp_path / "motor_statics.png").is_file()


@pytest.mark.parametrize("extra", [["--K", "2.5"], ["--K", "0.5", "--V0", "-1"], ["--K", "0.5", "--V0", "100"],
                                   ["--K", "0.5", "--K-points", "1"], []])
def test_cli_statics_bad_input_is_one_line_exit_2(capsys, tmp_path, extra):
    from jaxmotor.cli.main import main

    code = None
    try:
        code = main(["motor", "statics", "--out", str(tmp_path), "--no-plot", *extra])
    except SystemExit as exit_:  # argparse: the missing --K
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "error:" in err and "\n" not in err
