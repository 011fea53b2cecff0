"""The classical Luttinger-liquid field driven by the motor (motor paper Secs. IV C, IV E, App. B):
checked against Eq. B25, energy conservation, the Langevin friction of Eq. 59 (and the engine's own
trajectory), and the dissipation of Eqs. 49, 64-66 and closed_forms.move_dissipation."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp

from jaxmotor.motor import MotorParams, closed_forms as cf, simulate
from jaxmotor.motor._field import FieldSolver, langevin_friction, prescribed_motion, solve_field


def _smooth_angle(t):
    """ϑ(t) = t - (√π/2) erf(t): ϑ̇ = 1 - e^{-t²} starts smoothly from rest (all derivatives vanish at 0⁺
    to first order), so the difference quotients are second order everywhere."""
    return t - np.sqrt(np.pi) / 2 * sp.erf(t)


def _smooth_velocity(t):
    return np.where(t > 0, 1 - np.exp(-(t**2)), 0.0)


def _direct_friction(t, K, tau, velocity, trips=80):
    """-γ₀[ϑ̇(t) + 2 Σ_{n≥1} rⁿ ϑ̇(t - nτ)] summed directly (Eq. 59)."""
    r = (K - 1) / (K + 1)
    memory = sum(r**n * velocity(t - n * tau) for n in range(1, trips)) if tau is not None else 0.0
    return -(velocity(t) + 2 * memory) / (2 * np.pi * K)


def _b25(theta, t, x, K, tau, trips=60):
    """φ(x, t) inside the wire, 0 ≤ x ≤ D/2 (v_c = 1), from the closed form Eq. B25."""
    r = (K - 1) / (K + 1)
    reflected = sum(r**n * (theta(t - x - n * tau) - theta(t + x - n * tau)) for n in range(1, trips))
    return -0.5 * (theta(t - x) + reflected)


def test_grid_field_is_eq_b25_on_the_nodes_for_a_random_motion():
    """At Courant number 1 the leapfrog is exact on the nodes (interface and outgoing end included)."""
    K, tau, dt, steps = 0.4, 1.0, 0.01, 700
    samples = np.concatenate([[0.0], np.cumsum(np.random.default_rng(3).normal(size=steps)) * dt])

    def theta(t):
        k = np.round(t / dt).astype(int)
        return np.where(k < 0, 0.0, samples[np.clip(k, 0, steps)])

    res = solve_field(jnp.asarray(samples), K, tau, FieldSolver(dt=dt, save_every=9))
    x = np.asarray(res.x)
    inside = (x >= 0) & (x <= tau / 2 + 1e-12)
    t, xx = np.meshgrid(np.asarray(res.frame_times), x[inside], indexing="ij")
    np.testing.assert_allclose(np.asarray(res.phi)[:, inside], _b25(theta, t, xx, K, tau), atol=1e-14)
    np.testing.assert_array_equal(np.asarray(res.phi), np.asarray(res.phi)[:, ::-1])  # even in x
    np.testing.assert_allclose(np.asarray(res.phi)[:, x.size // 2], -samples[: 9 * res.frame_times.size : 9] / 2)


@pytest.mark.parametrize("courant", [1.0, 0.625])
@pytest.mark.parametrize("tau", [None, 1.0])
def test_work_done_by_the_motor_equals_field_energy_plus_energy_out(tau, courant):
    dt = 0.0125
    t = dt * np.arange(801)
    angle = 0.7 * np.sin(3 * t) + 0.3 * t  # a kink at t = 0 (at rest before)
    res = solve_field(jnp.asarray(angle), 0.6, tau, FieldSolver(dt=dt, courant=courant, span=1.5))
    assert float(res.energy_balance_residual) < 1e-12
    assert float(res.energy_out[-1]) > 0.1 * float(res.work[-1])  # energy really left the grid
    if tau is not None:  # into the leads = lead energy + what left the grid
        np.testing.assert_allclose(res.energy_into_leads, res.lead_energy + res.energy_out, atol=1e-12)
    else:
        np.testing.assert_allclose(res.energy_into_leads, res.work, atol=1e-15)


@pytest.mark.parametrize("tau,courant", [(None, 1.0), (1.0, 1.0), (1.0, 0.8)])
def test_force_equals_the_langevin_friction_of_eq59_to_second_order(tau, courant):
    K = 0.5
    errors = []
    for dt in (0.02, 0.01):
        t = dt * np.arange(round(6 / dt) + 1)
        res = solve_field(jnp.asarray(_smooth_angle(t)), K, tau, FieldSolver(dt=dt, courant=courant))
        times = np.asarray(res.times)
        exact = _direct_friction(times, K, tau, _smooth_velocity)
        errors.append(np.max(np.abs(np.asarray(res.force) - exact)))
        # the engine's memory recursion on the same samples agrees to the same order
        assert np.max(np.abs(np.asarray(res.friction) - exact)) < 0.5 * dt**2
    assert errors[1] < 0.3 * errors[0]  # second order: ratio 1/4 (3.5 at C = 0.8, dispersion)
    assert errors[1] < 0.6 * 0.01**2


def test_langevin_friction_recursion_equals_the_direct_image_sum():
    K, tau, dt = 0.3, 0.25, 0.05
    t = dt * np.arange(300)
    v = np.cos(t) + 0.5 * np.sin(3.1 * t)
    out = langevin_friction(jnp.asarray(v), K, tau, dt)
    m = round(tau / dt)
    r = (K - 1) / (K + 1)
    direct = [-(v[k] + 2 * sum(r**n * v[k - n * m] for n in range(1, k // m + 1))) / (2 * np.pi * K)
              for k in range(t.size)]
    np.testing.assert_allclose(out, direct, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(langevin_friction(jnp.asarray(v), K, None, dt), -v / (2 * np.pi * K))


def test_langevin_friction_under_jit_vmap_and_grad():
    dt, tau = 0.05, 0.25
    v = jnp.asarray(np.cos(dt * np.arange(200)))
    Ks = jnp.array([0.3, 0.6, 1.4])
    batched = jax.vmap(lambda k: langevin_friction(v, k, tau, dt))(Ks)
    np.testing.assert_allclose(batched, langevin_friction(jnp.broadcast_to(v, (3, 200)), Ks, tau, dt), rtol=1e-14)
    jitted = jax.jit(langevin_friction, static_argnames=("tau", "dt"))
    np.testing.assert_allclose(jitted(v, 0.6, tau=tau, dt=dt), batched[1], rtol=1e-14)
    g = jax.grad(lambda k: jnp.sum(langevin_friction(v, k, tau, dt) ** 2))(0.6)
    h = 1e-6
    fd = (jnp.sum(langevin_friction(v, 0.6 + h, tau, dt) ** 2) - jnp.sum(langevin_friction(v, 0.6 - h, tau, dt) ** 2))
    assert float(g) == pytest.approx(float(fd) / (2 * h), rel=1e-7)


def test_maps_are_optional_when_save_every_exceeds_the_run():
    angle = prescribed_motion("constant", 1.0, 0.01, 50)
    res = solve_field(angle, 0.5, 1.0, FieldSolver(dt=0.01, save_every=80))
    assert res.energy_current.shape[0] == 0 and res.times.shape == (50,)
    full = solve_field(angle, 0.5, 1.0, FieldSolver(dt=0.01, save_every=7))
    np.testing.assert_array_equal(res.force, full.force)


def test_force_of_the_field_on_the_engines_own_trajectory_is_its_friction():
    """Noise-free engine run (leads, inertia): its trajectory fed to the field; the field's force
    must be I θ̈ - V/2π (Newton with the engine's θ̈). θ̈ jumps at t = 0 and θ̇ kinks at nτ, so
    the pointwise error is first order in dt near those times."""
    K, tau, inertia, V = 0.5, 1.0, 0.5, 1.0
    errors = []
    for dt in (0.01, 0.005):
        steps = round(5 / dt)
        run = simulate(MotorParams(K=K, V=V, inertia=inertia, tau=tau), jax.random.key(0), dt=dt, time=steps * dt,
                       burn_in=0.0, record_every=1)
        theta = np.concatenate([[0.0], np.asarray(run.theta_series[0])])
        velocity = np.concatenate([[0.0], np.asarray(run.velocity_series[0])])
        res = solve_field(jnp.asarray(theta), K, tau, FieldSolver(dt=dt))
        newton = inertia * (velocity[2:] - velocity[:-2]) / (2 * dt) - V / (2 * np.pi)
        errors.append(np.max(np.abs(np.asarray(res.force)[1:] - newton)))
    assert errors[0] < 0.05 * 0.01  # 2.5e-4 of a friction force ~0.16
    assert errors[1] < 0.6 * errors[0]


@pytest.mark.parametrize("K", [0.3, 0.5, 2.0])
def test_steady_motion_dissipates_theta_dot_squared_over_2pi_with_leads_and_over_2piK_without(K):
    velocity, dt, tau = 0.8, 0.01, 0.5
    steps = 4000  # 80 round trips: |r|^80 is negligible
    angle = prescribed_motion("constant", velocity, dt, steps)
    leads = solve_field(angle, K, tau, FieldSolver(dt=dt, save_every=500))
    wire = solve_field(angle, K, None, FieldSolver(dt=dt, save_every=500))
    assert float(leads.dissipated_power) == pytest.approx(velocity**2 / (2 * np.pi), rel=1e-10)  # Eq. 66
    assert float(wire.dissipated_power) == pytest.approx(velocity**2 / (2 * np.pi * K), rel=1e-10)  # Eq. 49
    np.testing.assert_allclose([leads.dissipated_power, wire.dissipated_power],
                               [cf.steady_dissipation(velocity, K, True), cf.steady_dissipation(velocity, K, False)],
                               rtol=1e-10)
    # j_E = ±θ̇²/4π everywhere with leads (Eq. 65), ±θ̇²/4πK without (Eq. 48), odd in x
    x = np.asarray(leads.x)
    j = np.asarray(leads.energy_current)[-1]
    np.testing.assert_allclose(j[x > 0], velocity**2 / (4 * np.pi), rtol=1e-9)
    np.testing.assert_allclose(j[x < 0], -(velocity**2) / (4 * np.pi), rtol=1e-9)
    j = np.asarray(wire.energy_current)[-1]
    front = np.asarray(wire.x) < 0.9 * float(wire.x[-1])
    np.testing.assert_allclose(np.abs(j[front & (np.asarray(wire.x) != 0)]), velocity**2 / (4 * np.pi * K), rtol=1e-9)
    # outgoing waves carry ρ_E = |j_E|/v (Eq. 44 with ∂ₜφ = ∓v∂ₓφ): θ̇²/4πK in the infinite wire, θ̇²/4π in a lead
    rho = np.asarray(wire.energy_density)[-1]
    np.testing.assert_allclose(rho[front], velocity**2 / (4 * np.pi * K), rtol=1e-9)
    lead = np.abs(x) > tau / 2 + 2 * dt
    np.testing.assert_allclose(np.asarray(leads.energy_density)[-1][lead], velocity**2 / (4 * np.pi), rtol=1e-9)


@pytest.mark.parametrize("duration", [0.25, 0.5, 0.8, 1.7, 3.3])
def test_move_dissipation_matches_eq64_up_to_tau_and_move_dissipation_beyond(duration):
    """A move at θ̇ for t_s, at rest after: everything ends in the leads (Eq. 63). t_s ≤ τ: t_s θ̇²/2πK
    (Eq. 64). The velocity jumps at the ends cost a first-order error γ₀θ̇² dt/2 (module docstring)."""
    K, tau, velocity = 0.5, 1.0, 1.3
    errors = []
    for dt in (0.01, 0.005):
        steps = round((duration + 20 * tau) / dt)  # |r|^20 ~ 3e-10
        res = solve_field(prescribed_motion("step", velocity, dt, steps, duration=duration), K, tau,
                          FieldSolver(dt=dt, save_every=steps))
        expected = float(cf.move_dissipation(duration, velocity, K, tau))
        if duration <= tau:
            assert expected == pytest.approx(duration * velocity**2 / (2 * np.pi * K), rel=1e-12)
        assert float(res.wire_energy[-1]) < 1e-12 * expected  # all energy has left the wire
        errors.append(abs(float(res.dissipated_energy) - expected))
        assert errors[-1] <= 1.01 * velocity**2 / (2 * np.pi * K) * dt / 2
    assert errors[1] == pytest.approx(errors[0] / 2, rel=0.05)  # first order, from the velocity jumps


def test_spec_throwaway_check_move_of_0p55_tau_within_0p3_percent():
    K, tau, dt, velocity = 0.5, 1.0, 0.002, 1.0
    duration = 0.55 * tau
    res = solve_field(prescribed_motion("step", velocity, dt, round(20 / dt), duration=duration), K, tau,
                      FieldSolver(dt=dt, save_every=10_000))
    assert float(res.dissipated_energy) == pytest.approx(duration * velocity**2 / (2 * np.pi * K), rel=3e-3)


def test_velocities_set_only_the_positions():
    angle = prescribed_motion("step", 1.0, 0.01, 400, duration=0.3)
    a = solve_field(angle, 0.5, 1.0, FieldSolver(dt=0.01, save_every=50))
    b = solve_field(angle, 0.5, 1.0, FieldSolver(dt=0.01, save_every=50), v_c=2.0, v_F=0.5)
    np.testing.assert_allclose(a.force, b.force, rtol=0, atol=0)
    xb = np.asarray(b.x)
    # D/2 = v_c τ/2, then the lead's span τ at v_F (the last node, the outgoing boundary, is not shown)
    assert np.max(xb) == pytest.approx(2.0 * 0.5 + 0.5 * 1.0 - 0.5 * 0.01)
    # the energy density per length scales as 1/v: the same energy in a stretched wire
    energy_a, energy_b = (float(jnp.trapezoid(r.energy_density[-1], r.x)) for r in (a, b))
    assert energy_b == pytest.approx(energy_a, rel=2e-2)


def test_jit_vmap_and_grad_over_K_match_the_closed_form_move_dissipation():
    tau, dt, duration = 1.0, 0.01, 0.55
    angle = prescribed_motion("step", 1.0, dt, 2500, duration=duration)
    solver = FieldSolver(dt=dt, save_every=2500)

    def dissipated(K):
        return solve_field(angle, K, tau, solver).dissipated_energy

    Ks = jnp.array([0.4, 0.5, 0.7])
    batched = jax.vmap(dissipated)(Ks)
    np.testing.assert_allclose(batched, [float(jax.jit(dissipated)(k)) for k in Ks], rtol=1e-12)
    np.testing.assert_allclose(batched, cf.move_dissipation(duration, 1.0, Ks, tau), rtol=dt / duration)
    g = float(jax.grad(dissipated)(0.5))
    assert g == pytest.approx(float(jax.grad(lambda k: cf.move_dissipation(duration, 1.0, k, tau))(0.5)),
                              rel=dt / duration)
    step = 1e-5
    assert g == pytest.approx(float(dissipated(0.5 + step) - dissipated(0.5 - step)) / (2 * step), rel=1e-6)


def test_dataset_has_named_dims_and_the_run_summary():
    res = solve_field(prescribed_motion("constant", 1.0, 0.02, 100), 0.5, 1.0, FieldSolver(dt=0.02, save_every=10))
    ds = res.to_dataset()
    assert ds["energy_current"].dims == ("frame_time", "x")
    assert ds["force"].dims == ("time",)
    assert ds.attrs["dissipated_energy"] == pytest.approx(float(res.dissipated_energy))
    assert ds.sizes["frame_time"] == 10 and ds.sizes["time"] == 100


@pytest.mark.parametrize("make,name", [
    (lambda: FieldSolver(dt=0.03), "dt"),  # τ/2 = 0.5 is not a whole number of cells
    (lambda: FieldSolver(dt=0.01, courant=1.2), "courant"),
    (lambda: FieldSolver(dt=-1.0), "dt"),
    (lambda: FieldSolver(dt=0.01, save_every=0), "save_every"),
    (lambda: prescribed_motion("jump", 1.0, 0.01, 10), "motion"),
    (lambda: prescribed_motion("step", 1.0, 0.01, 10), "duration"),
    (lambda: langevin_friction(jnp.ones(10), 0.5, 0.333, 0.1), "tau"),
    (lambda: solve_field(jnp.zeros(1), 0.5, None, FieldSolver(dt=0.01)), "angle"),
    (lambda: solve_field(jnp.zeros(5), -0.5, None, FieldSolver(dt=0.01)), "K"),
])
def test_bad_input_is_a_value_error_naming_the_parameter(make, name):
    with pytest.raises(ValueError, match=f"^{name}="):
        obj = make()
        if isinstance(obj, FieldSolver):
            obj.wire_cells(1.0)


def test_cli_field_json_contract_step_with_leads(capsys, tmp_path):
    from jaxmotor import store
    from jaxmotor.cli.main import main

    argv = ["motor", "field", "--K", "0.5", "--tau", "1", "--motion", "step", "--velocity", "1", "--duration", "0.5",
            "--time", "12", "--dt", "0.01", "--frames", "50", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    expected = float(cf.move_dissipation(0.5, 1.0, 0.5, 1.0))  # = 0.5/(2π·0.5) (Eq. 64)
    assert record["dissipated_energy"] == pytest.approx(expected, rel=0.01 / (2 * 0.5) * 1.01)
    assert record["closed_form_dissipated_energy"] == pytest.approx(expected, rel=1e-12)
    assert abs(record["dissipated_power"]) < 1e-6 and record["energy_balance_residual"] < 1e-12
    ds = store.open_store(record["data"])
    assert ds["energy_current"].dims == ("frame_time", "x") and ds.sizes["frame_time"] == 50
    assert (tmp_path / "motor_field.png").is_file()


def test_cli_field_constant_motion_without_leads_dissipates_theta_dot_squared_over_2piK(capsys, tmp_path):
    from jaxmotor.cli.main import main

    argv = ["motor", "field", "--K", "0.4", "--motion", "constant", "--velocity", "0.7", "--time", "5", "--dt",
            "0.01", "--out", str(tmp_path), "--no-plot", "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["dissipated_power"] == pytest.approx(0.49 / (2 * np.pi * 0.4), rel=1e-10)  # Eq. 49
    assert record["dissipated_energy"] == pytest.approx(0.49 / (2 * np.pi * 0.4) * 5, rel=1e-3)  # emitted to ±∞
    assert "plot" not in record


@pytest.mark.parametrize("extra", [
    ["--courant", "1.5"], ["--motion", "step"], ["--tau", "1", "--dt", "0.03"], ["--duration", "1"],
    ["--time", "-1"], ["--frames", "0"], ["--K", "-1"],
])
def test_cli_field_bad_input_is_one_line_exit_2(capsys, tmp_path, extra):
    from jaxmotor.cli.main import main

    assert main(["motor", "field", "--out", str(tmp_path), "--no-plot", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxmotor: error:") and "\n" not in err


def test_a_grid_or_maps_too_large_for_memory_are_refused():
    with pytest.raises(ValueError, match="^span="):
        solve_field(jnp.zeros(3), 0.5, None, FieldSolver(dt=1e-3, span=1e5))
    with pytest.raises(ValueError, match="^save_every="):
        solve_field(jnp.zeros(200_001), 0.5, None, FieldSolver(dt=1e-3, span=1e3))
