"""MotorParams: validation at construction with one-line ValueErrors, derived quantities."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxmotor.motor import MotorParams


@pytest.mark.parametrize("kwargs, message", [
    ({"K": 0.0}, "K=0.0 is not allowed: must lie in (0, inf)"),
    ({"K": np.array([0.5, -1.0])}, "K=[ 0.5 -1. ] is not allowed"),
    ({"inertia": -1.0}, "inertia=-1.0 is not allowed"),
    ({"temperature": -0.1}, "temperature=-0.1 is not allowed"),
    ({"V": float("nan")}, "V=nan is not allowed: expected a finite real number"),
    ({"F_load": float("inf")}, "F_load=inf is not allowed"),
    ({"tau": 0.0}, "tau=0.0 is not allowed: must be a finite number > 0"),
    ({"tau": float("inf")}, "tau=inf is not allowed"),
    ({"noise": "pink"}, "noise='pink' is not allowed: expected one of paper, fdt, white"),
    ({"noise": "fdt", "temperature": 0.1}, "cutoff=None is not allowed: noise='fdt' needs a cutoff"),
    ({"noise": "fdt", "temperature": 0.1, "cutoff": 0.0}, "cutoff=0.0 is not allowed"),
    ({"noise": "fdt", "temperature": 0.0, "cutoff": 1.0}, "temperature=0.0 is not allowed"),
    ({"cutoff": 1.0}, "cutoff=1.0 is not allowed: only noise='fdt' takes a cutoff"),
    ({"load_cos": np.array([0.1, np.nan])}, "is not allowed: expected a finite real number"),
    ({"load_cos": np.ones(2), "load_sin": np.ones(3)}, "must have as many harmonics as load_cos"),
])
def test_invalid_parameters_raise_one_line_value_errors(kwargs, message):
    with pytest.raises(ValueError) as err:
        MotorParams(**kwargs)
    assert "\n" not in str(err.value)
    assert message in str(err.value)


def test_friction_reflection_and_bias_force():
    p = MotorParams(K=0.5, V=2.0, tau=1.0)
    assert float(p.gamma0) == pytest.approx(1 / np.pi)
    assert float(p.reflection) == pytest.approx(-1 / 3)
    assert float(p.bias_force) == pytest.approx(1 / np.pi)
    assert float(MotorParams(K=0.5).reflection) == 0.0  # no leads: no reflected plasmons


def test_theta_dependent_load_is_the_fourier_series_plus_the_function():
    p = MotorParams(F_load=0.1, load_cos=jnp.array([0.2, 0.05]), load_sin=jnp.array([0.0, 0.3]),
                    load_fn=lambda th: 0.01 * th)
    th = 0.7
    expected = 0.1 + 0.2 * np.cos(th) + 0.05 * np.cos(2 * th) + 0.3 * np.sin(2 * th) + 0.007
    assert float(p.load(th)) == pytest.approx(expected, rel=1e-14)
    assert p.theta_dependent_load and not MotorParams().theta_dependent_load


def test_batch_shape_broadcasts_and_flattens():
    p = MotorParams(K=np.array([0.5, 1.0])[:, None], V=np.array([1.0, 2.0, 3.0]), load_cos=np.ones((3, 4)))
    assert p.batch_shape == (2, 3)
    flat = p.flatten()
    assert flat.K.shape == (6,) and flat.load_cos.shape == (6, 4)
    np.testing.assert_array_equal(flat.V, np.tile([1.0, 2.0, 3.0], 2))


def test_harmonic_recurrence_equals_cos_sin_and_its_derivative():
    import jax

    from jaxmotor.motor._params import harmonic_cos_sin

    k = np.arange(1, 9)
    for theta in (-2.7, 0.0, 0.4, 11.3):
        c, s = harmonic_cos_sin(theta, 8)
        np.testing.assert_allclose(c, np.cos(k * theta), atol=1e-14)
        np.testing.assert_allclose(s, np.sin(k * theta), atol=1e-14)
        dc, ds = jax.jacfwd(lambda t: harmonic_cos_sin(t, 8))(theta)
        np.testing.assert_allclose(dc, -k * np.sin(k * theta), atol=1e-13)
        np.testing.assert_allclose(ds, k * np.cos(k * theta), atol=1e-13)
