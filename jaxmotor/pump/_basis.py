"""Hilbert space of the spin-Rice-Mele ring: N spinless fermions on L sites ⊗ one spin S.

Pump paper Sec. II B, docs/physics.md §1. The fermion basis is the set of N-particle configurations of the
ring in the Fock order c†_1 … c†_L |0⟩, stored as bit masks (bit j-1 is the occupation of site j)
in increasing order. The spin basis is m = S, S-1, …, -S (S_z eigenbasis). A many-body index is
``f * (2S+1) + s`` (fermion ⊗ spin).

Everything here is static structure, built once per (L, N, S) on the host with numpy and handed
to the jitted code as constant arrays. Nothing ever touches the 2^L Fock space.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import comb

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array, Complex, Float, Int

from .._validate import check_int, fail
from ..batching import default_memory_budget

# Dense complex128 H plus eigenvectors plus workspace: ~4 copies of D² complex numbers.
_BYTES_PER_DENSE_ENTRY = 4 * 16


MAX_SPIN = 10_000  # 2S+1 spin states; far beyond any dense ED, but keeps sizes finite integers


def spin_value(S) -> Fraction:
    """Parse a spin size (int, float, or a string such as ``"5/2"``) into an exact half-integer."""
    try:
        value = Fraction(str(S)) if isinstance(S, str) else Fraction(S).limit_denominator(2)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        fail("S", S, "the spin size must be a positive multiple of 1/2 (e.g. 10, 2.5, '5/2')")
    if isinstance(S, float) and not float(value) == S:
        fail("S", S, "the spin size must be a positive multiple of 1/2 (e.g. 10, 2.5, '5/2')")
    if value <= 0 or (2 * value).denominator != 1:
        fail("S", S, "the spin size must be a positive multiple of 1/2 (e.g. 10, 2.5, '5/2')")
    if value > MAX_SPIN:
        fail("S", S, f"the spin size must lie in [1/2, {MAX_SPIN}]")
    return value


def spin_matrices(S) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spin matrices (S_x, S_y, S_z) of size 2S+1 in the basis m = S, …, -S.

    ⟨m+1|S₊|m⟩ = √(S(S+1) - m(m+1)); S_x = (S₊ + S₋)/2, S_y = (S₊ - S₋)/(2i). S_y is imaginary.
    """
    s = float(spin_value(S))
    m = s - np.arange(int(round(2 * s)) + 1)
    splus = np.diag(np.sqrt(s * (s + 1) - m[1:] * (m[1:] + 1)), k=1)
    sx = (splus + splus.T) / 2
    sy = (splus - splus.T) / 2j
    return sx.astype(complex), sy, np.diag(m).astype(complex)


def fermion_configurations(L: int, N: int) -> np.ndarray:
    """All bit masks with N of L bits set, in increasing order. Shape (C(L,N),)."""
    masks = [sum(1 << j for j in occ) for occ in combinations(range(L), N)]
    return np.array(sorted(masks), dtype=np.int64)


def occupations(L: int, N: int) -> np.ndarray:
    """Occupation numbers n_j of every configuration. Shape (C, L), 0/1 floats."""
    configs = fermion_configurations(L, N)
    return ((configs[:, None] >> np.arange(L)[None, :]) & 1).astype(float)


def hopping_pair_table(L: int, N: int) -> tuple[np.ndarray, np.ndarray]:
    """Gather table of the one-body operators c†_m c_l (m ≠ l), for particle-hole excitations.

    Returns ``(source, sign)`` of shape (L, L, C): (c†_m c_l ψ)[c'] = sign[m, l, c'] ψ[source[m, l, c']],
    with sign 0 where c' cannot be reached (m empty in c', or l occupied in c', or m = l).
    """
    configs = fermion_configurations(L, N)
    index = {int(c): i for i, c in enumerate(configs)}
    C = len(configs)
    source = np.zeros((L, L, C), dtype=np.int32)
    sign = np.zeros((L, L, C))
    for m in range(L):
        for l in range(L):
            if m == l:
                continue
            for row, cp in enumerate(configs):
                cp = int(cp)
                if not (cp >> m) & 1 or (cp >> l) & 1:
                    continue
                c = (cp ^ (1 << m)) | (1 << l)  # c_l removed from c, c†_m added: c' = c - l + m
                # c_l on c: sign (-1)^(occupied sites before l in c)
                s1 = bin(c & ((1 << l) - 1)).count("1")
                after = c ^ (1 << l)
                s2 = bin(after & ((1 << m) - 1)).count("1")
                source[m, l, row] = index[c]
                sign[m, l, row] = (-1.0) ** (s1 + s2)
    return source, sign


