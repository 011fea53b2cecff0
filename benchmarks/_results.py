"""Where and how every benchmark script writes its record (JSON with the machine and versions)."""

from __future__ import annotations

import json
from pathlib import Path

import jax


def results_path(stem: str, out: str | None = None) -> Path:
    """``out``, or benchmarks/results/<stem>_<backend>.json; its folder is created."""
    path = Path(out or Path(__file__).parent / "results" / f"{stem}_{jax.default_backend()}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_record(record: dict, path: Path) -> None:
    path.write_text(json.dumps(record, indent=1) + "\n")
