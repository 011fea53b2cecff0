"""The fluctuating force: exact step-integrated covariances, circulant spectra, sampled statistics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from jaxmotor.motor import MotorParams, _noise as noise, closed_forms as cf, noise_plan


def _hotelling(samples, expected, level=1e-3):
    """Hotelling T² test that the mean of the rows of ``samples`` (n, p) equals ``expected``."""
    n, p = samples.shape
    diff = samples.mean(axis=0) - expected
    cov = np.cov(samples, rowvar=False) / n
    t2 = diff @ np.linalg.solve(cov, diff)
    f_stat = t2 * (n - p) / (p * (n - 1))
    return f_stat, stats.f.ppf(1 - level, p, n - p)


def _autocovariances(xi, lags):
    """Per-trajectory empirical autocovariances, (trajectories, len(lags))."""
    steps = xi.shape[1]
    return np.stack([np.mean(xi[:, : steps - lag] * xi[:, lag:], axis=1) for lag in lags], axis=1)


@pytest.mark.parametrize("lag", [0, 1, 3, 20])
def test_paper_step_covariance_is_the_double_integral_of_eq36(lag):
    p = MotorParams(K=0.7, temperature=0.8, noise="paper")
    dt = 0.3
    kernel = lambda t: float(cf.paper_covariance(t, p))  # noqa: E731
    expected, _ = integrate.quad(lambda u: (dt - abs(u)) * kernel(lag * dt + u), -dt, dt, points=[0.0],
                                 epsabs=1e-16, epsrel=1e-12)
    got = float(noise.paper_step_covariance_lli(jnp.asarray(lag, float), p, dt))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(
    "params",
    [MotorParams(K=0.5, temperature=0.2, noise="paper"),
     MotorParams(K=0.3, temperature=0.2, noise="paper", tau=1.0),
     MotorParams(K=2.0, temperature=0.5, noise="paper", tau=0.5),
     MotorParams(K=0.5, temperature=0.2, noise="fdt", cutoff=5.0, tau=1.0)],
    ids=["paper", "paper-leads", "paper-attractive", "fdt-leads"])
def test_circulant_embedding_spectrum_is_non_negative(params):
    dt = 0.05
    spectrum = np.asarray(noise.discrete_spectrum(params, dt, noise_plan(params, dt)))
    assert spectrum.max() > 0
    assert spectrum.min() >= -1e-13 * spectrum.max()


def test_paper_noise_with_leads_has_the_image_sum_covariance_of_eq60(getkey):
    p = MotorParams(K=0.5, temperature=0.5, noise="paper", tau=0.5)
    dt, m = 0.05, 10
    xi = np.asarray(jax.vmap(lambda k: noise.sample_noise(p, k, dt, 4000))(jax.random.split(getkey(), 200)))
    lags = np.array([0, 1, 3, 7, m - 1, m, m + 2, 2 * m])
    r = float(p.reflection)
    images = np.arange(-80, 81)
    formula = np.array([np.sum(r ** np.abs(images) * np.asarray(
        noise.paper_step_covariance_lli(jnp.asarray(lag + images * m, float), p, dt))) for lag in lags])
    f_stat, critical = _hotelling(_autocovariances(xi, lags), formula)
    assert f_stat < critical


def test_fdt_noise_covariance_matches_a_quadrature_of_its_spectrum(getkey):
    p = MotorParams(K=0.5, temperature=0.5, noise="fdt", cutoff=4.0)
    dt = 0.1
    xi = np.asarray(jax.vmap(lambda k: noise.sample_noise(p, k, dt, 3000))(jax.random.split(getkey(), 200)))
    lags = np.array([0, 1, 2, 5, 10])

    def covariance(lag):  # c_j = ∫ dω/π S(ω) 4 sin²(ωh/2)/ω² cos(ωjh)
        f = lambda w: float(noise.fdt_spectrum_lli(jnp.asarray(w), p)) * (dt * np.sinc(w * dt / (2 * np.pi))) ** 2  # noqa: E731
        value, _ = integrate.quad(lambda w: f(w) * np.cos(w * lag * dt), 0, 12 * 4.0, limit=400)
        return value / np.pi

    formula = np.array([covariance(lag) for lag in lags])
    f_stat, critical = _hotelling(_autocovariances(xi, lags), formula)
    assert f_stat < critical
    assert formula[0] > 0


def test_white_noise_is_delta_correlated_with_the_leads_image_sum(getkey):
    p = MotorParams(K=0.4, temperature=0.3, noise="white", tau=0.3)
    dt, m = 0.1, 3
    xi = np.asarray(jax.vmap(lambda k: noise.sample_noise(p, k, dt, 3000))(jax.random.split(getkey(), 200)))
    lags = np.array([0, 1, 2, m, m + 1, 2 * m, 3 * m])
    r = float(p.reflection)
    c0 = 2 * float(p.gamma0) * 0.3 * dt  # Eq. 61 integrated over one step
    formula = np.array([c0 * r ** (lag // m) if lag % m == 0 else 0.0 for lag in lags])
    f_stat, critical = _hotelling(_autocovariances(xi, lags), formula)
    assert f_stat < critical


def test_white_noise_without_leads_is_iid_with_variance_2_gamma0_T_dt(getkey):
    p = MotorParams(K=0.4, temperature=0.3, noise="white")
    dt = 0.1
    assert noise_plan(p, dt).half_width == 0
    xi = np.asarray(jax.vmap(lambda k: noise.sample_noise(p, k, dt, 2000))(jax.random.split(getkey(), 100)))
    formula = np.array([2 * float(p.gamma0) * 0.3 * dt, 0.0, 0.0])
    f_stat, critical = _hotelling(_autocovariances(xi, [0, 1, 5]), formula)
    assert f_stat < critical


def test_noise_is_reproducible_from_one_key_and_independent_of_the_parameters_scale(getkey):
    key = getkey()
    cold = MotorParams(K=0.5, temperature=0.2, noise="white", tau=1.0)
    hot = MotorParams(K=0.5, temperature=0.8, noise="white", tau=1.0)
    a = noise.sample_noise(cold, key, 0.1, 500)
    np.testing.assert_array_equal(a, noise.sample_noise(cold, key, 0.1, 500))
    # unit-variance draws scaled by parameter-dependent factors: √(T_hot/T_cold) = 2 exactly
    np.testing.assert_allclose(noise.sample_noise(hot, key, 0.1, 500), 2 * a, rtol=1e-12, atol=1e-15)


def test_tau_must_be_a_multiple_of_dt():
    with pytest.raises(ValueError, match="tau=0.25 is not allowed: must be a positive multiple"):
        noise_plan(MotorParams(tau=0.25), 0.1)


# -- the unit normals behind every noise kind (unit_normals; LangevinSolver.normals) ---------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_counter_words_map_to_the_normal_quantiles_of_scipy(dtype):
    """normals_from_words is the inverse normal CDF of u = (k + 1/2)·2⁻ᵇ with the top bit the sign,
    checked against scipy's float64 ndtri at words spread over the whole range, tails included."""
    from scipy.special import ndtri

    bits, mantissa, width = (32, 31, jnp.uint32) if dtype == "float32" else (64, 52, jnp.uint64)
    k = np.unique(np.concatenate([np.arange(50), np.geomspace(1, 2**mantissa - 1, 2000).astype(np.uint64),
                                  2**mantissa - 1 - np.arange(50)])).astype(np.uint64)
    shift = 0 if dtype == "float32" else 11
    for sign in (0, 1):
        words = (np.uint64(sign) << np.uint64(bits - 1)) | (k << np.uint64(shift))
        got = np.asarray(noise.normals_from_words(jnp.asarray(words.astype(np.uint64 if bits == 64 else np.uint32),
                                                                        width)))
        u = (k.astype(np.float64) + 0.5) * 2.0 ** -(mantissa + 1)
        want = -ndtri(u) * (-1 if sign else 1)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == "float32" else 1e-13, atol=1e-6 if dtype ==
                                   "float32" else 1e-15)
    # the extreme words reach the tails the docstring states, and never ±inf
    assert np.isfinite(got).all() and float(np.abs(got).max()) > (8.2 if dtype == "float64" else 6.3)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_counter_normals_have_normal_statistics_and_are_independent(dtype):
    """2²⁰ counter normals from 64 keys: mean, variance, fourth moment and the two-sided tail mass
    beyond 3σ at their sampling errors (4σ bounds), a KS test against the normal law, and no
    correlation between neighbouring samples, between keys or between the halves of a 64-bit word."""
    keys = jax.random.split(jax.random.key(7), 64)
    x = np.asarray(jax.vmap(lambda k: noise.unit_normals(k, 2**14, dtype))(keys), dtype=np.float64)
    n = x.size
    assert abs(x.mean()) < 4 / np.sqrt(n)
    assert abs(x.var() - 1) < 4 * np.sqrt(2 / n)
    assert abs(np.mean(x**4) - 3) < 4 * np.sqrt(96 / n)
    tail = 2 * stats.norm.sf(3)
    assert abs(np.mean(np.abs(x) > 3) - tail) < 4 * np.sqrt(tail * (1 - tail) / n)
    assert stats.kstest(x.ravel(), "norm").pvalue > 1e-3
    for a, b in ((x[:, 1:], x[:, :-1]), (x[1:], x[:-1]), (x[:, 0::2], x[:, 1::2])):
        assert abs(np.mean(a * b)) < 4 / np.sqrt(a.size)


