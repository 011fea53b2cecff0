"""Test configuration: float64 on (importing jaxmotor does it) and seeded PRNG keys."""

import jax
import pytest

import jaxmotor  # noqa: F401  (enables x64)


@pytest.fixture(params=[0])
def getkey(request):
    """Return a function handing out fresh PRNG keys from a fixed seed (the seed is in the test id)."""
    key = jax.random.key(request.param)

    def _getkey():
        nonlocal key
        key, sub = jax.random.split(key)
        return sub

    return _getkey
