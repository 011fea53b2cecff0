"""Symmetry sectors of the clean pump: block-diagonalization by U = T₁ e^{iπS_z} (docs/physics.md §1 "Symmetries").

At zero disorder H commutes with U, translation by one site combined with a π rotation of the spin
about z (T₂ = ±U² is included). U is a *monomial* matrix in the product basis |c, m⟩ (fermion
configuration c, spin projection m): it maps each basis state to one other basis state times a
phase, U|b⟩ = u_b |π(b)⟩. The orbits of π have lengths p dividing L, and U^L is the scalar u_L
(π^L = 1, T₁^L = 1 for periodic fermions, e^{iπLS_z} = (±1)). The L eigenvalues of U are
λ_k = λ₀ e^{2πik/L} with λ₀^L = u_L, k = 0..L-1, and an orbit of length p with accumulated phase
Φ = u_{b₀}u_{π(b₀)}⋯ contributes the normalized state

    |k, b₀⟩ = p^{-1/2} Σ_{j<p} λ_k^{-j} U^j |b₀⟩          (U|k, b₀⟩ = λ_k |k, b₀⟩)

to every sector with λ_k^p = Φ. These states form orthonormal bases of the sectors (distinct orbits
have disjoint supports). With H|b₀⟩ = Σ_b' h_b' |b'⟩ and [H, U] = 0,

    ⟨k, a|H|k, b₀⟩ = √p_b₀ Σ_b' h_b' conj(⟨b'|k, a⟩),

so each sector block follows from the few nonzeros of H's columns at the orbit representatives
("records", built once per (L, N, S) in numpy). H's parameter dependence enters only through
three coefficients (hopping, staggered hopping ⊗ S_x, staggered potential ⊗ S_y) and the
diagonal -ω S_z, so the blocks of any parameter point are assembled from the records inside
``jit``. Several records can land on the same matrix entry; they are grouped on the host (one row
of record indices per distinct entry), summed by a fixed-order reduction and written with a
unique-index scatter, so a block is bitwise the same on every run and device (a GPU scatter-add of
colliding records would sum in a run-dependent order).

S_x and S_y anticommute with e^{iπS_z}, so they connect sector k to k + L/2 (λ → -λ).

**Real blocks.** H also commutes with the antiunitary A = K·R: the site reflection j → L-1-j
(which keeps the staggering of the bonds and flips that of the sites) followed by complex
conjugation in the product basis (which flips S_y back and turns the flux around twice);
``tests/pump/test_sectors.py`` checks A H A⁻¹ = H, flux included. A U A⁻¹ = U⁻¹, so A maps every
sector onto itself, and on the sector basis it acts as A|k, a⟩ = μ_a |k, π(a)⟩ with π an involution
of the orbits. The A-invariant vectors e^{i arg(μ_a)/2}|a⟩ (π(a) = a) and (|a⟩ + μ_a|π(a)⟩)/√2,
i(|a⟩ - μ_a|π(a)⟩)/√2 (pairs) form an orthonormal basis W_k in which H_k is real symmetric, so
every block is diagonalized by a real ``eigh`` (about 2.4x cheaper than a complex one of the same
size) and its eigenvectors are mapped back by W_k (two nonzeros per row and column).

**Paired sectors.** At half filling (N = L/2) H also commutes with Q = R·C, the site reflection
times the particle-hole map c_j → ±c_j† (spin untouched): C flips the staggered potential and R
flips it back, both keep the bond staggering, and R·C keeps the direction of every hop (flux
included). Q U Q⁻¹ ∝ U⁻¹, so Q maps sector k onto a partner sector k' with the same spectrum and the
same ⟨S_z⟩ of every eigenstate. Only one sector of each pair is diagonalized (5 of 8 at L = 8); the
eigenvectors of the other are Q times those (a signed permutation of fermion configurations,
found on the host from Q F Q⁻¹ = F for the hopping matrices and checked on every hop). Where Q is
not a symmetry (N ≠ L/2) every sector is its own representative.

**Padding.** Sectors have unequal dimensions d_k ≤ d = max d_k. Each block is padded to d × d with
zero off-diagonal entries and the value P = ‖H_k‖_F + 1 on the padding diagonal. The padded matrix
is block-diagonal, and P exceeds the spectral norm of the physical block, so the two spectra are
disjoint: the physical eigenpairs are exactly the d_k lowest of the padded matrix (eigenvectors
zero on the padding rows) and the padding eigenpairs are (P, unit vectors). Nothing of the physics
can change; ``tests/pump/test_sectors.py`` checks it.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Complex, Float, Int

from ._basis import PumpBasis, fermion_configurations
from ._hamiltonian import PumpParams, coupling
from ._observables import PumpObservables, as_matrix, observables_of_state, renormalized_frequency, select_state

_PHASE_TOL = 1e-8

# records' term ids: the coefficient of each term at a parameter point is given by `_coefficients`
_HOP, _STAGGERED_HOP_SX, _POTENTIAL_SY = 0, 1, 2


class PumpSectors(eqx.Module):
    """The U-sector structure of one (L, N, S): orbit tables and the sparse records of H's blocks.

    Attributes:
        L, N, two_S: as in :class:`~jaxmotor.pump.PumpBasis`.
        dims: dimension d_k of every sector k = 0..L-1 (static).
        size: padded block size d = max d_k.
        record_term: (L, R + 1) term ids of the records of W_k† X_k W_k (H_k = X_k + X_k† - ω S_z;
            the last record, and padding, value 0).
        record_value: (L, R + 1) their values (phase factors and W_k included).
        entry_row, entry_col: (L, E) the distinct block entries the records land on (padding
            entries lie outside the block, row = d, and are dropped).
        entry_records: (L, E, m) indices of the records that sum into each entry (padded with R).
        real_rows, real_weights: (L, d, 2) W_k, the A-invariant basis (Real blocks), by rows:
            W_k[a, real_rows[k, a, j]] = real_weights[k, a, j] (padding slots: W = 1).
        real_cols, real_col_weights: (L, d, 2) the same by columns: W_k[real_cols[k, c, j], c].
        sz: (L, d) S_z eigenvalue m of every sector basis state (0 on padding).
        valid: (L, d) True on the physical (non-padding) basis states.
        slot: (L, D) position of product basis state b's orbit in sector k, or d if its orbit does
            not contribute to sector k.
        amplitude: (L, D) ⟨b|k, slot⟩: the sector basis vectors in the product basis.
        representatives: the sectors that are diagonalized, one of each Q pair (Paired sectors;
            static). ``representative[k]`` is the position of sector k's representative in it.
        is_image: (L,) True where sector k's eigenvectors are Q times its representative's.
        hole_mirror, hole_mirror_sign: (C,) Q on fermion configurations, Q|c⟩ = s_c |π(c)⟩ with
            π = hole_mirror, s = hole_mirror_sign (π² = 1; identity where Q is not a symmetry).
    """

    L: int = eqx.field(static=True)
    N: int = eqx.field(static=True)
    two_S: int = eqx.field(static=True)
    dims: tuple[int, ...] = eqx.field(static=True)
    record_term: Int[Array, "L R1"]
    record_value: Complex[Array, "L R1"]
    entry_row: Int[Array, "L E"]
    entry_col: Int[Array, "L E"]
    entry_records: Int[Array, "L E m"]
    real_rows: Int[Array, "L d 2"]
    real_weights: Complex[Array, "L d 2"]
    real_cols: Int[Array, "L d 2"]
    real_col_weights: Complex[Array, "L d 2"]
    sz: Float[Array, "L d"]
    valid: Bool[Array, "L d"]
    slot: Int[Array, "L D"]
    amplitude: Complex[Array, "L D"]
    representatives: tuple[int, ...] = eqx.field(static=True)
    representative: Int[Array, " L"]
    is_image: Bool[Array, " L"]
    hole_mirror: Int[Array, " C"]
    hole_mirror_sign: Float[Array, " C"]

    @property
    def size(self) -> int:
        return max(self.dims)

    @property
    def n_sectors(self) -> int:
        return self.L


def translation_action(basis: PumpBasis) -> tuple[np.ndarray, np.ndarray]:
    """U = T₁ e^{iπS_z} on the product basis: U|b⟩ = phase[b] |target[b]⟩.

    T₁ moves every fermion one site on (c†_j → c†_{j+1}); in the Fock order c†₁⋯c†_L|0⟩ a fermion
    wrapping from site L to site 1 passes the N-1 others: sign (-1)^(N-1).
    """
    L, N, M = basis.L, basis.N, basis.n_spin
    configs = fermion_configurations(L, N)
    full = (1 << L) - 1
    moved = ((configs << 1) | (configs >> (L - 1))) & full
    c_target = np.searchsorted(configs, moved)
    c_sign = np.where((configs >> (L - 1)) & 1, (-1.0) ** (N - 1), 1.0)
    m = basis.S - np.arange(M)
    s_phase = np.exp(1j * np.pi * m)
    target = (c_target[:, None] * M + np.arange(M)[None, :]).reshape(-1)
    phase = (c_sign[:, None] * s_phase[None, :]).reshape(-1)
    return target, phase


def _mirrored_configurations(L: int, N: int) -> tuple[np.ndarray, np.ndarray]:
    """The configuration bit masks and their images under the site reflection j → L-1-j."""
    configs = fermion_configurations(L, N)
    mirrored = np.zeros_like(configs)
    for j in range(L):
        mirrored |= ((configs >> j) & 1) << (L - 1 - j)
    return configs, mirrored


def reflection_action(basis: PumpBasis) -> np.ndarray:
    """The site reflection R: j → L-1-j on the product basis, R|c, m⟩ = ±|R(c), m⟩ (the fermion
    sign (-1)^{N(N-1)/2} of reversing N creation operators is one global constant, dropped)."""
    configs, mirrored = _mirrored_configurations(basis.L, basis.N)
    c_target = np.searchsorted(configs, mirrored)
    M = basis.n_spin
    return (c_target[:, None] * M + np.arange(M)[None, :]).reshape(-1)


def particle_hole_action(basis: PumpBasis) -> tuple[np.ndarray, np.ndarray] | None:
    """Q = R·C on fermion configurations (Paired sectors): Q|c⟩ = sign[c] |mirror[c]⟩ with
    mirror(c) = the complement of the reflected configuration; None unless N = L/2.

    The signs follow from Q F Q⁻¹ = F for the forward hopping F = Σ_j c†_j c_{j+1} (fixed along
    a spanning tree of the hopping graph from sign +1 at the first configuration) and are then
    checked on every hop of F and of its staggered version.
    """
    L, N = basis.L, basis.N
    if 2 * N != L:
        return None
    configs, mirrored = _mirrored_configurations(L, N)
    mirror = np.searchsorted(configs, ((1 << L) - 1) ^ mirrored)
    F, Fs = np.asarray(basis.forward_uniform), np.asarray(basis.forward_staggered)
    sign = np.zeros(configs.size)
    sign[0], frontier = 1.0, [0]
    while frontier:  # breadth-first over the hops: s_a s_b F[π a, π b] = F[a, b]
        a = frontier.pop()
        for b in np.nonzero((F[a] != 0) | (F[:, a] != 0))[0]:
            if sign[b] == 0:
                forward = F[a, b] != 0
                ours, theirs = (F[a, b], F[mirror[a], mirror[b]]) if forward else (F[b, a], F[mirror[b], mirror[a]])
                if theirs == 0:
                    return None
                sign[b] = ours / (sign[a] * theirs)
                frontier.append(b)
    Q = np.zeros((configs.size, configs.size))
    Q[mirror, np.arange(configs.size)] = sign
    if np.any(sign == 0) or not all(np.allclose(Q @ X @ Q.T, X) for X in (F, Fs)):
        return None
    return mirror, sign


def _pairs(slot: np.ndarray, amplitude: np.ndarray, q_target: np.ndarray, q_sign: np.ndarray, dims) -> np.ndarray:
    """partner[k]: the sector that Q maps sector k onto (from the image of its first basis state)."""
    L, D = slot.shape
    d = max(dims)
    partner = np.arange(L)
    for k in range(L):
        image = np.zeros(D, dtype=complex)
        first = slot[k] == 0
        image[q_target[first]] = q_sign[first] * amplitude[k, first]
        weight = np.zeros(L)
        for j in range(L):
            components = np.zeros(d + 1, dtype=complex)
            np.add.at(components, slot[j], np.conj(amplitude[j]) * image)
            weight[j] = np.sum(np.abs(components[:d]) ** 2)
        partner[k] = int(np.argmax(weight))
        if abs(weight[partner[k]] - 1.0) > 1e-9 or dims[partner[k]] != dims[k]:
            raise RuntimeError("Q does not map a sector onto a sector")
    if not np.array_equal(partner[partner], np.arange(L)):
        raise RuntimeError("the sector pairing by Q is not an involution")
    return partner


def _real_basis(slot: np.ndarray, amplitude: np.ndarray, mirror: np.ndarray, dims: tuple[int, ...]):
    """W_k of every sector (module docstring, Real blocks) by rows, W[a, rows[a, j]] = weights[a, j],
    and by columns, W[cols[c, j], c] = col_weights[c, j]."""
    L, D = slot.shape
    d = max(dims)
    rows = np.tile(np.arange(d)[None, :, None], (L, 1, 2)).astype(np.int32)
    weights = np.zeros((L, d, 2), dtype=complex)
    weights[:, :, 0] = 1.0  # padding slots: W = 1
    cols, col_weights = rows.copy(), weights.copy()
    for k in range(L):
        b = np.nonzero(slot[k] < d)[0]
        a = slot[k, b]
        partner = np.full(d, -1)
        partner[a] = slot[k, mirror[b]]
        mu = np.zeros(d, dtype=complex)  # A|k, a⟩ = μ_a |k, π(a)⟩
        np.add.at(mu, a, np.conj(amplitude[k, mirror[b]]) * np.conj(amplitude[k, b]))
        if not np.allclose(np.abs(mu[: dims[k]]), 1.0, atol=1e-9):
            raise RuntimeError("the reflection does not map sector basis states onto each other")
        for x in range(dims[k]):
            y = partner[x]
            if y == x:  # column x: e^{i arg(μ)/2}|x⟩
                weights[k, x] = col_weights[k, x] = (np.exp(0.5j * np.angle(mu[x])), 0.0)
            elif x < y:  # columns x, y: (|x⟩ + μ|y⟩)/√2 and i(|x⟩ - μ|y⟩)/√2
                h = np.sqrt(0.5)
                rows[k, x] = rows[k, y] = cols[k, x] = cols[k, y] = (x, y)
                weights[k, x], weights[k, y] = (h, 1j * h), (h * mu[x], -1j * h * mu[x])
                col_weights[k, x], col_weights[k, y] = (h, h * mu[x]), (1j * h, -1j * h * mu[x])
    return rows, weights, cols, col_weights


def _to_real_basis(rows, cols, term, value, w_rows, w_weights):
    """Records of X_k (block entries X[a, a']) turned into records of W_k† X_k W_k (up to 4 each)."""
    out = [[], [], [], []]
    for j in range(2):
        for jj in range(2):
            weight = np.conj(w_weights[rows, j]) * w_weights[cols, jj]
            keep = weight != 0
            out[0].append(w_rows[rows[keep], j])
            out[1].append(w_rows[cols[keep], jj])
            out[2].append(term[keep])
            out[3].append(value[keep] * weight[keep])
    return [np.concatenate(x) for x in out]


def _orbits(target: np.ndarray, phase: np.ndarray, L: int):
    """Orbits of U on the product basis.

    Returns (orbit_of, position, accumulated, reps, length, cycle): the orbit index of every product
    state b, its position j and phase φ in U^j|rep⟩ = φ|b⟩ (rep = the orbit's smallest index), and
    per orbit its representative, length p and accumulated phase Φ (U^p|rep⟩ = Φ|rep⟩).
    """
    D = target.size
    rep, cur = np.arange(D), np.arange(D)
    for _ in range(L - 1):
        cur = target[cur]
        rep = np.minimum(rep, cur)
    reps = np.unique(rep)
    position = np.full(D, -1, dtype=np.int64)
    accumulated = np.zeros(D, dtype=complex)
    length = np.zeros(reps.size, dtype=np.int64)
    cycle = np.zeros(reps.size, dtype=complex)
    cur, acc = reps.copy(), np.ones(reps.size, dtype=complex)
    for j in range(L):
        open_ = length == 0
        position[cur[open_]] = j
        accumulated[cur[open_]] = acc[open_]
        acc = acc * phase[cur]
        cur = target[cur]
        closes = open_ & (cur == reps)
        length[closes] = j + 1
        cycle[closes] = acc[closes]
    return np.searchsorted(reps, rep), position, accumulated, reps, length, cycle


def _kron_coo(a: np.ndarray, b: np.ndarray, M: int):
    """Nonzeros (rows, cols, values) of the Kronecker product a ⊗ b (b is M × M)."""
    ra, ca = np.nonzero(a)
    rb, cb = np.nonzero(b)
    va, vb = a[ra, ca], b[rb, cb]
    rows = (ra[:, None] * M + rb[None, :]).reshape(-1)
    cols = (ca[:, None] * M + cb[None, :]).reshape(-1)
    return rows, cols, (va[:, None] * vb[None, :]).reshape(-1)


def _build(basis: PumpBasis) -> PumpSectors:
    L, N, M = basis.L, basis.N, basis.n_spin
    target, phase = translation_action(basis)
    orbit_of, position, accumulated, reps, p_orbit, cycle = _orbits(target, phase, L)
    scalar = cycle ** (L // p_orbit)  # U^L = Φ^(L/p) must be one scalar on every orbit
    if not np.allclose(scalar, scalar[0], atol=_PHASE_TOL):
        raise RuntimeError("U^L is not a scalar: the translation action is inconsistent")
    lam = np.exp(1j * np.angle(scalar[0]) / L) * np.exp(2j * np.pi * np.arange(L) / L)  # λ_k
    # orbit o contributes to sector k iff λ_k^p = Φ
    allowed = np.abs(lam[:, None] ** p_orbit[None, :] - cycle[None, :]) < _PHASE_TOL  # (L, orbits)
    dims = tuple(int(n) for n in allowed.sum(axis=1))
    d = max(dims)
    length = p_orbit[orbit_of]  # orbit length of every product state
    index_in_sector = np.where(allowed, np.cumsum(allowed, axis=1) - 1, d)  # (L, orbits)

    slot = index_in_sector[:, orbit_of]  # (L, D)
    amp = lam[:, None] ** (-position[None, :]) * accumulated[None, :] / np.sqrt(length)[None, :]
    amplitude = np.where(slot < d, amp, 0.0)

    sz = np.zeros((L, d))
    valid = np.arange(d)[None, :] < np.array(dims)[:, None]
    m_of_orbit = basis.S - (reps % M)
    for k in range(L):
        sz[k, : dims[k]] = m_of_orbit[allowed[k]]

    eye_m = np.eye(M)
    potential = np.diag(np.asarray(basis.occupations) @ np.asarray(basis.stagger))
    terms = [
        (_HOP, _kron_coo(np.asarray(basis.forward_uniform), eye_m, M)),
        (_STAGGERED_HOP_SX, _kron_coo(np.asarray(basis.forward_staggered), np.asarray(basis.sx), M)),
        (_POTENTIAL_SY, _kron_coo(potential, np.asarray(basis.sy), M)),
    ]
    per_sector = [[] for _ in range(L)]
    is_rep = np.zeros(target.size, dtype=bool)
    is_rep[reps] = True
    for term, (rows, cols, vals) in terms:
        keep = is_rep[cols]
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        o_row, o_col = orbit_of[rows], orbit_of[cols]
        base = vals * np.conj(accumulated[rows]) * np.sqrt(length[cols] / length[rows])
        for k in range(L):
            ok = allowed[k, o_row] & allowed[k, o_col]
            value = base[ok] * lam[k] ** position[rows[ok]]
            per_sector[k].append((index_in_sector[k, o_row[ok]], index_in_sector[k, o_col[ok]],
                                  np.full(ok.sum(), term), value))
    C = basis.n_configs
    action = particle_hole_action(basis)
    hole_mirror, hole_sign = action if action is not None else (np.arange(C), np.ones(C))
    if action is None:
        partner = np.arange(L)
    else:
        q_target = (hole_mirror[:, None] * M + np.arange(M)[None, :]).reshape(-1)
        partner = _pairs(slot, amplitude, q_target, np.repeat(hole_sign, M), dims)
    representatives = tuple(k for k in range(L) if partner[k] >= k)
    representative = np.array([representatives.index(min(k, partner[k])) for k in range(L)], dtype=np.int32)
    w_rows, w_weights, w_cols, w_col_weights = _real_basis(slot, amplitude, reflection_action(basis), dims)
    joined = [_to_real_basis(*[np.concatenate([r[i] for r in recs]) for i in range(4)], w_rows[k], w_weights[k])
              for k, recs in enumerate(per_sector)]
    width = max(j[0].size for j in joined)
    record_term = np.zeros((L, width + 1), dtype=np.int32)
    record_value = np.zeros((L, width + 1), dtype=complex)
    groups = []
    for k, (rows, cols, term, value) in enumerate(joined):
        record_term[k, : term.size] = term
        record_value[k, : value.size] = value
        entries, inverse = np.unique(rows.astype(np.int64) * d + cols, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[order], np.arange(entries.size))
        rank = np.arange(order.size) - starts[inverse[order]]
        groups.append((entries, inverse[order], rank, order))
    n_entries = max(1, max(g[0].size for g in groups))
    multiplicity = max(1, max((int(g[2].max()) + 1 for g in groups if g[2].size), default=1))
    entry_row = np.full((L, n_entries), d, dtype=np.int32)  # padding: outside the block, dropped
    entry_col = np.zeros((L, n_entries), dtype=np.int32)
    entry_records = np.full((L, n_entries, multiplicity), width, dtype=np.int32)  # padding: the zero record
    for k, (entries, which, rank, order) in enumerate(groups):
        entry_row[k, : entries.size] = entries // d
        entry_col[k, : entries.size] = entries % d
        entry_records[k, which, rank] = order
    return PumpSectors(
        L=L, N=N, two_S=basis.two_S, dims=dims,
        real_rows=jax.device_put(w_rows), real_weights=jax.device_put(w_weights),
        real_cols=jax.device_put(w_cols), real_col_weights=jax.device_put(w_col_weights),
        record_term=jax.device_put(record_term), record_value=jax.device_put(record_value),
        entry_row=jax.device_put(entry_row), entry_col=jax.device_put(entry_col),
        entry_records=jax.device_put(entry_records),
        sz=jax.device_put(sz), valid=jax.device_put(valid),
        slot=jax.device_put(slot.astype(np.int32)), amplitude=jax.device_put(amplitude),
        representatives=representatives, representative=jax.device_put(representative),
        is_image=jax.device_put(partner < np.arange(L)),
        hole_mirror=jax.device_put(hole_mirror.astype(np.int32)), hole_mirror_sign=jax.device_put(hole_sign),
    )


_CACHE: dict[tuple[int, int, int], PumpSectors] = {}


def make_sectors(basis: PumpBasis) -> PumpSectors:
    """The U-sector structure of ``basis``'s (L, N, S), built once per process and cached."""
    key = (basis.L, basis.N, basis.two_S)
    if key not in _CACHE:
        try:
            np.asarray(basis.occupations), np.asarray(basis.forward_uniform)
        except Exception:  # traced (inside a transformation): rebuild the static structure
            from ._basis import make_basis

            with jax.ensure_compile_time_eval():  # concrete arrays, not tracers of the enclosing trace
                basis = make_basis(basis.L, basis.N, f"{basis.two_S}/2", memory_budget=float("inf"))
        with jax.ensure_compile_time_eval():  # cached: its arrays must never be tracers of a caller's trace
            _CACHE[key] = _build(basis)
    return _CACHE[key]


def _coefficients(params: PumpParams, basis: PumpBasis) -> Complex[Array, " 3"]:
    """Coefficients of the record terms; H_k = X + X† - ω S_z with X the scatter of the records.

    The staggered potential Δg P⊗S_y is Hermitian: its records carry half of it into X.
    """
    g = coupling(params, basis)
    phase = jnp.exp(1j * params.flux)
    return jnp.stack([-0.5 * params.J * phase, -0.5 * params.J * g * phase, 0.5 * params.Delta * g + 0j])


def sector_hamiltonians(
    params: PumpParams, basis: PumpBasis, sectors: PumpSectors, which: tuple[int, ...] | None = None
) -> Float[Array, "K d d"]:
    """The padded blocks W_k† H_k W_k of one clean parameter point for the sectors ``which``
    (default all, k = 0..L-1): real symmetric (Real blocks; padding: module docstring)."""
    coef = _coefficients(params, basis)
    d = sectors.size
    which = np.arange(sectors.L) if which is None else np.asarray(which)

    def block(term, value, row, col, records, sz, valid):
        entries = jnp.real(jnp.sum((coef[term] * value)[records], axis=-1))  # fixed-order sum per entry
        x = jnp.zeros((d, d)).at[row, col].set(entries, mode="drop", unique_indices=True)
        h = x + x.T - params.omega * jnp.diag(sz)  # W† S_z W = S_z: A keeps m
        pad = jnp.sqrt(jnp.sum(h**2)) + 1.0
        return h + jnp.diag(jnp.where(valid, 0.0, pad))

    tables = (sectors.record_term, sectors.record_value, sectors.entry_row, sectors.entry_col,
              sectors.entry_records, sectors.sz, sectors.valid)
    return jax.vmap(block)(*(table[which] for table in tables))


def to_product(sectors: PumpSectors, k, vector: Complex[Array, " d"]) -> Complex[Array, " D"]:
    """A vector of sector k in the product basis |c, m⟩ (fermion-major)."""
    padded = jnp.concatenate([vector, jnp.zeros(1, dtype=vector.dtype)])
    return sectors.amplitude[k] * padded[sectors.slot[k]]


def sector_components(sectors: PumpSectors, k, vector: Complex[Array, " D"]) -> Complex[Array, " d"]:
    """The components ⟨k, a|v⟩ of a product-basis vector in sector k."""
    d = sectors.size
    return jax.ops.segment_sum(jnp.conj(sectors.amplitude[k]) * vector, sectors.slot[k], num_segments=d + 1)[:d]


def to_sectors(sectors: PumpSectors, vector: Complex[Array, " D"]) -> Complex[Array, "L d"]:
    """The components ⟨k, a|v⟩ of a product-basis vector in every sector."""
    return jax.vmap(lambda k: sector_components(sectors, k, vector))(jnp.arange(sectors.L))


def sector_spectrum(
    params: PumpParams, basis: PumpBasis, sectors: PumpSectors, eigh
) -> tuple[Float[Array, "K d"], Float[Array, "K d d"]]:
    """Eigenpairs of the padded real blocks of the representative sectors (Paired sectors), in one
    batched ``eigh``; ascending per sector, physical ones first (Padding). The eigenvectors are real
    and in the A-invariant basis W_k (Real blocks): :func:`sector_state` turns one into a
    product-basis state. ``eigh`` may return ``None`` for the eigenvectors.

    One call, not one per block size: on the CPU, XLA runs independent ``eigh`` calls of one program
    at once on its intra-op thread pool, and each batched LAPACK call then waits on that pool for its
    own tasks — with two pool threads two such calls deadlock (seen with blocks grouped by size).
    """
    return jax.vmap(eigh)(sector_hamiltonians(params, basis, sectors, sectors.representatives))


def apply_hole_mirror(sectors: PumpSectors, psi: Complex[Array, "C M"],
                      transpose: bool = False) -> Complex[Array, "C M"]:
    """Q ψ (or Qᵀ ψ) for a (C, 2S+1) state: the signed configuration permutation of Paired sectors."""
    pi, sign = sectors.hole_mirror, sectors.hole_mirror_sign
    return (sign if transpose else sign[pi])[:, None] * psi[pi]


def _representative_of(sectors: PumpSectors, k):
    """(r, k_rep): sector k's representative as a position in the diagonalized blocks and as a sector."""
    r = sectors.representative[k]
    return r, jnp.asarray(sectors.representatives)[r]


def sector_state(
    sectors: PumpSectors, basis: PumpBasis, evecs: Float[Array, "K d d"], k, i
) -> Complex[Array, "C M"]:
    """Eigenvector i of sector k as a (C, 2S+1) product-basis state, from the representatives'
    eigenvectors (Q times the representative's where sector k is its image)."""
    r, k_rep = _representative_of(sectors, k)
    psi = as_matrix(to_product(sectors, k_rep, from_real_basis(sectors, k_rep, evecs[r][:, i])), basis)
    return jnp.where(sectors.is_image[k], apply_hole_mirror(sectors, psi), psi)


def line_weights(sectors: PumpSectors, evecs: Float[Array, "K d d"], k, x: Complex[Array, "C M"]) -> Float[Array, " d"]:
    """|⟨k, n|x⟩|² for every eigenvector n of sector k (⟨Qv|x⟩ = ⟨v|Qᵀx⟩ if sector k is an image)."""
    r, k_rep = _representative_of(sectors, k)
    source = jnp.where(sectors.is_image[k], apply_hole_mirror(sectors, x, transpose=True), x).reshape(-1)
    components = to_real_basis(sectors, k_rep, sector_components(sectors, k_rep, source))
    return jnp.where(sectors.valid[k], jnp.abs(evecs[r].T @ components) ** 2, 0.0)


def from_real_basis(sectors: PumpSectors, k, vector: Float[Array, " d"]) -> Complex[Array, " d"]:
    """W_k v: a vector of sector k from the A-invariant basis to the sector basis."""
    return jnp.sum(sectors.real_weights[k] * vector[sectors.real_rows[k]], axis=-1)


def to_real_basis(sectors: PumpSectors, k, x: Complex[Array, " d"]) -> Complex[Array, " d"]:
    """W_k† x: sector-basis components of sector k to the A-invariant basis."""
    return jnp.sum(jnp.conj(sectors.real_col_weights[k]) * x[sectors.real_cols[k]], axis=-1)


def physical_eigenvalues(sectors: PumpSectors, evals: Float[Array, "K d"]) -> Float[Array, " D"]:
    """The D physical eigenvalues of all sectors (from the representatives'), ascending: the full spectrum."""
    dim = sum(sectors.dims)
    return jnp.sort(jnp.where(sectors.valid, evals[sectors.representative], jnp.inf).reshape(-1))[:dim]


def sector_sz(sectors: PumpSectors, evecs: Float[Array, "K d d"]) -> Float[Array, "K d"]:
    """⟨S_z⟩ of every eigenvector of the representative sectors (W† S_z W = S_z: A keeps m)."""
    return jnp.einsum("kan,ka->kn", evecs**2, sectors.sz[np.asarray(sectors.representatives)])


def observables_from_sectors(
    params: PumpParams,
    basis: PumpBasis,
    sectors: PumpSectors,
    evals: Float[Array, "K d"],
    evecs: Float[Array, "K d d"],
    sz: Float[Array, "K d"] | None = None,
) -> PumpObservables:
    """The selected state (minimal E' over all sectors, Eq. 11) and all its observables, from the
    eigenpairs of the representative sectors (:func:`sector_spectrum`) and, if already at hand,
    their ⟨S_z⟩ (:func:`sector_sz`).

    The state goes back to the product basis for the currents, gaps and moments; ω̃ uses the lines
    ⟨m|S_x|n⟩ of sector k + L/2, the only one S_x reaches (e^{iπS_z} S_x e^{-iπS_z} = -S_x).
    """
    sz = (sector_sz(sectors, evecs) if sz is None else sz)[sectors.representative]  # Q keeps S_z
    evals = evals[sectors.representative]
    selection = jnp.where(sectors.valid, evals + params.omega * sz, jnp.inf).reshape(-1)
    n, margin = select_state(selection)
    k, i = jnp.divmod(n, sectors.size)
    psi = sector_state(sectors, basis, evecs, k, i)
    energy = evals[k, i]
    shifted = (k + sectors.L // 2) % sectors.L  # S_x ψ lies in sector k + L/2
    weights = line_weights(sectors, evecs, shifted, psi @ basis.sx.T)
    below = jnp.sum(jnp.where(sectors.valid, evals < energy, False))  # index in the full spectrum
    return observables_of_state(
        params, basis, psi, energy=energy, E_prime=selection[n], margin=margin, index=below,
        omega_tilde=renormalized_frequency(evals[shifted] - energy, weights), method="sectors",
    )