@pytest.mark.parametrize("normals", ["counter", "jax"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_shorter_draw_is_the_prefix_of_a_longer_one(normals, dtype):
    key = jax.random.key(3)
    long = noise.unit_normals(key, 101, dtype, normals)
    assert long.dtype == jnp.dtype(dtype)
    for n in (0, 1, 2, 7, 100):
        np.testing.assert_array_equal(noise.unit_normals(key, n, dtype, normals), long[:n])
    if normals == "jax":  # the option is JAX's own normals
        np.testing.assert_array_equal(long, jax.random.normal(key, (101,), dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_counter_normal_at_a_time_is_the_block_draw(dtype):
    """counter_normal(seed, i), what a step of white noise draws inside the step loop, is normal i
    of the block unit_normals(key, n) draws, for any i (float32: either half of a 64-bit word):
    bit for bit op by op, and to a few units of round-off under jit and vmap (where XLA fuses the
    quantile's arithmetic differently)."""
    key = jax.random.key(11)
    block = np.asarray(noise.unit_normals(key, 257, dtype))
    seed = noise.counter_seed(key)
    eager = np.stack([noise.counter_normal(seed, jnp.uint32(i), dtype) for i in (0, 1, 2, 255, 256)])
    np.testing.assert_array_equal(eager, block[[0, 1, 2, 255, 256]])
    one_at_a_time = jax.jit(jax.vmap(lambda i: noise.counter_normal(seed, i, dtype)))(jnp.arange(257))
    assert one_at_a_time.dtype == jnp.dtype(dtype)
    np.testing.assert_allclose(np.asarray(one_at_a_time), block, rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_loop_free_normal_quantile_is_scipys_ndtri(dtype):
    """The inverse normal CDF behind the counter normals (Cephes' ndtri written without JAX's
    polyval scans) against scipy's ndtri on a dense grid of u in (0, 1/2], both tails included,
    and against jax.scipy.special.ndtri."""
    from scipy.special import ndtri

    low = -16.3 if dtype == "float64" else -9.9
    u = np.concatenate([np.linspace(1e-6, 0.5, 20001), np.logspace(low, -1, 4001)]).astype(dtype)
    got = np.asarray(noise._lower_quantile_magnitude(jnp.asarray(u)))
    assert got.dtype == np.dtype(dtype)
    scale = np.maximum(np.abs(ndtri(u.astype(np.float64))), 1e-3)
    rtol = 1e-6 if dtype == "float32" else 5e-15
    assert np.max(np.abs(got + ndtri(u.astype(np.float64))) / scale) < rtol
    assert np.max(np.abs(got + np.asarray(jax.scipy.special.ndtri(jnp.asarray(u)))) / scale) < rtol


def test_counter_normals_under_jit_and_vmap_equal_the_eager_draw():
    keys = jax.random.split(jax.random.key(5), 4)
    eager = np.stack([noise.unit_normals(k, 333) for k in keys])
    np.testing.assert_allclose(jax.jit(jax.vmap(lambda k: noise.unit_normals(k, 333)))(keys), eager,
                               rtol=1e-14, atol=1e-15)


def test_an_unknown_normal_generator_is_refused():
    from jaxmotor.motor import LangevinSolver

    with pytest.raises(ValueError, match="^normals='box-muller' is not allowed"):
        LangevinSolver(normals="box-muller")
    with pytest.raises(ValueError, match="^normals='x'"):
        noise.unit_normals(jax.random.key(0), 3, normals="x")
