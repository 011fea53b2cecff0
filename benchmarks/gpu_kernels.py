"""Kernels a GPU launches for the motor's forward run and its gradient, counted without a GPU.

    python benchmarks/gpu_kernels.py [--unroll 8,16] [--trajectories 1024] [--out PATH]

Needs JAX's CUDA plugin (``pip install "jax[cuda12]"``), not a GPU: XLA:GPU compiles the programs of
benchmarks/bench_motor_gradients.py (a) deviceless for an sm_90 target (the H100/H200 generation,
described below as XLA's ``gpu_specs`` do), with the GPU layout of ``LangevinSolver.default("gpu")`` (no
segment checkpoints, ``--unroll`` Langevin steps per scan iteration). From the optimized HLO it counts
the kernels one call launches: every instruction of an executed computation that is not free
(parameters, tuples, bitcasts, constants), loop bodies times their known trip counts (a program with
a loop of unknown trip count, a conditional or a call is refused). Kernels differ in cost: a forward
kernel runs 8 fused Langevin steps, so the ratio of the counts is not that of the times (H200,
white noise: ~4 µs per forward kernel, ~2 µs per gradient kernel).

Why count: a motor step is a few elementwise operations on 10³ trajectories, so on a GPU each
kernel costs mostly its launch and the time scales with the number of kernels (H200: backward host
time 148 ms of 171 ms for white noise and a θ-dependent load). The counts are exact and
reproducible where timings need the machine; the timings themselves are in
benchmarks/results/motor_gradients_gpu_*.json. Also records the compiled GPU temporaries of the
gradient for 10⁴ and 10⁵ steps (128 trajectories, as part (b) of bench_motor_gradients.py). Writes
benchmarks/results/motor_gpu_kernels.json.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from importlib import metadata
from pathlib import Path

# the plugin must not look for a device (there may be none); the programs are traced on the default
# backend (the CPU) with the GPU's solver settings, LangevinSolver.default("gpu")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_SKIP_CUDA_CONSTRAINTS_CHECK", "1")

import jax  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from bench_motor_gradients import CASES, _positive_int, _positive_ints, _power_fn  # noqa: E402

from jaxmotor.motor import LangevinSolver  # noqa: E402
from jaxmotor.store import provenance  # noqa: E402

from _results import results_path, write_record  # noqa: E402

# An sm_90 device (H100 SXM figures; the H200 is the same chip with more and faster memory). Fusion
# and kernel emission depend on the compute capability and the launch limits, not on the memory.
SM90_TARGET = """
gpu_device_info {
  threads_per_block_limit: 1024  threads_per_warp: 32  shared_memory_per_block: 49152
  shared_memory_per_core: 233472  threads_per_core_limit: 2048  core_count: 132  fpus_per_core: 128
  block_dim_limit_x: 2147483647  block_dim_limit_y: 65535  block_dim_limit_z: 65535
  memory_bandwidth: 3352320000000  l2_cache_size: 52428800  clock_rate_ghz: 1.98
  device_memory_size: 84929347584  shared_memory_per_block_optin: 232448
  cuda_compute_capability { major: 9 }  registers_per_core_limit: 65536  registers_per_block_limit: 65536
}
platform_name: "CUDA"
dnn_version_info { major: 9 minor: 7 }
runtime_version { major: 12 minor: 8 patch: 0 }
device_description_str: "NVIDIA H100 80GB HBM3"
"""

FREE = {"parameter", "get-tuple-element", "tuple", "constant", "bitcast", "opt-barrier", "after-all"}
_HEADER = re.compile(r"^(?:ENTRY )?%?([\w.\-]+) \(.*\{$")
_INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%?[\w.\-]+ = .+? ([\w\-]+)\(")


def computations(hlo: str) -> tuple[dict[str, list[tuple[str, str]]], str]:
    """{computation: [(opcode, line), ...]} of an optimized HLO module, and the entry's name."""
    comps, current, entry = {}, None, None
    for line in hlo.splitlines():
        header = _HEADER.match(line)
        if header:
            current = header.group(1)
            comps[current] = []
            entry = current if line.startswith("ENTRY") else entry
        elif line.startswith("}"):
            current = None
        elif current is not None and (inst := _INSTRUCTION.match(line)):
            comps[current].append((inst.group(1), line))
    return comps, entry


