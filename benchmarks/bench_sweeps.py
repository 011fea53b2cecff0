"""Sweep engine throughput: the Fig. 4 phase diagram and a 10⁴-point motor sweep, on 1 and 2 devices.

    python benchmarks/bench_sweeps.py [--devices 1,2] [--S-max 20] [--omega-points 50]
                                      [--motor-points 10000] [--out FILE]

Each case runs ``jaxmotor sweep`` in a fresh process (so that the device count, set with
``XLA_FLAGS=--xla_force_host_platform_device_count=n`` on a CPU, takes effect), into a fresh store,
and reports the wall time of the whole command (start-up and compilation included) and points per
second. On a CPU the "devices" share the same cores, so 2 devices measure the sharding overhead
rather than a speed-up; on a machine with several GPUs pass ``--devices`` with their count.
Writes benchmarks/results/sweeps_<backend>.json with the machine, CPU count and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax

from jaxmotor.store import provenance

from _results import results_path, write_record

PHASE = """model = "pump"
[fixed]
L = 8
N = 4
eta = 0.95
[axes]
S = {S}
omega = {{start = 0.05, stop = {omega_stop}, step = 0.05}}
"""

MOTOR = """model = "motor"
[fixed]
K = 0.5
V = 1.0
tau = 1.0
noise = "paper"
temperature = 0.2
dt = 0.05
time = 50.0
burn_in = 10.0
trajectories = 16
[axes]
F_load = {{start = 0.0, stop = 0.16, num = {rows}}}
inertia = {{start = 0.5, stop = 2.0, num = 100}}
"""


def run_case(config: str, devices: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(config)
        env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
        if jax.default_backend() == "cpu":
            env["JAX_PLATFORMS"] = "cpu"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jaxmotor.cli.main", "sweep", str(path), "--out",
                        str(Path(tmp) / "out.zarr"), "--quiet"], env=env, check=True)
        return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", default="1,2")
    parser.add_argument("--S-max", type=int, default=20)
    parser.add_argument("--omega-points", type=int, default=50)
    parser.add_argument("--motor-points", type=int, default=10_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    spins = list(range(1, args.S_max + 1))
    phase = PHASE.format(S=spins, omega_stop=round(0.05 * args.omega_points, 10))
    motor = MOTOR.format(rows=max(1, args.motor_points // 100))
    cases = {"phase_diagram": (phase, len(spins) * args.omega_points),
             "motor": (motor, max(1, args.motor_points // 100) * 100)}
    results = {}
    for name, (config, points) in cases.items():
        for n in (int(d) for d in args.devices.split(",")):
            seconds = run_case(config, n)
            results[f"{name}_{n}_devices"] = {"points": points, "wall_s": seconds, "points_per_s": points / seconds}
            print(name, n, json.dumps(results[f"{name}_{n}_devices"]), flush=True)
    record = {"benchmark": "jaxmotor sweep wall time (whole command, compile included)",
              "cpu_count": os.cpu_count(), "phase_config": phase, "motor_config": motor, **provenance(),
              "results": results}
    out = results_path("sweeps", args.out)
    write_record(record, out)
    print("wrote", out)


if __name__ == "__main__":
    main()
