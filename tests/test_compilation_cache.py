"""The command caches compiled kernels on disk: a second identical command compiles nothing."""

import json
import os
import subprocess
import sys

PROBE = r"""
import collections, json, sys
import jax.monitoring as monitoring
events = collections.Counter()
monitoring.register_event_listener(lambda name, **kw: events.update([name]))
from jaxmotor.cli.main import main
assert main(sys.argv[1:]) == 0
print(json.dumps({k.rsplit("/", 1)[-1]: v for k, v in events.items() if "compilation_cache" in k}))
"""
SWEEP = ["pump", "sweep", "--L", "6", "--S", "2", "--omega-step", "0.5", "--json", "--no-plot"]


def _run(tmp_path, *flags, cache=None):
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    if cache is not None:
        env["JAX_COMPILATION_CACHE_DIR"] = str(cache)
    proc = subprocess.run([sys.executable, "-c", PROBE, *flags, *SWEEP, "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_second_identical_command_compiles_nothing(tmp_path):
    cache = tmp_path / "xla"
    first = _run(tmp_path, cache=cache)
    assert first.get("cache_misses", 0) >= 1 and first.get("cache_hits", 0) == 0
    assert any(cache.iterdir())  # the kernels went to $JAX_COMPILATION_CACHE_DIR
    second = _run(tmp_path, cache=cache)
    assert second.get("cache_misses", 0) == 0
    assert second["cache_hits"] == second["compile_requests_use_cache"] == first["compile_requests_use_cache"]


def test_the_default_folder_is_the_users_cache_and_the_cache_can_be_switched_off(tmp_path):
    on = _run(tmp_path)
    assert on["compile_requests_use_cache"] >= 1
    assert any((tmp_path / "xdg" / "jaxmotor" / "xla").iterdir())
    off = _run(tmp_path / "off", "--no-compilation-cache")
    assert off.get("cache_hits", 0) == off.get("cache_misses", 0) == 0  # neither read nor written
    assert not (tmp_path / "off" / "xdg" / "jaxmotor").exists()
