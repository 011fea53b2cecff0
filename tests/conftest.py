"""Test configuration: float64 on (importing jaxmotor does it) and seeded PRNG keys."""

import jax
import pytest

import jaxmotor  # noqa: F401  (enables x64)


@pytest.fixture(autouse=True)
def _no_persistent_compilation_cache(monkeypatch):
    """The CLI, called in-process by the tests, would switch on JAX's persistent compilation cache
    for the rest of the session (in the user's cache folder); tests/test_compilation_cache.py checks
    the cache in fresh processes instead."""
    import jaxmotor.cli.main

    monkeypatch.setattr(jaxmotor.cli.main, "enable_compilation_cache", lambda: None)


@pytest.fixture(params=[0])
def getkey(request):
    """Return a function handing out fresh PRNG keys from a fixed seed (the seed is in the test id)."""
    key = jax.random.key(request.param)

    def _getkey():
        nonlocal key
        key, sub = jax.random.split(key)
        return sub

    return _getkey
