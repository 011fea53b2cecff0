"""What the real-time dynamics teaches (docs/dynamics.md): docs/physics.md's measured reference run, the
spreading of the spin's coherent state against the mean field as S grows, and the lower transition
seen in the dynamics against ED (Fig. 4) and the mean field."""

import numpy as np
import pytest

from jaxmotor.pump import MeanFieldConfig, PumpParams, _dynamics as dy, hamiltonian, make_basis, meanfield, solve


def _meanfield_on(times, omega, L, S, periods):
    mf = meanfield(PumpParams(omega=omega), MeanFieldConfig(L=L, S=float(S), periods=periods, n_saved=400 * periods))
    t, spin, charge = np.asarray(mf.time), np.asarray(mf.spin), np.asarray(mf.charge)
    return np.stack([np.interp(times, t, spin[:, i]) for i in range(3)], -1), np.interp(times, t, charge), mf


def test_spec_reference_run_l8_s10_omega03():
    """docs/physics.md §1: the coherent state spreads within two periods (|⟨S⟩| 10 → ~1-2), the entanglement
    grows to ~1.2, the charge in the first period is ≈ 0.86 (mean field: 0.998 per revolution)."""
    omega = 0.3
    period = 2 * np.pi / omega
    res = dy.dynamics(PumpParams(omega=omega), 8, None, 10, t_max=2 * period, records=201)
    assert res.method == "exact"
    assert res.charge[100] == pytest.approx(0.86, abs=0.01)
    assert 1.1 < res.entanglement_entropy.max() < 1.3
    length = np.hypot(res.Sx, res.Sy)
    assert length[0] == pytest.approx(10.0, abs=1e-10) and length[-1] < 2.0
    _, _, mf = _meanfield_on(res.time, omega, 8, 10, 2)
    assert float(mf.pumped_charge_per_period) == pytest.approx(0.998, abs=0.01)  # per revolution (0.992)
    assert np.ptp(res.energy) < 1e-10 and np.max(np.abs(res.norm - 1)) < 1e-11


def test_spectral_width_estimate_contains_the_spectrum_and_reorthogonalization_changes_nothing():
    """The Lanczos estimate of the spectral width (used by the error bounds) is at least the true
    width and at most the rigorous bound; full reorthogonalization gives the same run to 1e-10."""
    L, S = 8, 4
    p = PumpParams(omega=0.3, eta=0.95)
    tables = dy.make_hop_tables(L, None, S)
    true = np.ptp(np.linalg.eigvalsh(np.asarray(hamiltonian(p, make_basis(L, None, S)))))
    estimate = dy.spectral_width_estimate(p, tables)
    assert true <= estimate <= dy.spectral_width_bound(p, L, 4, S)
    assert estimate < 1.01 * true
    runs = [dy.dynamics(p, L, None, S, t_max=20.0, records=11, config=dy.DynamicsConfig(reorthogonalize=r))
            for r in (False, True)]
    np.testing.assert_allclose(runs[0].charge, runs[1].charge, atol=1e-10)
    np.testing.assert_allclose(runs[0].Sx, runs[1].Sx, atol=1e-10)


@pytest.mark.slow
def test_quantum_spin_follows_the_mean_field_for_longer_as_s_grows():
    """At fixed η = 0.95, ω = 0.5 (pumping for every S here), L = 8: the time until ⟨S(t)⟩ departs
    from the mean-field spin by 0.2 S grows with S = 5, 10, 20, 40 (measured 4.1, 11.0, 33.3, > 75),
    and so does the time until Q(t) departs by 0.1 (12.3, 55.6, > 75, > 75)."""
    omega, L, periods = 0.5, 8, 6
    t_max = periods * 2 * np.pi / omega
    spin_times, charge_times = [], []
    for S in (5, 10, 20, 40):
        res = dy.dynamics(PumpParams(omega=omega), L, None, S, t_max=t_max, records=241,
                          config=dy.DynamicsConfig(method="krylov"))
        mf_spin, mf_charge, _ = _meanfield_on(res.time, omega, L, S, periods)
        spin = np.stack([res.Sx, res.Sy, res.Sz], -1)
        dev = np.linalg.norm(spin - mf_spin, axis=-1) / S
        dq = np.abs(res.charge - mf_charge)
        spin_times.append(res.time[np.argmax(dev > 0.2)] if np.any(dev > 0.2) else np.inf)
        charge_times.append(res.time[np.argmax(dq > 0.1)] if np.any(dq > 0.1) else np.inf)
    assert all(a < b for a, b in zip(spin_times, spin_times[1:]) if np.isfinite(a))
    assert spin_times[0] < spin_times[1] < spin_times[2]
    assert charge_times[0] < charge_times[1] and charge_times[1] <= charge_times[2]


@pytest.mark.slow
def test_lower_transition_in_the_dynamics_against_ed_and_mean_field():
    """L = 8, S = 10, start +y, ω = 0.10..0.30: ED (Fig. 4) jumps from Δn ≈ 0 to 1 between 0.16 and
    0.18 (ω_min ≈ 1.72/S) and the mean field starts to encircle between 0.18 and 0.20 (1.87/S); the
    quantum charge in the first period instead rises smoothly and monotonically (0.05 → 0.86), and
    crosses 1/2 between the ED transition and 1.2 times the mean-field one."""
    L, S = 8, 10
    omega = np.round(np.arange(0.10, 0.301, 0.02), 3)
    res = dy.dynamics(PumpParams(omega=omega), L, None, S, t_max=2 * np.pi / omega.min(), records=401)
    first = np.array([np.interp(2 * np.pi / w, res.time, res.charge[i]) for i, w in enumerate(omega)])
    assert np.all(np.diff(first) > 0)
    ed = np.asarray(solve(PumpParams(omega=omega), make_basis(L, None, S)).delta_n)
    omega_ed = omega[np.argmax(ed > 0.5)]
    mf = meanfield(PumpParams(omega=omega), MeanFieldConfig(L=L, S=10.0, periods=2, n_saved=400))
    omega_mf = omega[np.argmax(np.asarray(mf.encircles))]
    crossing = np.interp(0.5, first, omega)
    assert omega_ed - 0.02 <= crossing <= 1.2 * omega_mf
    assert first[0] < 0.1 and ed[0] < 0.05 and not bool(mf.encircles[0])
