"""Closed forms (corrected per docs/physics.md §2): load curve, maximum power, dissipation, kernels, statics."""

import jax
import numpy as np
import pytest
from scipy import integrate

from jaxmotor.motor import MotorParams, closed_forms as cf


@pytest.mark.parametrize("leads", [False, True])
def test_output_power_is_maximal_at_V_over_4pi_with_eq41_power_and_efficiency_one_half(leads):
    V, K = 1.3, 0.4
    dP = jax.grad(lambda F: cf.power_out(V, F, K, leads))
    star = float(cf.max_power_load(V))
    assert star == pytest.approx(V / (4 * np.pi))
    assert abs(float(dP(star))) < 1e-14
    assert float(cf.power_out(V, star, K, leads)) == pytest.approx(float(cf.max_power(V, K, leads)), rel=1e-14)
    assert float(cf.efficiency(V, star, K, leads)) == pytest.approx(cf.efficiency_at_max_power(), rel=1e-14)


@pytest.mark.parametrize("leads", [False, True])
def test_steady_state_energy_balance_input_equals_output_plus_dissipation(leads):
    V, K, F = 2.0, 0.3, np.linspace(0, 2.0 / (2 * np.pi), 7)
    v = cf.steady_velocity(V, F, K, leads)
    np.testing.assert_allclose(cf.power_in(V, F, K, leads),
                               cf.power_out(V, F, K, leads) + cf.steady_dissipation(v, K, leads), rtol=1e-13)


def test_conductance_is_K_e2_over_h_without_leads_and_e2_over_h_with_leads():
    assert float(cf.current(1.0, 0.0, 0.3, False)) == pytest.approx(0.3 / (2 * np.pi))
    assert float(cf.current(1.0, 0.0, 0.3, True)) == pytest.approx(1 / (2 * np.pi))
    assert float(cf.motor_conductance(0.3, False)) == pytest.approx(0.3 / (2 * np.pi))


def test_move_dissipation_is_infinite_LL_like_up_to_tau_and_tends_to_the_lead_rate():
    K, tau, v = 0.4, 1.0, 0.7
    short = cf.move_dissipation(np.array([0.3, 1.0]), v, K, tau)
    np.testing.assert_allclose(short, np.array([0.3, 1.0]) * v**2 / (2 * np.pi * K), rtol=1e-14)
    rate = (cf.move_dissipation(201.0, v, K, tau) - cf.move_dissipation(200.0, v, K, tau))
    assert float(rate) == pytest.approx(v**2 / (2 * np.pi), rel=1e-12)
    # against the friction sum done term by term
    t_s, r = 3.5, (K - 1) / (K + 1)
    direct = v**2 / (2 * np.pi * K) * (t_s + 2 * sum(r**n * (t_s - n * tau) for n in range(1, 4)))
    assert float(cf.move_dissipation(t_s, v, K, tau)) == pytest.approx(direct, rel=1e-13)


def test_friction_kernel_dc_value_is_one_over_2pi_with_leads():
    for K in (0.2, 0.5, 3.0):
        assert complex(cf.friction_kernel(0.0, K, 1.5)) == pytest.approx(1 / (2 * np.pi))
        assert complex(cf.friction_kernel(0.0, K, None)) == pytest.approx(1 / (2 * np.pi * K))


@pytest.mark.parametrize("tau", [None, 0.7])
def test_paper_spectrum_is_the_fourier_transform_of_eq60_not_the_coth_form(tau):
    p = MotorParams(K=0.5, temperature=0.4, noise="paper", tau=tau)
    omega = 1.3
    ft, _ = integrate.quad(lambda t: float(cf.paper_covariance(t, p)) * np.cos(omega * t), 0, 200, limit=2000)
    assert float(cf.noise_spectrum(omega, p)) == pytest.approx(2 * ft, rel=1e-7)
    coth_form = 2 * float(cf.friction_kernel(omega, 0.5, tau).real) * omega / 2 / np.tanh(omega / 0.8)
    assert abs(coth_form - 2 * ft) > 0.1 * coth_form


def test_white_noise_quadrature_gives_equipartition():
    p = MotorParams(K=0.5, temperature=0.3, inertia=2.0, noise="white", tau=1.0)
    assert float(cf.velocity_variance(p)) == pytest.approx(0.3 / 2.0, rel=1e-4)


def test_transient_without_inertia_steps_at_multiples_of_tau():
    # I → 0: θ̇ = F/γ₀ - 2A, A(t) = Σ r^n θ̇(t - nτ): plateaus from the discrete recursion
    K, tau, V = 0.5, 1.0, 1.0
    r = (K - 1) / (K + 1)
    plateaus = []
    for n in range(6):
        A = sum(r**j * plateaus[n - j] for j in range(1, n + 1))
        plateaus.append(K * V - 2 * A)
    t = np.arange(6) * tau + 0.9
    np.testing.assert_allclose(cf.transient_velocity(t, V, 0.0, K, 1e-4, tau), plateaus, rtol=1e-9)


def test_statics_critical_chemical_potential_is_where_solitons_appear():
    K, vc, lam, V0 = 0.6, 1.0, 0.5, 0.05
    gap = cf.gap(K, V0, vc, lam)
    mu_c = cf.critical_chemical_potential(gap, K)
    assert float(cf.optimal_soliton_density(mu_c, gap, K, vc)) == pytest.approx(0.0, abs=1e-15)
    assert float(cf.soliton_energy(gap, K)) == pytest.approx(float(mu_c))
    # n_s,opt minimizes ε_el + n_s E_sol (Eqs. 21-23)
    mu = 1.5 * float(mu_c)
    cost = jax.grad(lambda n: cf.elastic_energy(n, mu, K, vc) + n * cf.soliton_energy(gap, K))
    assert abs(float(cost(cf.optimal_soliton_density(mu, gap, K, vc)))) < 1e-12
    assert float(cf.gap_ratio(K, V0, vc, lam)) == pytest.approx(float(gap / cf.gap(1.0, V0, vc, lam)), rel=1e-13)
    assert float(cf.gap_ratio(K, V0, vc, lam)) > 1  # repulsion enhances the gap (Eq. 16)
    assert float(cf.magnetic_gap(K, 2 * V0, vc, lam)) == pytest.approx(float(gap))
    assert float(cf.magnetic_inertia(4.0)) == 0.25
