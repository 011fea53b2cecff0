"""Spin sizes padded to a few bucket sizes, so that a grid over S compiles each kernel a few times.

Every spin size S has its own Hilbert space (C(L, N)·(2S+1) states), so a batched kernel compiled for
one S does not fit another: the Fig. 4 grid (S = 1..20) would compile two kernels per S. Here the
spin space of every S in a bucket is padded to the bucket's largest 2S+1, and the symmetry-sector
tables to the bucket's largest blocks, with *inert* padding:

* the padded spin states have zero S_x, S_y, S_z matrix elements and no amplitude in any sector
  basis vector, so a state of the padded basis is the physical state with zero columns appended;
* the padded sector-basis slots are outside every physical block entry; the block builder already
  puts a decoupled diagonal strictly above the spectrum on non-physical slots (Padding,
  :mod:`jaxmotor.pump._sectors`), and ``valid`` excludes them from the selection and the lines;
* the coupling g = η/S uses the physical S, carried as data (``PumpBasis.spin``), not the static
  size.

So the observables are those of the unpadded basis (``tests/pump/test_phase.py`` compares every
entry of a bucketed grid with a direct solve of that point). Padded bases and sectors serve the
observables pipeline only (their ``dims`` are the bucket's, not the physical sector dimensions).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import jax
import numpy as np

from ._basis import PumpBasis
from ._sectors import PumpSectors, make_sectors

# Spin-space sizes 2S+1 a bucket may be padded to: at most four buckets up to S = 20 (Fig. 4), each
# padding costs at most (next/this)³ in the eigh of the smallest S of the bucket.
_BUCKETS = (11, 21, 31, 41)


def bucket_of(n_spin: int) -> int:
    """The padded spin-space size for 2S+1 = ``n_spin``: the smallest bucket that holds it, or, past
    the last bucket, the next multiple of 20 plus 1."""
    for size in _BUCKETS:
        if n_spin <= size:
            return size
    return 20 * (-(-(n_spin - 1) // 20)) + 1


def group_by_bucket(spins) -> dict[int, list[Fraction]]:
    """Spin sizes grouped by their bucket (2S+1 padded)."""
    groups: dict[int, list[Fraction]] = {}
    for S in spins:
        groups.setdefault(bucket_of(int(2 * S) + 1), []).append(S)
    return groups


def _pad(x: np.ndarray, shape: tuple[int, ...], fill=0) -> np.ndarray:
    out = np.full(shape, fill, dtype=x.dtype)
    out[tuple(slice(0, n) for n in x.shape)] = x
    return out


def pad_basis(basis: PumpBasis, n_spin: int) -> PumpBasis:
    """``basis`` with its spin space padded to ``n_spin`` states (zero matrix elements) and its
    physical S carried as data (``spin``)."""
    spin_ops = {name: jax.device_put(_pad(np.asarray(getattr(basis, name)), (n_spin, n_spin)))
                for name in ("sx", "sy", "sz")}
    return dataclasses.replace(basis, two_S=n_spin - 1, spin=jax.device_put(np.float64(basis.S)), **spin_ops)


def padded_sizes(sectors: list[PumpSectors]) -> dict[str, int]:
    """The bucket's table sizes: the largest of each over its sectors."""
    return {
        "d": max(s.size for s in sectors),
        "records": max(s.record_term.shape[1] for s in sectors),
        "entries": max(s.entry_row.shape[1] for s in sectors),
        "multiplicity": max(s.entry_records.shape[2] for s in sectors),
    }


def pad_sectors(sectors: PumpSectors, n_spin_old: int, n_spin: int, sizes: dict[str, int]) -> PumpSectors:
    """The sector tables of one S padded to a bucket's sizes (module docstring)."""
    L, d_old, d = sectors.L, sectors.size, sizes["d"]
    R1, E, m = sizes["records"], sizes["entries"], sizes["multiplicity"]
    a = {f.name: np.asarray(getattr(sectors, f.name)) for f in dataclasses.fields(sectors)
         if not f.metadata.get("static", False)}
    zero_record = a["record_term"].shape[1] - 1  # a record of value 0 (its old index stays one after padding)
    entry_row = np.where(a["entry_row"] >= d_old, d, a["entry_row"])  # old padding entries: still dropped
    real_rows = np.tile(np.arange(d)[None, :, None], (L, 1, 2)).astype(a["real_rows"].dtype)
    real_cols = real_rows.copy()
    real_weights = np.zeros((L, d, 2), dtype=a["real_weights"].dtype)
    real_weights[:, :, 0] = 1.0  # new padding slots: W = 1, as the builder's
    real_col_weights = real_weights.copy()
    real_rows[:, :d_old], real_cols[:, :d_old] = a["real_rows"], a["real_cols"]
    real_weights[:, :d_old], real_col_weights[:, :d_old] = a["real_weights"], a["real_col_weights"]
    C = a["slot"].shape[1] // n_spin_old
    slot = np.full((L, C, n_spin), d, dtype=a["slot"].dtype)
    slot[:, :, :n_spin_old] = np.where(a["slot"] >= d_old, d, a["slot"]).reshape(L, C, n_spin_old)
    amplitude = np.zeros((L, C, n_spin), dtype=a["amplitude"].dtype)
    amplitude[:, :, :n_spin_old] = a["amplitude"].reshape(L, C, n_spin_old)
    arrays = dict(
        record_term=_pad(a["record_term"], (L, R1)),
        record_value=_pad(a["record_value"], (L, R1)),
        entry_row=_pad(entry_row, (L, E), fill=d),
        entry_col=_pad(a["entry_col"], (L, E)),
        entry_records=_pad(a["entry_records"], (L, E, m), fill=zero_record),
        real_rows=real_rows, real_weights=real_weights, real_cols=real_cols, real_col_weights=real_col_weights,
        sz=_pad(a["sz"], (L, d)),
        valid=_pad(a["valid"], (L, d), fill=False),
        slot=slot.reshape(L, C * n_spin),
        amplitude=amplitude.reshape(L, C * n_spin),
    )
    return dataclasses.replace(sectors, two_S=n_spin - 1, dims=(d,) * L,
                               **{k: jax.device_put(v) for k, v in arrays.items()})


def bucketed(bases: list[PumpBasis]) -> list[tuple[PumpBasis, PumpSectors]]:
    """(padded basis, padded sectors) of every basis, padded to the bucket of its spin size. The
    bases of one bucket then share every array shape and static field: one compilation serves them."""
    groups: dict[int, list[int]] = {}
    for i, basis in enumerate(bases):
        groups.setdefault(bucket_of(basis.n_spin), []).append(i)
    out: list = [None] * len(bases)
    for n_spin, members in groups.items():
        sectors = [make_sectors(bases[i]) for i in members]
        sizes = padded_sizes(sectors)
        for i, s in zip(members, sectors):
            out[i] = (pad_basis(bases[i], n_spin), pad_sectors(s, bases[i].n_spin, n_spin, sizes))
    return out