class PumpBasis(eqx.Module):
    """Static structure of the pump for one (L, N, S): the small factors H is built from.

    Bonds and sites are numbered j = 1..L in the paper; arrays use 0-based index j-1, so the
    stagger (-1)^j of bond/site j is ``stagger[j-1] = (-1)^j``.

    Attributes:
        L: number of ring sites (even, ≥ 4).
        N: number of fermions (1 ≤ N ≤ L-1).
        two_S: 2S, so that half-integer spins are exact.
        forward_uniform: Σ_j c†_j c_{j+1}, dense, shape (C, C) (T₀ = F + Fᵀ).
        forward_staggered: Σ_j (-1)^j c†_j c_{j+1}, dense, shape (C, C) (T_s = F + Fᵀ).
        occupations: n_j of each configuration, shape (C, L).
        pair_source, pair_sign: gather table of c†_m c_l, shape (L, L, C) (see
            :func:`hopping_pair_table`).
        stagger: (-1)^j for j = 1..L, shape (L,).
        sx, sy, sz: spin matrices, shape (2S+1, 2S+1), complex.
        spin: the spin size S as data, or None (then S = two_S/2). Set only on bases whose spin
            space is padded to a bucket size (:mod:`jaxmotor.pump._buckets`), where two_S is the
            padded size.
    """

    L: int = eqx.field(static=True)
    N: int = eqx.field(static=True)
    two_S: int = eqx.field(static=True)
    forward_uniform: Float[Array, "C C"]
    forward_staggered: Float[Array, "C C"]
    occupations: Float[Array, "C L"]
    pair_source: Int[Array, "L L C"]
    pair_sign: Float[Array, "L L C"]
    stagger: Float[Array, " L"]
    sx: Complex[Array, "M M"]
    sy: Complex[Array, "M M"]
    sz: Complex[Array, "M M"]
    spin: Float[Array, ""] | None = None

    @property
    def S(self) -> float:
        return self.two_S / 2

    @property
    def n_configs(self) -> int:
        return comb(self.L, self.N)

    @property
    def n_spin(self) -> int:
        return self.two_S + 1

    @property
    def dim(self) -> int:
        return self.n_configs * self.n_spin


def forward_hop(source: np.ndarray, sign: np.ndarray, j: int) -> np.ndarray:
    """Dense matrix of c†_j c_{j+1} (0-based bond j, site L ≡ 0) from the pair table. (C, C)."""
    L, C = source.shape[0], source.shape[2]
    a, b = j, (j + 1) % L
    out = np.zeros((C, C))
    out[np.arange(C), source[a, b]] += sign[a, b]
    return out


def dense_dimension(L: int, N: int, S) -> int:
    """Dimension C(L, N)·(2S+1) of the pump's Hilbert space."""
    return comb(L, N) * (int(2 * spin_value(S)) + 1)


def check_size(L, N=None, S=10, *, memory_budget: float | None = None) -> tuple[int, int, Fraction]:
    """Validate (L, N, S) and that a dense ED fits in memory. Returns (L, N, S)."""
    L = check_int("L", L, low=4)
    if L % 2:
        fail("L", L, "the ring needs an even number of sites L >= 4 (two-site unit cell)")
    N = L // 2 if N is None else check_int("N", N, low=1, high=L - 1)
    S = spin_value(S)
    dim = comb(L, N) * (int(2 * S) + 1)
    check_memory(L, N, S, ed_bytes(dim, L, sectors=True), memory_budget, "ED (even in symmetry sectors)")
    return L, N, S


def ed_bytes(dim: int, L: int, *, sectors: bool) -> int:
    """Estimated peak memory (bytes) of one parameter point's ED and observables, complex128:
    H (or its L sector blocks, ≈ D/L each), eigenvectors and eigh workspace, and the L bond-hopped
    copies of the state behind the particle-hole gaps."""
    block = int(1.1 * -(-dim // L)) + 1 if sectors else dim
    blocks = L if sectors else 1
    return blocks * block * block * _BYTES_PER_DENSE_ENTRY + 4 * L * dim * 16


def check_memory(L, N, S, need: float, memory_budget: float | None, what: str) -> None:
    """Fail (naming L) if ``need`` bytes exceed the memory budget (default half the machine's)."""
    budget = memory_budget if memory_budget is not None else default_memory_budget()
    if need > budget:
        fail("L", L, f"{what} of L={L}, N={N}, S={S} needs about {need / 2**30:.1f} GiB per point, "
                     f"more than the memory budget of {budget / 2**30:.1f} GiB")


def make_basis(L: int = 8, N: int | None = None, S=10, *, memory_budget: float | None = None) -> PumpBasis:
    """Build the static structure of the pump for one (L, N, S), after validating it.

    Args:
        L: ring sites, even, ≥ 4.
        N: fermions, 1 ≤ N ≤ L-1; default L/2 (half filling).
        S: spin size, a positive multiple of 1/2.
        memory_budget: bytes allowed for one dense ED; default half the machine's memory.
    """
    L, N, S = check_size(L, N, S, memory_budget=memory_budget)
    sx, sy, sz = spin_matrices(S)
    source, sign = hopping_pair_table(L, N)
    stagger = (-1.0) ** np.arange(1, L + 1)
    hops = [forward_hop(source, sign, j) for j in range(L)]
    arrays = dict(
        forward_uniform=sum(hops),
        forward_staggered=sum(s * h for s, h in zip(stagger, hops)),
        occupations=occupations(L, N),
        pair_source=source,
        pair_sign=sign,
        stagger=stagger,
        sx=sx,
        sy=sy,
        sz=sz,
    )
    # JAX arrays, so that the basis also works when closed over (not passed through jit).
    return PumpBasis(L=L, N=N, two_S=int(2 * S), **{k: jax.device_put(v) for k, v in arrays.items()})  # no jit


__all__ = [
    "PumpBasis",
    "make_basis",
    "spin_matrices",
    "spin_value",
    "fermion_configurations",
    "forward_hop",
    "occupations",
    "hopping_pair_table",
    "dense_dimension",
    "check_size",
]