def launches(comps, name: str) -> int:
    """Kernels launched by one execution of computation ``name`` (loops times their trip counts)."""
    total = 0
    for opcode, line in comps[name]:
        if opcode == "while":
            trips = re.search(r'"known_trip_count":\{"n":"(\d+)"', line)
            if trips is None:  # its count would depend on the data; the motor's loops all have one
                raise ValueError(f"a loop without a known trip count: {line.strip()[:120]}")
            total += int(trips.group(1)) * launches(comps, re.search(r"body=%?([\w.\-]+)", line).group(1))
        elif opcode in ("conditional", "call"):  # not in the motor's programs; not counted
            raise ValueError(f"cannot count the kernels of a {opcode}: {line.strip()[:120]}")
        elif opcode not in FREE:
            total += 1
    return total


def gpu_compile(fn, x0, device):
    """``jax.jit(fn)`` compiled for the (deviceless) GPU ``device`` at an argument like ``x0``."""
    sharding = jax.sharding.SingleDeviceSharding(device)
    traced = jax.jit(fn).trace(jax.ShapeDtypeStruct(x0.shape, x0.dtype, sharding=sharding))
    return traced.lower(lowering_platforms=("cuda",)).compile()


def kernel_count(compiled) -> int:
    comps, entry = computations(compiled.as_text())
    return launches(comps, entry)


def backward_memory(device, trajectories=128):
    """GPU temporaries of the gradient (θ-dependent load), as part (b) of bench_motor_gradients.py."""
    out = {}
    for name, case in CASES.items():
        for steps in (10_000, 100_000):
            power, x0 = _power_fn(case, True, steps, trajectories, LangevinSolver.default("gpu"))
            temp = {label: gpu_compile(f, x0, device).memory_analysis().temp_size_in_bytes
                    for label, f in (("forward_temp_bytes", power), ("gradient_temp_bytes", jax.grad(power)))}
            out[f"{name}_{steps}_steps"] = {"steps": steps, "trajectories": trajectories, **temp}
            print(f"memory {name} {steps} steps: forward {temp['forward_temp_bytes'] / 1e6:.1f} MB, "
                  f"gradient {temp['gradient_temp_bytes'] / 1e6:.1f} MB", flush=True)
    return out


def _plugin_version() -> str | None:
    for name in ("jax-cuda12-plugin", "jax-cuda13-plugin"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            pass
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unroll", default=[LangevinSolver.default("gpu").unroll], type=_positive_ints,
                        help="Langevin steps per scan iteration (default: jaxmotor's GPU setting)")
    parser.add_argument("--trajectories", type=_positive_int, default=1024)
    parser.add_argument("--steps", type=_positive_int, default=10_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "motor_gpu_kernels.json"))
    args = parser.parse_args()
    from jax.experimental import topologies

    try:
        topology = topologies.get_topology_desc(platform="cuda", target_config=SM90_TARGET, topology="1x1x1")
    except Exception as error:  # noqa: BLE001 -- one line for the user, whatever the plugin raised
        parser.exit(2, f"gpu_kernels.py: no deviceless XLA:GPU compiler ({type(error).__name__}: {error}); "
                       'install JAX\'s CUDA plugin: pip install "jax[cuda12]"\n')
    device = topology.devices[0]
    record = {"benchmark": "kernels launched per call on an sm_90 GPU (deviceless XLA:GPU compile)",
              "target": "sm_90 (" + SM90_TARGET.split('device_description_str: "')[1].split('"')[0] + " description)",
              "cuda_plugin_version": _plugin_version(), "trajectories": args.trajectories, "steps": args.steps,
              **provenance()}
    for unroll in args.unroll:
        solver = LangevinSolver(unroll=unroll, segment=None)  # the GPU layout: no segment checkpoints
        rows = {}
        for name, case in CASES.items():
            for harmonics in (False, True):
                power, x0 = _power_fn(case, harmonics, args.steps, args.trajectories, solver)
                forward, gradient = (kernel_count(gpu_compile(f, x0, device)) for f in (power, jax.grad(power)))
                label = f"{name}_{'harmonic' if harmonics else 'constant'}_load"
                rows[label] = {"forward_kernels": forward, "gradient_kernels": gradient}
                print(f"unroll {unroll:3d}  {label:36s} forward {forward:7d}  gradient {gradient:7d}", flush=True)
        record[f"unroll_{unroll}"] = rows
    record["backward_memory"] = backward_memory(device)
    out = results_path("motor_gpu_kernels", args.out)
    write_record(record, out)
    print("wrote", out)


if __name__ == "__main__":
    main()
