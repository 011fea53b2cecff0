"""Real-time quantum dynamics of the spin-Rice-Mele ring (issue 18; docs/physics.md §1 "Real-time dynamics").

The full many-body state ψ(t) = e^{-iHt} ψ(0) of the pump (Eq. 7, 33; ħ = e = 1, time in 1/J) is
propagated two independent ways:

* ``"exact"`` — the full eigendecomposition of H. On a clean ring it is the symmetry-sector ED of
  :mod:`jaxmotor.pump._sectors` (all L sectors of U = T₁e^{iπS_z}, real blocks), so ψ(t) is
  Σ_k W_k V_k e^{-iE_k t} V_kᵀ W_k† P_k ψ(0) with P_k the sector projection; with disorder, a dense
  ``eigh`` of H. Practical for L ≤ 10. The charge is integrated with Gauss-Legendre nodes inside
  every record interval; their number is chosen from the remainder bound of the rule (below).
* ``"krylov"`` — matrix-free. H·v is applied from its Kronecker factors with one gather per bond
  (:class:`HopTables`: for every configuration c' and bond l the configuration c that the hop
  across l maps onto c', its Jordan-Wigner sign and direction): no D×D and no C×C matrix is
  formed, and the spin factors, tridiagonal in the S_z basis, are applied as shifted products.
  e^{-iHτ}v is the Lanczos approximation β V_m e^{-iτT_m} e₁ (m Krylov vectors, three-term
  recurrence; full reorthogonalization optional). The charge pumped during the step comes from the
  same Krylov space: within it ψ(s) = β V_m e^{-isT_m} e₁ for 0 ≤ s ≤ τ, so with T_m = UΘUᵀ,
  z = Uᵀe₁ and J_m = V_m† J_L V_m (J_L the current of the boundary bond L, one gather),

      ∫_0^τ ⟨ψ(s)|J_L|ψ(s)⟩ ds = β² Σ_ab z_a z_b (UᵀJ_mU)_ab ∫_0^τ e^{i(θ_a-θ_b)s} ds,

  the integral in closed form (τ e^{iΔτ/2} sinc): integrated to the accuracy of the Krylov state,
  with no quadrature. Continuity turns it into the bond average: with the dipole X = Σ_j (j-1)n_j,
  dX/dt = L J_L - Σ_l J_l, so Q(t) = ∫_0^t ⟨J_L⟩ - (X(t) - X(0))/L (:func:`dipole`). (A block
  exponential à la Van Loan gives the same integral; the m×m ``eigh`` of the tridiagonal T_m is
  ~50x cheaper than ``expm`` of the 2m×2m block on a CPU.)

**Error control.** Both methods need the spectral width W of H: a rigorous bound
W ≤ 2|ω|S + 2(|J|n(1 + |η|) + |Δη|n + Σ_{N largest}|ε_j|), n = min(N, L-N) (Weyl's inequality
with ‖T₀‖, ‖T_s‖ ≤ 2n, ‖P‖ ≤ n, ‖S_a‖ = S for the factors of Eq. 33; ``spectral_width="bound"``),
or by default the extreme Ritz values of a 60-step Lanczos run widened by their residual norms,
capped by that bound (:func:`spectral_width_estimate`: 16.07 against the true 16.06 at L = 12,
S = 10, where the bound is 40.8). ‖J_l‖ ≤ |J|(1 + |η|) for every bond and the average.

* Krylov: for a Hermitian H with spectrum in an interval of width 4ρ = W, the Lanczos error of one
  step obeys ‖e^{-iτH}v - βV_m e^{-iτT_m}e₁‖ ≤ 12 e^{-(ρτ)²/m} (eρτ/m)^m for m ≥ 2ρτ (Hochbruck &
  Lubich, SIAM J. Numer. Anal. 34, 1911 (1997), Thm. 4) and ≤ 4 Σ_{k≥m} |J_k(2ρτ)| (twice the
  Chebyshev tail: :func:`lanczos_error_bound`); the smaller is used. The step τ is the largest record interval
  / n that keeps the sum of these bounds over the run below ``DynamicsConfig.tol``; the state error
  at every record time is then ≤ tol (unitary steps do not amplify earlier errors), every
  expectation value is off by ≤ 2‖A‖·tol, and the charge by ≤ 2‖J̄‖·tol·t. An a posteriori
  estimate (β β_m |[e^{τA}]_{m-1,0}|, the first term of the error series, Saad 1992) is reported
  alongside.
* Exact: the n-node Gauss-Legendre rule on an interval of length h errs by at most
  h^{2n+1}(n!)⁴/((2n+1)((2n)!)³) · max|f^{(2n)}|, and f(t) = ⟨ψ(t)|J̄|ψ(t)⟩ has
  |f^{(2n)}| ≤ W^{2n}‖J̄‖ (its frequencies are differences of eigenvalues). n is the smallest that
  keeps the sum over the intervals below ``DynamicsConfig.charge_tol``.

**Initial states.** A spin coherent state |θ, φ⟩ = e^{-iφS_z}e^{-iθS_y}|m = S⟩ times the Slater
determinant of the N lowest orbitals Φ of the first-quantized ring h(g⟨S_x⟩, g⟨S_y⟩) of the mean
field (:func:`jaxmotor.pump._meanfield.single_particle_hamiltonian`; periodic, no Jordan-Wigner
sign): amplitude det Φ[j_b, a] on the configuration j₁ < … < j_N (Fock order c†₁…c†_L|0⟩). Also
any eigenstate of H (:func:`eigenstate`) or a user-given (C, 2S+1) state.

**Observables** on R equally spaced record times 0..T: ⟨S_a⟩, ⟨S_a²⟩, the bond currents J_l (docs/physics.md's
orientation: +1 plateau for ω > 0), the charge Q(t) = (1/L) Σ_l ∫_0^t ⟨J_l⟩ dt', the spin-fermion
entanglement entropy (von Neumann entropy of ρ_spin = Ψᵀ Ψ*), the energy and the norm, and the
charge per revolution of the in-plane angle atan2(⟨S_y⟩, ⟨S_x⟩), computed exactly as
:func:`jaxmotor.pump.meanfield` does (clockwise winding, completed revolutions interpolated
linearly between records; the records must resolve the turning, less than π per interval).
"""

from __future__ import annotations

import dataclasses
import math
from itertools import combinations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from jaxtyping import Array, ArrayLike, Complex, Float, Int

from .._validate import check_finite, check_int, check_range, fail
from ._basis import PumpBasis, fermion_configurations, spin_value
from ._hamiltonian import PumpParams, hamiltonian
from ._meanfield import single_particle_hamiltonian

METHODS = ("krylov", "exact")
_REVOLUTION_TOL = 1e-9
_BREAKDOWN = 1e-12  # a Lanczos β below this (‖v‖ = 1) ends the Krylov space: the rest decouples


# ----------------------------------------------------------------------------------------------
# Static structure: gather tables of the hops
# ----------------------------------------------------------------------------------------------


class HopTables(eqx.Module):
    """Matrix-free structure of H for one (L, N, S): per configuration and bond, the gather.

    For row c' (a configuration) and bond l (sites l, l+1 0-based, site L ≡ 0), ``source[c', l]``
    is the configuration c with the occupations of l and l+1 swapped; the hop across bond l maps c
    onto c' with the Jordan-Wigner sign ``sign[c', l]`` (0 where the two sites hold the same
    occupation) in the direction ``direction[c', l]``: +1 for c†_l c_{l+1} (the forward hop F_l of
    :mod:`jaxmotor.pump._basis`), -1 for c†_{l+1} c_l. The sign is (-1)^(occupied sites strictly
    between the hop's ends), i.e. (-1)^(N-1) on the boundary bond (docs/physics.md §1).

    Attributes:
        L, N, two_S: sizes (static).
        source: (C, L) int32. sign, direction: (C, L) floats.
        occupations: n_j of every configuration, (C, L).
        potential: Σ_j (-1)^j n_j of every configuration, (C,).
        stagger: (-1)^j of bond / site j = 1..L, (L,).
        m: S_z eigenvalues S, S-1, …, -S, (M,).
        splus: ⟨m+1|S₊|m⟩ on the superdiagonal (index i ↔ m = S - i), (M-1,).
        occupied: the occupied sites j₁ < … < j_N (0-based) of every configuration, (C, N).
        forward_edge_rows: the configurations c†_L c_1 reaches (direction +1 on bond L), (C_f,).
    """

    L: int = eqx.field(static=True)
    N: int = eqx.field(static=True)
    two_S: int = eqx.field(static=True)
    source: Int[Array, "C L"]
    sign: Float[Array, "C L"]
    direction: Float[Array, "C L"]
    occupations: Float[Array, "C L"]
    potential: Float[Array, " C"]
    stagger: Float[Array, " L"]
    m: Float[Array, " M"]
    splus: Float[Array, " Mm1"]
    occupied: Int[Array, "C N"]
    forward_edge_rows: Int[Array, " Cf"]

    @property
    def S(self) -> float:
        return self.two_S / 2

    @property
    def n_configs(self) -> int:
        return math.comb(self.L, self.N)

    @property
    def n_spin(self) -> int:
        return self.two_S + 1

    @property
    def dim(self) -> int:
        return self.n_configs * self.n_spin


def check_sizes(L, N=None, S=10) -> tuple[int, int, float]:
    """Validate (L, N, S) for the dynamics (no ED memory check: the Krylov path needs O(mD))."""
    L = check_int("L", L, low=4, high=28)
    if L % 2:
        fail("L", L, "the ring needs an even number of sites L >= 4 (two-site unit cell)")
    N = L // 2 if N is None else check_int("N", N, low=1, high=L - 1)
    return L, N, float(spin_value(S))


def make_hop_tables(L: int = 8, N: int | None = None, S=10) -> HopTables:
    """Build the gather tables of H for (L, N, S) on the host (vectorized numpy, O(C·L))."""
    L, N, S = check_sizes(L, N, S)
    configs = fermion_configurations(L, N) if L <= 16 else _configurations(L, N)
    C = configs.size
    sites = np.arange(L)
    occ = ((configs[:, None] >> sites[None, :]) & 1).astype(np.int64)  # (C, L)
    right = (sites + 1) % L
    swapped = configs[:, None] ^ ((1 << sites) | (1 << right))[None, :]
    differ = occ[:, sites] != occ[:, right]
    source = np.where(differ, np.searchsorted(configs, np.where(differ, swapped, configs[:, None])),
                      np.arange(C)[:, None])
    lo, hi = np.minimum(sites, right), np.maximum(sites, right)
    between = ((1 << hi) - 1) & ~((1 << (lo + 1)) - 1)  # sites strictly between the ends
    count = _popcount(configs[:, None] & between[None, :])
    sign = np.where(differ, (-1.0) ** count, 0.0)
    direction = np.where(differ, np.where(occ[:, sites] == 1, 1.0, -1.0), 0.0)
    stagger = (-1.0) ** np.arange(1, L + 1)
    two_S = int(round(2 * S))
    m = S - np.arange(two_S + 1)
    splus = np.sqrt(S * (S + 1) - m[1:] * (m[1:] + 1))
    occupied = np.stack([np.nonzero(row)[0] for row in occ]) if C else np.zeros((0, N), int)
    arrays = dict(source=source.astype(np.int32), sign=sign, direction=direction,
                  occupations=occ.astype(float), potential=occ @ stagger, stagger=stagger, m=m,
                  splus=splus, occupied=occupied.astype(np.int32),
                  forward_edge_rows=np.nonzero(direction[:, -1] > 0)[0].astype(np.int32))
    return HopTables(L=L, N=N, two_S=two_S, **{k: jax.device_put(v) for k, v in arrays.items()})


def _configurations(L: int, N: int) -> np.ndarray:
    """N-of-L bit masks in increasing order (same as basis.fermion_configurations, faster)."""
    masks = np.fromiter((sum(1 << j for j in c) for c in combinations(range(L), N)), dtype=np.int64,
                        count=math.comb(L, N))
    return np.sort(masks)


def _popcount(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int64)
    count = np.zeros(x.shape, dtype=np.int64)
    while np.any(x):
        count += x & 1
        x = x >> 1
    return count


# ----------------------------------------------------------------------------------------------
# Matrix-free H·v and J̄·v
# ----------------------------------------------------------------------------------------------


def _spin_apply(psi, upper, lower):
    """ψ Xᵀ for a tridiagonal spin operator X with X[i, i+1] = upper[i], X[i+1, i] = lower[i]."""
    zero = jnp.zeros_like(psi[:, :1])
    return (jnp.concatenate([psi[:, 1:] * upper, zero], axis=1)
            + jnp.concatenate([zero, psi[:, :-1] * lower], axis=1))


def apply_sx(tables: HopTables, psi):
    """(1 ⊗ S_x) ψ for ψ of shape (C, 2S+1)."""
    return _spin_apply(psi, 0.5 * tables.splus, 0.5 * tables.splus)


def apply_sy(tables: HopTables, psi):
    """(1 ⊗ S_y) ψ; S_y[i, i+1] = ⟨m|S₊|m-1⟩/(2i)."""
    return _spin_apply(psi, -0.5j * tables.splus, 0.5j * tables.splus)


def _coupling(params: PumpParams, tables: HopTables):
    return params.eta / tables.S


def _hop_sums(params: PumpParams, tables: HopTables, psi, current: bool):
    """The hops of ψ: Σ_l u_l g_l and Σ_l s_l u_l g_l (T₀ψ, T_sψ), with g_l = ψ[source_l],
    u_l = sign_l e^{iφ d_l}, d_l the direction and s_l the stagger; with ``current`` also the same
    weighted by d_l (the current operators). Summed by the parity of the bond (s_l = ±1), so each
    gathered row enters one product per sum. Also returns d_b u_b g_b of the boundary bond
    b = L-1 (0-based)."""
    u = tables.sign * jnp.exp(1j * params.flux * tables.direction)
    ud = u * tables.direction
    sums = {1.0: [0.0, 0.0], -1.0: [0.0, 0.0]}
    stagger = np.asarray((-1.0) ** np.arange(1, tables.L + 1))
    for l in range(tables.L):
        g = psi[tables.source[:, l]]
        acc = sums[float(stagger[l])]
        acc[0] = acc[0] + u[:, l, None] * g
        if current:
            acc[1] = acc[1] + ud[:, l, None] * g
    boundary = ud[:, -1, None] * g
    (a_even, b_even), (a_odd, b_odd) = sums[1.0], sums[-1.0]
    return a_even + a_odd, a_even - a_odd, b_even + b_odd, b_even - b_odd, boundary


def _diagonal(params: PumpParams, tables: HopTables):
    eps = jnp.zeros(tables.L) if params.disorder is None else params.disorder
    return tables.occupations @ eps


def apply_hamiltonian_and_current(params: PumpParams, tables: HopTables, psi: Complex[Array, "C M"],
                                  boundary: bool = False):
    """(Hψ, J̄ψ) matrix-free, for ψ of shape (C, 2S+1); with ``boundary``, (Hψ, J_{L}ψ) instead.

    H = -ω 1⊗S_z - (J/2) T₀⊗1 - (Jg/2) T_s⊗S_x + Δg P⊗S_y + D_ε⊗1 (Eq. 33 with flux and disorder),
    J̄ = (1/L) Σ_l J_l with J_l = -i t_l (e^{-iφ}c†_{l+1}c_l - e^{iφ}c†_l c_{l+1}),
    t_l = (J/2)(1 + (-1)^l g S_x) (docs/physics.md §1, Eq. 3 orientation); J_L is the boundary bond's current
    (bond L joins sites L and 1), one gather instead of L (see :func:`dipole`).
    """
    g = _coupling(params, tables)
    A, As, B, Bs, edge = _hop_sums(params, tables, psi, current=not boundary)
    h_psi = (-params.omega * psi * tables.m
             - 0.5 * params.J * (A + g * apply_sx(tables, As))
             + params.Delta * g * apply_sy(tables, tables.potential[:, None] * psi)
             + _diagonal(params, tables)[:, None] * psi)
    if boundary:
        j_psi = 0.5j * params.J * (edge + tables.stagger[-1] * g * apply_sx(tables, edge))
    else:
        j_psi = (0.5j * params.J / tables.L) * (B + g * apply_sx(tables, Bs))
    return h_psi, j_psi


def dipole(tables: HopTables, psi: Complex[Array, "C M"]) -> Float[Array, ""]:
    """⟨X⟩ with X = Σ_j (j-1) n_j (sites j = 1..L). By continuity (dn_j/dt = J_j - J_{j-1}),
    dX/dt = L J_L - Σ_l J_l, so the bond-averaged charge is Q(t) = ∫_0^t ⟨J_L⟩ dt' - (X(t) - X(0))/L:
    the Krylov propagator integrates the boundary bond's current only."""
    return jnp.sum(jnp.abs(psi) ** 2 * (tables.occupations @ jnp.arange(tables.L, dtype=float))[:, None])


class PreparedHamiltonian(eqx.Module):
    """The parameter-dependent coefficients of H at one point, computed once per Krylov step (not
    per H·v): hop weights u = sign·e^{iφd} (C, L), the diagonal -ωm + Σ_j ε_j n_j (C, M), the
    staggered-hop factor -(Jg/2) and the S_y factor Δg Σ_j (-1)^j n_j (C,)."""

    hop: Complex[Array, "C L"]
    diagonal: Float[Array, "C M"]
    hop_scale: Float[Array, ""]
    staggered_scale: Float[Array, ""]
    sy_rows: Float[Array, " C"]


def prepare_hamiltonian(params: PumpParams, tables: HopTables) -> PreparedHamiltonian:
    """:class:`PreparedHamiltonian` of one parameter point."""
    g = _coupling(params, tables)
    return PreparedHamiltonian(
        hop=tables.sign * jnp.exp(1j * params.flux * tables.direction),
        diagonal=-params.omega * tables.m[None, :] + _diagonal(params, tables)[:, None],
        hop_scale=-0.5 * params.J, staggered_scale=-0.5 * params.J * g,
        sy_rows=params.Delta * g * tables.potential)


def apply_prepared(op: PreparedHamiltonian, tables: HopTables, psi: Complex[Array, "C M"]) -> Complex[Array, "C M"]:
    """Hψ from prepared coefficients: one gather per bond, the S_x and S_y terms (both tridiagonal)
    in one shifted product, ψSₓᵀX + ψS_yᵀY = up(s₊/2 ⊙ (X - iY)) + down(s₊/2 ⊙ (X + iY))."""
    even = odd = 0.0
    for l in range(tables.L):
        term = op.hop[:, l, None] * psi[tables.source[:, l]]
        if l % 2:  # bond l+1 even: stagger +1
            even = even + term
        else:
            odd = odd + term
    x = op.staggered_scale * (even - odd)
    y = op.sy_rows[:, None] * psi
    half = 0.5 * tables.splus
    return op.diagonal * psi + op.hop_scale * (even + odd) + _shifted(half, x - 1j * y, x + 1j * y)


def _shifted(half, upper_source, lower_source):
    """out[:, i] = half[i] upper_source[:, i+1] + half[i-1] lower_source[:, i-1]."""
    zero = jnp.zeros_like(upper_source[:, :1])
    return (jnp.concatenate([upper_source[:, 1:] * half, zero], axis=1)
            + jnp.concatenate([zero, lower_source[:, :-1] * half], axis=1))


def apply_hamiltonian_free(params: PumpParams, tables: HopTables, psi: Complex[Array, "C M"]):
    """Hψ matrix-free (see :func:`apply_hamiltonian_and_current`)."""
    return apply_prepared(prepare_hamiltonian(params, tables), tables, psi)


def bond_currents(params: PumpParams, tables: HopTables, psi: Complex[Array, "C M"]) -> Float[Array, " L"]:
    """⟨J_l⟩ on every bond l = 1..L (docs/physics.md §1; equals :func:`jaxmotor.pump._observables.bond_currents`).

    One gather of all bonds; ⟨ψ|S_x X⟩ = ⟨S_xψ|X⟩ (S_x Hermitian) needs S_xψ once, not per bond.
    """
    g = _coupling(params, tables)
    ud = tables.sign * tables.direction * jnp.exp(1j * params.flux * tables.direction)
    hops = ud[:, :, None] * psi[tables.source]  # (C, L, M)
    plain = jnp.einsum("cm,clm->l", jnp.conj(psi), hops)
    with_sx = jnp.einsum("cm,clm->l", jnp.conj(apply_sx(tables, psi)), hops)
    return -0.5 * params.J * jnp.imag(plain + tables.stagger * g * with_sx)


# ----------------------------------------------------------------------------------------------
# Initial states
# ----------------------------------------------------------------------------------------------


def coherent_spin_state(S, polar, azimuth) -> Complex[Array, " M"]:
    """|θ, φ⟩ = e^{-iφS_z} e^{-iθS_y}|m = S⟩ in the basis m = S, …, -S, shape (2S+1,).

    ⟨m|θ, φ⟩ = √C(2S, S-m) cos(θ/2)^{S+m} sin(θ/2)^{S-m} e^{-imφ}, so that
    ⟨S⟩ = S (sin θ cos φ, sin θ sin φ, cos θ). Computed in logarithms (safe for large S).
    """
    S = float(spin_value(S))
    M = int(round(2 * S)) + 1
    k = jnp.arange(M)  # S - m
    m = S - k
    c, s = jnp.cos(polar / 2), jnp.sin(polar / 2)
    log_binom = 0.5 * (gammaln(2 * S + 1) - gammaln(k + 1.0) - gammaln(2 * S - k + 1))
    up, down = S + m, k.astype(float)
    log_mag = log_binom + _xlogy(up, jnp.abs(c)) + _xlogy(down, jnp.abs(s))
    sign = jnp.where(c < 0, (-1.0) ** up, 1.0) * jnp.where(s < 0, (-1.0) ** down, 1.0)
    return sign * jnp.exp(log_mag) * jnp.exp(-1j * m * azimuth)


def _xlogy(n, x):
    """n log x with 0 log 0 = 0 and a gradient that stays finite at x = 0."""
    safe = jnp.where(x > 0, x, 1.0)
    return jnp.where(n == 0, 0.0, jnp.where(x > 0, n * jnp.log(safe), -jnp.inf))


def classical_spin(S, polar, azimuth) -> Float[Array, " 3"]:
    """S (sin θ cos φ, sin θ sin φ, cos θ)."""
    return S * jnp.stack([jnp.sin(polar) * jnp.cos(azimuth), jnp.sin(polar) * jnp.sin(azimuth), jnp.cos(polar)])


def slater_state(params: PumpParams, tables: HopTables, spin: Float[Array, " 3"]) -> tuple[Array, Array]:
    """The N-fermion ground state of the first-quantized ring h(spin) (docs/physics.md §1, Eq. 16) as a Fock
    vector: amplitude det Φ[j_b, a] on the configuration j₁ < … < j_N, Φ = the N lowest orbitals.

    Returns (amplitudes (C,), the single-particle gap ε_N - ε_{N-1} above the filled levels; a gap
    near 0 means the ground state is not unique and the determinant is one arbitrary choice).
    """
    h = single_particle_hamiltonian(params, tables.L, tables.S, spin)
    vals, vecs = jnp.linalg.eigh(h)
    phi = vecs[:, : tables.N]
    amplitudes = jnp.linalg.det(phi[tables.occupied])  # (C, N, N) rows j_b, columns a
    return amplitudes, vals[tables.N] - vals[tables.N - 1]


def coherent_initial_state(params: PumpParams, tables: HopTables, polar=np.pi / 2, azimuth=np.pi / 2):
    """|θ, φ⟩ ⊗ Slater determinant of h(g⟨S_x⟩, g⟨S_y⟩), shape (C, 2S+1), normalized.

    The default direction θ = φ = π/2 is +y, the mean field's default start.
    """
    spin = classical_spin(tables.S, polar, azimuth)
    fermions, _ = slater_state(params, tables, spin)
    return fermions[:, None] * coherent_spin_state(tables.S, polar, azimuth)[None, :]


def eigenstate(params: PumpParams, basis: PumpBasis, index) -> Complex[Array, "C M"]:
    """Eigenstate ``index`` (ascending energy) of H at one parameter point, (C, 2S+1) (dense ``eigh``)."""
    _, vecs = jnp.linalg.eigh(hamiltonian(params, basis))
    return vecs[:, index].reshape(basis.n_configs, basis.n_spin)


# ----------------------------------------------------------------------------------------------
# Observables of one state
# ----------------------------------------------------------------------------------------------


def state_observables(params: PumpParams, tables: HopTables, psi: Complex[Array, "C M"]) -> dict:
    """⟨S_a⟩, ⟨S_a²⟩, bond currents, entanglement entropy, energy and norm² of ψ (not normalized:
    expectation values are ⟨ψ|A|ψ⟩, the norm is reported separately)."""
    weight = jnp.abs(psi) ** 2
    sx, sy = apply_sx(tables, psi), apply_sy(tables, psi)
    h_psi = apply_hamiltonian_free(params, tables, psi)
    norm2 = jnp.sum(weight)
    return dict(
        Sx=jnp.real(jnp.vdot(psi, sx)), Sy=jnp.real(jnp.vdot(psi, sy)),
        Sz=jnp.sum(weight * tables.m),
        Sx2=jnp.sum(jnp.abs(sx) ** 2), Sy2=jnp.sum(jnp.abs(sy) ** 2), Sz2=jnp.sum(weight * tables.m ** 2),
        bond_currents=bond_currents(params, tables, psi),
        entanglement_entropy=entanglement_entropy(psi),
        energy=jnp.real(jnp.vdot(psi, h_psi)),
        norm=jnp.sqrt(norm2),
    )


def entanglement_entropy(psi: Complex[Array, "C M"]) -> Float[Array, ""]:
    """Von Neumann entropy -Tr ρ ln ρ of the spin's reduced density matrix ρ = Ψᵀ Ψ* / ‖Ψ‖².

    The eigenvalues come from the real symmetric embedding [[Re ρ, -Im ρ], [Im ρ, Re ρ]] (each
    eigenvalue twice): a real ``eigh`` is ~500x faster than the complex one at this size on a CPU.
    """
    rho = psi.T @ jnp.conj(psi)
    rho = rho / jnp.real(jnp.trace(rho))
    embedded = jnp.block([[jnp.real(rho), -jnp.imag(rho)], [jnp.imag(rho), jnp.real(rho)]])
    p = jnp.clip(jnp.linalg.eigvalsh(embedded), 0.0, 1.0)
    return -0.5 * jnp.sum(jnp.where(p > 1e-300, p * jnp.log(jnp.where(p > 1e-300, p, 1.0)), 0.0))


# ----------------------------------------------------------------------------------------------
# Settings and the static plan of a run
# ----------------------------------------------------------------------------------------------


class DynamicsConfig(eqx.Module):
    """Solver settings of a real-time run.

    Attributes:
        method: ``"krylov"`` (matrix-free Lanczos, any L), ``"exact"`` (eigendecomposition, L ≤ 10) or
            ``"auto"`` (default: exact for L ≤ 8, Krylov above).
        krylov_dim: the most Lanczos vectors per step; the plan takes the m ≤ krylov_dim and the
            number of steps per record interval with the fewest H·v that meet ``tol``. Larger m
            allows longer steps per H·v (record intervals permitting) at m² D per step for the
            charge's projected current. Default 60.
        tol: bound on the state's norm error at every record time (Krylov: the sum of the
            per-step a priori bounds). Default 1e-10.
        charge_tol: bound on the charge's quadrature error at T (exact method). Default 1e-10.
        max_gauss_nodes: the most Gauss-Legendre nodes per record interval (exact method); a
            record interval too long for the bound is split into equal pieces. Default 24.
        reorthogonalize: full Gram-Schmidt of every Lanczos vector (:func:`krylov_step`). Default
            False (the three-term recurrence; as accurate for e^{-iHτ}v, see the tests).
        spectral_width: the width W the error bounds use. ``"bound"``: the rigorous bound of
            :func:`spectral_width_bound` (2-3x the true width at L = 8-12, S = 10: as many times more
            steps). ``"estimate"`` (default): the smaller of that bound and the interval
            [θ_min - r_min, θ_max + r_max] of the extreme Ritz values θ of a 60-step Lanczos run from
            a random vector, widened by their residual norms r (:func:`spectral_width_estimate`);
            the a priori bounds then hold provided the spectrum lies in that interval, which the
            tests check against the exact spectrum.
    """

    method: str = eqx.field(static=True, default="auto")
    krylov_dim: int = eqx.field(static=True, default=60)
    tol: float = eqx.field(static=True, default=1e-10)
    charge_tol: float = eqx.field(static=True, default=1e-10)
    max_gauss_nodes: int = eqx.field(static=True, default=24)
    reorthogonalize: bool = eqx.field(static=True, default=False)
    spectral_width: str = eqx.field(static=True, default="estimate")

    def __check_init__(self):
        if self.method not in METHODS + ("auto",):
            fail("method", self.method, "expected one of auto, " + ", ".join(METHODS))
        check_int("krylov_dim", self.krylov_dim, low=2, high=400)
        check_range("tol", self.tol, low=1e-15, high=1.0)
        check_range("charge_tol", self.charge_tol, low=1e-15, high=1.0)
        check_int("max_gauss_nodes", self.max_gauss_nodes, low=1, high=200)
        if self.spectral_width not in ("estimate", "bound"):
            fail("spectral_width", self.spectral_width, "expected 'estimate' or 'bound'")

    @classmethod
    def default(cls, method: str = "auto") -> DynamicsConfig:
        """Settings for this backend (the same on every backend so far)."""
        return cls(method=method, krylov_dim=60)


class DynamicsPlan(eqx.Module):
    """Static numbers of a run, fixed on the host from concrete parameters (so the run itself is a
    pure function of traced parameters: jit, vmap, grad).

    Attributes:
        t_max: T, the last record time. records: R (records at t = iT/(R-1)).
        method: as in :class:`DynamicsConfig`. krylov_dim: the Lanczos vectors per step: the
            config's, or fewer where one step per record interval meets the tolerance with fewer.
        substeps: Krylov steps per record interval. gauss_nodes, pieces: Gauss-Legendre nodes per
            piece and pieces per record interval (exact method).
        width_bound: the bound W on H's spectral width used. current_bound: the bound on ‖J̄‖.
        error_bound: the a priori bound on the state error at T (Krylov) or the charge's quadrature
            error at T (exact).
    """

    t_max: float = eqx.field(static=True)
    records: int = eqx.field(static=True)
    method: str = eqx.field(static=True)
    krylov_dim: int = eqx.field(static=True)
    reorthogonalize: bool = eqx.field(static=True)
    substeps: int = eqx.field(static=True)
    gauss_nodes: int = eqx.field(static=True)
    pieces: int = eqx.field(static=True)
    width_bound: float = eqx.field(static=True)
    current_bound: float = eqx.field(static=True)
    error_bound: float = eqx.field(static=True)

    @property
    def interval(self) -> float:
        return self.t_max / (self.records - 1)


def spectral_width_bound(params: PumpParams, L: int, N: int, S) -> float:
    """Rigorous bound W ≥ E_max - E_min over the (concrete) parameter batch (module docstring)."""
    p = params.broadcast(L)
    n = min(N, L - N)
    eps = np.sort(np.abs(np.asarray(p.disorder)), axis=-1)[..., ::-1][..., :N].sum(axis=-1)
    w = (2 * np.abs(p.omega) * S + 2 * (np.abs(p.J) * n * (1 + np.abs(p.eta)) + np.abs(p.Delta * p.eta) * n + eps))
    return float(np.max(w)) if np.size(w) else 0.0


def spectral_width_estimate(params: PumpParams, tables: HopTables, steps: int = 60, seed: int = 0) -> float:
    """Width of [θ_min - r_min, θ_max + r_max] from a ``steps``-step Lanczos run (random start,
    three-term recurrence) at every point of the concrete batch; the largest over the batch.

    θ are the extreme Ritz values and r = β_k |u_k| their residual norms ‖Hy - θy‖ (each interval
    [θ - r, θ + r] holds an eigenvalue). Capped by :func:`spectral_width_bound`.
    """
    p = params.broadcast(tables.L)
    flat = jax.tree_util.tree_map(lambda a: jnp.asarray(a).reshape((-1,) + np.shape(a)[len(params.batch_shape):]), p)
    steps = min(steps, tables.dim)
    rng = np.random.default_rng(seed)
    start = rng.normal(size=(tables.n_configs, tables.n_spin)) + 1j * rng.normal(size=(tables.n_configs, tables.n_spin))
    width = np.asarray(_ritz_width(flat, tables, jnp.asarray(start / np.linalg.norm(start)), steps))
    return float(min(np.max(width), spectral_width_bound(params, tables.L, tables.N, tables.S)))


@eqx.filter_jit
def _ritz_width(flat, tables, start, steps):
    def one(p):
        op = prepare_hamiltonian(p, tables)

        def body(carry, _):
            v, v_prev, b_prev = carry
            w = apply_prepared(op, tables, v)
            a = jnp.real(jnp.vdot(v, w))
            w = w - a * v - b_prev * v_prev
            b = _safe_norm(w)
            ok = b > _BREAKDOWN
            return (jnp.where(ok, w / jnp.where(ok, b, 1.0), 0.0), v, jnp.where(ok, b, 0.0)), (a, b)

        _, (alpha, beta) = jax.lax.scan(body, (start, jnp.zeros_like(start), jnp.zeros(())), None, length=steps)
        T = jnp.diag(alpha) + jnp.diag(beta[:-1], 1) + jnp.diag(beta[:-1], -1)
        theta, U = jnp.linalg.eigh(T)
        r = beta[-1] * jnp.abs(U[-1])
        return (theta[-1] + r[-1]) - (theta[0] - r[0])

    return jax.vmap(one)(flat)


def current_norm_bound(params: PumpParams) -> float:
    """‖J̄‖ ≤ |J|(1 + |η|) over the (concrete) batch."""
    return float(np.max(np.abs(np.asarray(params.J)) * (1 + np.abs(np.asarray(params.eta)))))


def lanczos_error_bound(m: int, rho_tau: float) -> float:
    """Bound on ‖e^{-iτH}v - βV_m e^{-iτT_m}e₁‖ (‖v‖ = 1) for a Hermitian H with spectrum in an
    interval of width 4ρ: the smaller of two rigorous bounds,

    * Hochbruck & Lubich (1997, Thm. 4): 12 e^{-(ρτ)²/m}(eρτ/m)^m for m ≥ 2ρτ;
    * Lanczos is exact on polynomials of degree < m, so the error is at most twice the best
      uniform approximation of e^{-iτλ} on the interval by such a polynomial (Saad, SIAM J. Numer.
      Anal. 29, 209 (1992)), which the Chebyshev series truncated at degree m - 1 bounds:
      4 Σ_{k≥m} |J_k(2ρτ)| (J_k Bessel functions; about 40x below the first at m ≈ 45).
    """
    if rho_tau <= 0:
        return 0.0
    hl = 1.0 if m < 2 * rho_tau else min(1.0, 12 * math.exp(-(rho_tau ** 2) / m + m * math.log(math.e * rho_tau / m)))
    tail = _bessel_j(m + 60 + int(4 * rho_tau), 2 * rho_tau)[m:]
    return min(hl, 1.0, 4 * float(np.sum(np.abs(tail))))


def _bessel_j(n_max: int, z: float) -> np.ndarray:
    """J_0(z) … J_{n_max}(z) for z > 0 by Miller's backward recurrence J_{k-1} = (2k/z)J_k - J_{k+1},
    normalized by J_0 + 2 Σ J_{2k} = 1 (started well above n_max and z, rescaled against overflow)."""
    start = n_max + 40 + int(z)
    start += start % 2
    values = np.zeros(start + 2)
    values[start] = 1e-300
    for k in range(start, 0, -1):
        values[k - 1] = (2 * k / z) * values[k] - values[k + 1]
        if abs(values[k - 1]) > 1e250:
            values *= 1e-250
    norm = values[0] + 2 * np.sum(values[2:start + 1:2])
    return values[: n_max + 1] / norm


def gauss_error_bound(n: int, h: float, width: float, current: float) -> float:
    """Remainder bound of the n-node Gauss-Legendre rule on [0, h] for f = ⟨J̄(t)⟩ (module docstring)."""
    if h * width == 0:
        return 0.0
    log = ((2 * n + 1) * math.log(h) + 4 * math.lgamma(n + 1) - math.log(2 * n + 1) - 3 * math.lgamma(2 * n + 1)
           + 2 * n * math.log(width) + math.log(max(current, 1e-300)))
    return math.exp(min(log, 700.0))


def make_plan(params: PumpParams, L: int, N: int, S, t_max: float, records: int,
              config: DynamicsConfig = DynamicsConfig(), tables: HopTables | None = None) -> DynamicsPlan:
    """The static plan of a run for the concrete parameter batch ``params`` (host values).

    Args:
        params: :class:`PumpParams` (concrete; the bounds take the batch's worst case).
        L, N, S: sizes. t_max: T > 0. records: R ≥ 2 record times 0..T.
        config: :class:`DynamicsConfig`.
        tables: the hop tables (built if needed for ``spectral_width="estimate"``).
    """
    config = dataclasses.replace(config, method=choose_method(config.method, L, params))
    check_range("t_max", t_max, low=0.0, high=1e7, low_inclusive=False)
    records = check_int("records", records, low=2, high=10**6)
    if config.spectral_width == "bound":
        width = spectral_width_bound(params, L, N, float(spin_value(S)))
    else:
        width = spectral_width_estimate(params, tables if tables is not None else make_hop_tables(L, N, S))
    current = current_norm_bound(params)
    h = t_max / (records - 1)
    substeps, nodes, pieces, error, m = 1, 1, 1, 0.0, config.krylov_dim
    if config.method == "krylov":
        rho = width / 4
        total = records - 1

        def bound(sub, m=config.krylov_dim):
            return total * sub * lanczos_error_bound(m, rho * h / sub)

        # the (m ≤ krylov_dim, substeps) pair with the fewest H·v that meets the tolerance
        best = None
        for k in range(4, config.krylov_dim + 1):
            sub = max(1, math.ceil(2 * rho * h / k))
            while bound(sub, k) > config.tol and sub * total <= 10**8:
                sub = max(sub + 1, int(sub * 1.05))
            if bound(sub, k) <= config.tol and (best is None or sub * k < best[0] * best[1]):
                best = (sub, k)
        if best is None:
            fail("t_max", t_max, "needs more than 10^8 Krylov steps; shorten the run or raise krylov_dim")
        substeps, m = best
        error = bound(substeps, m)
    else:
        per_interval = config.charge_tol / (records - 1)
        while True:
            piece = h / pieces
            found = next((n for n in range(1, config.max_gauss_nodes + 1)
                          if pieces * gauss_error_bound(n, piece, width, current) <= per_interval), None)
            if found is not None:
                nodes = found
                break
            pieces *= 2
        error = (records - 1) * pieces * gauss_error_bound(nodes, h / pieces, width, current)
    return DynamicsPlan(t_max=float(t_max), records=records, method=config.method, krylov_dim=m,
                        reorthogonalize=config.reorthogonalize, substeps=substeps, gauss_nodes=nodes, pieces=pieces,
                        width_bound=width,
                        current_bound=current, error_bound=error)


# ----------------------------------------------------------------------------------------------
# Krylov propagation
# ----------------------------------------------------------------------------------------------


def _safe_norm(x):
    s = jnp.real(jnp.vdot(x, x))
    positive = s > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, s, 1.0)), 0.0)


def krylov_step(params: PumpParams, tables: HopTables, psi: Complex[Array, "C M"], tau, m: int,
                reorthogonalize: bool = False):
    """One Lanczos step: (e^{-iHτ}ψ, ∫_0^τ ⟨ψ(s)|J_L|ψ(s)⟩ ds, a posteriori error estimate), J_L the
    boundary bond's current (:func:`dipole` turns it into the bond average).

    The three-term recurrence; with ``reorthogonalize`` every new vector is also orthogonalized
    against all stored ones (classical Gram-Schmidt, 2mD more work per vector). Without it the
    vectors lose orthogonality once Ritz values converge, which does not spoil the exponential
    (Druskin, Greenbaum & Knizhnerman, SIAM J. Sci. Comput. 19, 38 (1998)): the tests check both
    against the exact propagator. The charge uses J_m = V_m† J̄ V_m of the vectors actually built, so
    it is ∫⟨ψ̃(s)|J_L|ψ̃(s)⟩ds of the Krylov approximant ψ̃(s) = βV_m e^{-isT_m}e₁ whatever the
    orthogonality. On breakdown (β_j < 1e-12) the remaining vectors are zero and decouple (exact).
    """
    shape = psi.shape
    beta0 = _safe_norm(psi)
    v0 = psi / jnp.where(beta0 > 0, beta0, 1.0)
    op = prepare_hamiltonian(params, tables)

    def advance(v, v_prev, b_prev, w, reorthogonalize_against=None):
        a = jnp.real(jnp.vdot(v, w))
        w = w - a * v - b_prev * v_prev
        if reorthogonalize_against is not None:
            V = reorthogonalize_against
            w = w - jnp.tensordot(jnp.tensordot(jnp.conj(V), w, axes=2), V, axes=1)
        b = _safe_norm(w)
        ok = b > _BREAKDOWN
        return a, jnp.where(ok, b, 0.0), w * jnp.where(ok, 1.0 / jnp.where(ok, b, 1.0), 0.0)

    if reorthogonalize:
        def body(j, carry):
            V, alpha, beta = carry
            w = apply_prepared(op, tables, V[j])
            b_prev = jnp.where(j > 0, beta[j - 1], 0.0)
            a, b, nxt = advance(V[j], V[jnp.maximum(j - 1, 0)], b_prev, w, V)
            return V.at[j + 1].set(nxt), alpha.at[j].set(a), beta.at[j].set(b)

        V0 = jnp.zeros((m + 1,) + shape, dtype=complex).at[0].set(v0)
        V, alpha, beta = jax.lax.fori_loop(0, m, body, (V0, jnp.zeros(m), jnp.zeros(m)))
        V = V[:m]
    else:  # the three-term recurrence as a scan: the vectors are its outputs
        def body(carry, _):
            v, v_prev, b_prev = carry
            a, b, nxt = advance(v, v_prev, b_prev, apply_prepared(op, tables, v))
            return (nxt, v, b), (v, a, b)

        _, (V, alpha, beta) = jax.lax.scan(body, (v0, jnp.zeros_like(v0), jnp.zeros(())), None, length=m)
    jm = _boundary_current_matrix(params, tables, V)
    T = jnp.diag(alpha) + jnp.diag(beta[: m - 1], 1) + jnp.diag(beta[: m - 1], -1)
    theta, U = jnp.linalg.eigh(T)  # e^{-isT} = U e^{-isΘ} Uᵀ
    z = U[0]  # Uᵀ e₁
    c = U @ (jnp.exp(-1j * tau * theta) * z)  # e^{-iτT} e₁
    # ∫_0^τ e^{i(θ_a - θ_b)s} ds = τ e^{iΔτ/2} sinc(Δτ/2π) (numpy's sinc(x) = sin(πx)/(πx))
    delta = theta[:, None] - theta[None, :]
    kernel = tau * jnp.exp(0.5j * delta * tau) * jnp.sinc(delta * tau / (2 * jnp.pi))
    charge = beta0 ** 2 * jnp.real(jnp.einsum("a,ab,b->", z, kernel * (U.T @ jm @ U), z))
    new = beta0 * (c @ V.reshape(m, -1)).reshape(shape)
    estimate = beta0 * beta[m - 1] * jnp.abs(c[m - 1])
    return new, charge, estimate


def _boundary_current_matrix(params: PumpParams, tables: HopTables, V: Complex[Array, "m C M"]):
    """⟨v_i|J_L|v_j⟩ for the Krylov vectors. With F = c†_L c_1 and t_L = (J/2)(1 + (-1)^L g S_x),
    J_L = i(e^{iφ}F t_L - h.c.), so the matrix is i(X - X†) with X_ij = ⟨v_i|e^{iφ}F t_L|v_j⟩: one
    gather of the boundary bond and one matrix product over the configurations F reaches (a
    quarter of them at half filling)."""
    g = _coupling(params, tables)
    rows = tables.forward_edge_rows
    u = (tables.sign * jnp.exp(1j * params.flux * tables.direction))[rows, -1]
    src = V[:, tables.source[rows, -1]]  # (m, C_f, M): the vectors at the configurations F acts on
    sx_src = jax.vmap(lambda x: apply_sx(tables, x))(src)
    hop = u[None, :, None] * 0.5 * params.J * (src + tables.stagger[-1] * g * sx_src)
    m = V.shape[0]
    X = jnp.conj(V[:, rows].reshape(m, -1)) @ hop.reshape(m, -1).T
    return 1j * (X - jnp.conj(X).T)


# ----------------------------------------------------------------------------------------------
# Exact propagation (eigendecomposition)
# ----------------------------------------------------------------------------------------------


class _Spectral(eqx.Module):
    """Eigendecomposition of one point, for ψ(t) = Σ_n e^{-iE_n t} a_n |n⟩."""

    evals: Array
    evecs: Array
    coeffs: Array
    sectors: object = None


def _exact_decomposition(params: PumpParams, basis: PumpBasis, sectors, psi0: Complex[Array, "C M"]) -> _Spectral:
    if sectors is None:
        evals, evecs = jnp.linalg.eigh(hamiltonian(params, basis))
        return _Spectral(evals, evecs, jnp.conj(evecs).T @ psi0.reshape(-1))
    from ._linalg import eigh
    from ._sectors import sector_components, sector_hamiltonians, to_real_basis

    blocks = sector_hamiltonians(params, basis, sectors, tuple(range(sectors.L)))
    evals, evecs = jax.vmap(eigh)(blocks)  # (L, d), (L, d, d): real, in the A-invariant bases W_k
    flat = psi0.reshape(-1)
    comps = jax.vmap(lambda k: to_real_basis(sectors, k, sector_components(sectors, k, flat)))(jnp.arange(sectors.L))
    coeffs = jnp.einsum("kan,ka->kn", evecs, comps)
    return _Spectral(evals, evecs, coeffs, sectors)


def _exact_state(spec: _Spectral, basis_shape, t) -> Complex[Array, "C M"]:
    if spec.sectors is None:
        return (spec.evecs @ (jnp.exp(-1j * spec.evals * t) * spec.coeffs)).reshape(basis_shape)
    from ._sectors import from_real_basis, to_product

    sectors = spec.sectors
    phased = jnp.exp(-1j * spec.evals * t) * spec.coeffs  # (L, d); padding coefficients are 0

    def sector(k):
        return to_product(sectors, k, from_real_basis(sectors, k, spec.evecs[k] @ phased[k]))

    return jnp.sum(jax.vmap(sector)(jnp.arange(sectors.L)), axis=0).reshape(basis_shape)


# ----------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------


class DynamicsResult(eqx.Module):
    """Result of a real-time run; every field has the batch shape, plus the axes noted.

    Attributes:
        time: record times t = 0..T, (R,) (shared by the batch).
        Sx, Sy, Sz, Sx2, Sy2, Sz2: ⟨S_a⟩, ⟨S_a²⟩, (..., R).
        bond_currents: ⟨J_l⟩ on bonds l = 1..L, (..., R, L).
        charge: Q(t) = (1/L) Σ_l ∫_0^t ⟨J_l⟩ dt', (..., R).
        entanglement_entropy: von Neumann entropy of the spin, (..., R).
        energy, norm: ⟨H⟩ and ‖ψ‖, (..., R) (conserved).
        charge_per_revolution: Q(t_K)/K over the K completed clockwise revolutions of the in-plane
            angle of ⟨S⟩ (NaN if K = 0), as :func:`jaxmotor.pump.meanfield` reports it.
        revolutions: K. winding: total clockwise winding. omega_tilde: 2πK/t_K (NaN if K = 0).
        charge_per_bare_period: Q(T)·2π/(ωT), (...).
        error_estimate: a posteriori estimate of the state error at T (Krylov: the sum of the
            per-step estimates; exact: 0).
        error_bound: the plan's a priori bound (state error at T for Krylov, charge quadrature
            error for exact).
        method: ``"krylov"`` or ``"exact"``.
        batch_dims: names of the batch axes (for :meth:`to_dataset`).
    """

    time: Float[Array, " R"]
    Sx: Float[Array, "*batch R"]
    Sy: Float[Array, "*batch R"]
    Sz: Float[Array, "*batch R"]
    Sx2: Float[Array, "*batch R"]
    Sy2: Float[Array, "*batch R"]
    Sz2: Float[Array, "*batch R"]
    bond_currents: Float[Array, "*batch R L"]
    charge: Float[Array, "*batch R"]
    entanglement_entropy: Float[Array, "*batch R"]
    energy: Float[Array, "*batch R"]
    norm: Float[Array, "*batch R"]
    charge_per_revolution: Float[Array, "*batch"]
    revolutions: Int[Array, "*batch"]
    winding: Float[Array, "*batch"]
    omega_tilde: Float[Array, "*batch"]
    charge_per_bare_period: Float[Array, "*batch"]
    error_estimate: Float[Array, "*batch"]
    error_bound: float = eqx.field(static=True, default=0.0)
    method: str = eqx.field(static=True, default="krylov")
    batch_dims: tuple[str, ...] = eqx.field(static=True, default=())

    def to_dataset(self, coords: dict | None = None, attrs: dict | None = None):
        """An ``xarray.Dataset`` with dims (*batch_dims, "time"[, "bond"]); ``coords`` may give
        the batch axes' values."""
        import xarray as xr

        batch = tuple(self.batch_dims) or tuple(f"batch_{i}" for i in range(np.ndim(self.charge) - 1))
        series = ("Sx", "Sy", "Sz", "Sx2", "Sy2", "Sz2", "charge", "entanglement_entropy", "energy", "norm")
        scalars = ("charge_per_revolution", "revolutions", "winding", "omega_tilde", "charge_per_bare_period",
                   "error_estimate")
        data = {k: (batch + ("time",), np.asarray(getattr(self, k))) for k in series}
        data["bond_currents"] = (batch + ("time", "bond"), np.asarray(self.bond_currents))
        data.update({k: (batch, np.asarray(getattr(self, k))) for k in scalars})
        L = np.shape(self.bond_currents)[-1]
        all_coords = {"time": np.asarray(self.time), "bond": np.arange(1, L + 1), **(coords or {})}
        return xr.Dataset(data, coords=all_coords,
                          attrs={"method": self.method, "error_bound": self.error_bound, **(attrs or {})})


def revolution_charge(time, Sx, Sy, charge):
    """Charge per revolution of the in-plane angle θ = atan2(S_y, S_x) on a record grid, as
    :mod:`jaxmotor.pump._meanfield` does it: clockwise winding w = -(θ - θ₀)/2π unwrapped record to
    record, the completed revolutions' times and charges interpolated linearly.

    Returns (charge_per_revolution, revolutions K, winding, omega_tilde); NaN where K = 0.
    """
    angle = jnp.arctan2(Sy, Sx)

    def step(carry, x):
        prev_angle, winding, k_done, t_k, q_k, t_prev, q_prev = carry
        t, new_angle, q = x
        turn = jnp.angle(jnp.exp(1j * (new_angle - prev_angle)))
        w_new = winding - turn / (2 * jnp.pi)
        completed = jnp.floor(jnp.abs(w_new) + _REVOLUTION_TOL).astype(k_done.dtype)
        crossed = completed > k_done
        span = jnp.where(crossed, jnp.abs(w_new) - jnp.abs(winding), 1.0)
        frac = jnp.clip((completed - jnp.abs(winding)) / span, 0.0, 1.0)
        t_k = jnp.where(crossed, t_prev + frac * (t - t_prev), t_k)
        q_k = jnp.where(crossed, q_prev + frac * (q - q_prev), q_k)
        return (new_angle, w_new, jnp.maximum(k_done, completed), t_k, q_k, t, q), None

    zero = jnp.zeros(())
    carry0 = (angle[0], zero, jnp.zeros((), jnp.int32), zero, zero, time[0], charge[0])
    (_, winding, k, t_k, q_k, _, _), _ = jax.lax.scan(step, carry0, (time[1:], angle[1:], charge[1:]))
    has = k > 0
    safe_k = jnp.maximum(k, 1)
    return (jnp.where(has, (q_k - charge[0]) / safe_k, jnp.nan), k, winding,
            jnp.where(has, 2 * jnp.pi * safe_k / jnp.where(has, t_k - time[0], 1.0), jnp.nan))


def evolve(params: PumpParams, tables: HopTables, psi0: Complex[Array, "C M"], plan: DynamicsPlan,
           basis: PumpBasis | None = None, sectors=None) -> dict:
    """Propagate ψ0 at one parameter point and record the observables (pure: jit, vmap, grad).

    Args:
        params: one point (scalar fields; ``disorder`` (L,) or None).
        tables: :func:`make_hop_tables` of (L, N, S).
        psi0: initial state, (C, 2S+1).
        plan: :func:`make_plan`.
        basis, sectors: for ``plan.method == "exact"``: the :class:`PumpBasis` and, on a clean ring,
            the :class:`~jaxmotor.pump._sectors.PumpSectors` (None: a dense ``eigh``).

    Returns:
        dict of per-record arrays (R,) / (R, L) and the charge-per-revolution scalars.
    """
    h = plan.interval
    record_times = jnp.arange(plan.records) * h
    first = state_observables(params, tables, psi0)

    if plan.method == "krylov":
        tau = h / plan.substeps

        def interval(carry, _):
            psi, q, err = carry

            def sub(_, c):
                psi, dq, err = c
                psi, step_q, est = krylov_step(params, tables, psi, tau, plan.krylov_dim, plan.reorthogonalize)
                return psi, dq + step_q, err + est

            psi, dq, err = jax.lax.fori_loop(0, plan.substeps, sub, (psi, jnp.zeros(()), err))
            q = q + dq  # ∫ J_L dt; the bond average needs the dipole (see `dipole`)
            return (psi, q, err), (state_observables(params, tables, psi), q - (dipole(tables, psi) - x0) / tables.L)

        x0 = dipole(tables, psi0)
        (_, _, err), (obs, q) = jax.lax.scan(interval, (psi0.astype(complex), jnp.zeros(()), jnp.zeros(())),
                                             None, length=plan.records - 1)
    else:
        spec = _exact_decomposition(params, basis, sectors, psi0.astype(complex))
        shape = psi0.shape
        x, w = np.polynomial.legendre.leggauss(plan.gauss_nodes)
        piece = h / plan.pieces
        offsets = (np.arange(plan.pieces)[:, None] * piece + (x[None, :] + 1) * piece / 2).ravel()
        weights = np.tile(w * piece / 2, plan.pieces)

        def mean_current(t):
            psi = _exact_state(spec, shape, t)
            return jnp.real(jnp.vdot(psi, apply_hamiltonian_and_current(params, tables, psi)[1]))

        def interval(q, t0):
            dq = jnp.sum(weights * jax.vmap(mean_current)(t0 + offsets))
            q = q + dq
            return q, (state_observables(params, tables, _exact_state(spec, shape, t0 + h)), q)

        _, (obs, q) = jax.lax.scan(interval, jnp.zeros(()), record_times[:-1])
        err = jnp.zeros(())
    series = {k: jnp.concatenate([first[k][None], obs[k]]) for k in first}
    charge = jnp.concatenate([jnp.zeros(1), q])
    per_rev, k, winding, omega_tilde = revolution_charge(record_times, series["Sx"], series["Sy"], charge)
    return dict(**series, charge=charge, charge_per_revolution=per_rev, revolutions=k, winding=winding,
                omega_tilde=omega_tilde, charge_per_bare_period=charge[-1] * 2 * jnp.pi / (params.omega * plan.t_max),
                error_estimate=err)


def pumped_charge(params: PumpParams, tables: HopTables, plan: DynamicsPlan, polar=np.pi / 2, azimuth=np.pi / 2,
                  basis: PumpBasis | None = None, sectors=None) -> Float[Array, ""]:
    """Q(T), the charge pumped in the plan's time T from the coherent start (θ, φ): the scalar to
    differentiate (e.g. ``jax.grad`` with respect to ``params.omega`` or ``params.eta``).

    Only the charge is integrated (no record observables), with the plan's steps (Krylov) or
    quadrature (exact).
    """
    psi0 = coherent_initial_state(params, tables, polar, azimuth).astype(complex)
    n = (plan.records - 1) * (plan.substeps if plan.method == "krylov" else 1)
    if plan.method == "krylov":
        tau = plan.t_max / n

        def step(carry, _):
            psi, q = carry
            psi, dq, _ = krylov_step(params, tables, psi, tau, plan.krylov_dim, plan.reorthogonalize)
            return (psi, q + dq), None

        (psi, q), _ = jax.lax.scan(step, (psi0, jnp.zeros(())), None, length=n)
        return q - (dipole(tables, psi) - dipole(tables, psi0)) / tables.L
    if basis is None:
        fail("basis", None, "the exact method needs the PumpBasis (and, on a clean ring, the sectors)")
    spec = _exact_decomposition(params, basis, sectors, psi0)
    x, w = np.polynomial.legendre.leggauss(plan.gauss_nodes)
    pieces = (plan.records - 1) * plan.pieces
    piece = plan.t_max / pieces
    times = (np.arange(pieces)[:, None] * piece + (x[None, :] + 1) * piece / 2).ravel()
    weights = np.tile(w * piece / 2, pieces)

    def mean_current(t):
        psi = _exact_state(spec, psi0.shape, t)
        return jnp.real(jnp.vdot(psi, apply_hamiltonian_and_current(params, tables, psi)[1]))

    return jnp.sum(weights * jax.lax.map(mean_current, jnp.asarray(times)))


# ----------------------------------------------------------------------------------------------
# No back-action: the driven Rice-Mele ring
# ----------------------------------------------------------------------------------------------


def fixed_precession_charge(params: PumpParams, L: int = 8, N: int | None = None, S=10, *, periods: int = 1,
                            dt: float = 0.05, azimuth=np.pi / 2) -> Float[Array, ""]:
    """Charge per period of the ring driven by a classical spin turning at the fixed ω (no back-action).

    The spin is replaced by S(cos φ(t), sin φ(t), 0), φ(t) = φ₀ - ωt (clockwise for ω > 0, Eq. 10); the
    fermions start in the Slater determinant of h(S(0)) (as the coherent start) and evolve in first
    quantization under h(S(t)) (periodic ring, docs/physics.md §1), with the fourth-order Magnus integrator on two
    Gauss nodes per step, n = ⌈2π/(|ω| dt)⌉ steps per period (ω concrete). The charge Q = ∫ J̄ dt
    (trapezoid on the steps, error O(dt²): ~1e-4 at dt = 0.05, the current oscillating at the band gap
    ~2η) is returned per period, Q(periods·2π/ω)/periods. As ω → 0 it tends to the Chern number
    (1.0034 at L = 8, η = 0.95: the finite-L Berry flux, :func:`jaxmotor.pump._topology.pumped_charge_adiabatic`).
    """
    from ._meanfield import bond_currents as mf_currents

    L, N, S = check_sizes(L, N, S)
    check_int("periods", periods, low=1, high=10**5)
    check_range("dt", dt, low=0.0, high=10.0, low_inclusive=False)
    steps_per_period = max(4, math.ceil(2 * np.pi / (abs(float(params.omega)) * dt)))
    omega = params.omega
    dt = 2 * jnp.pi / jnp.abs(omega) / steps_per_period

    def spin(t):
        return S * jnp.stack([jnp.cos(azimuth - omega * t), jnp.sin(azimuth - omega * t), jnp.zeros(())])

    def h(t):
        return single_particle_hamiltonian(params, L, S, spin(t))

    def current(phi, t):
        return jnp.mean(mf_currents(params, L, S, spin(t), phi @ jnp.conj(phi).T))

    _, vecs = jnp.linalg.eigh(h(0.0))
    phi0 = vecs[:, :N]
    c1, c2 = 0.5 - np.sqrt(3) / 6, 0.5 + np.sqrt(3) / 6

    def step(carry, i):
        phi, q, j0 = carry
        t = i * dt
        h1, h2 = h(t + c1 * dt), h(t + c2 * dt)
        K = 0.5 * dt * (h1 + h2) - 1j * (np.sqrt(3) / 12) * dt ** 2 * (h2 @ h1 - h1 @ h2)
        vals, vecs = jnp.linalg.eigh(K)
        phi = vecs @ (jnp.exp(-1j * vals)[:, None] * (jnp.conj(vecs).T @ phi))
        j1 = current(phi, t + dt)
        return (phi, q + 0.5 * dt * (j0 + j1), j1), None

    n = periods * steps_per_period
    (_, q, _), _ = jax.lax.scan(step, (phi0.astype(complex), jnp.zeros(()), current(phi0, 0.0)), jnp.arange(n))
    return q / periods


# ----------------------------------------------------------------------------------------------
# The batched driver
# ----------------------------------------------------------------------------------------------


def choose_method(method: str, L: int, params: PumpParams) -> str:
    """``"auto"``: exact for L ≤ 8 (cheap), Krylov above; ``"exact"`` needs L ≤ 10."""
    if method not in METHODS + ("auto",):
        fail("method", method, "expected one of auto, krylov, exact")
    if method == "auto":
        return "exact" if L <= 8 else "krylov"
    if method == "exact" and L > 10:
        fail("method", method, f"the full eigendecomposition is for L <= 10 (L={L}); use 'krylov'")
    return method


def dynamics(params: PumpParams = PumpParams(), L: int = 8, N: int | None = None, S=10, *,
             polar: Float[ArrayLike, "*batch"] = np.pi / 2, azimuth: Float[ArrayLike, "*batch"] = np.pi / 2,
             t_max: float = 40.0, records: int = 201, initial: Complex[ArrayLike, "*batch C M"] | None = None,
             config: DynamicsConfig | None = None, batch_dims: tuple[str, ...] = ()) -> DynamicsResult:
    """Real-time run of the full quantum pump, batched over parameters and initial directions.

    Args:
        params: :class:`PumpParams` (concrete); every field may be an array (batch).
        L, N, S: ring sites (even), fermions (default L/2), spin size.
        polar, azimuth: direction (θ, φ) of the spin coherent state in radians (default +y); they
            broadcast with the parameters.
        t_max: T, the last record time (units 1/J). records: R ≥ 2.
        initial: a user-given initial state (C, 2S+1) (or a batch of them) instead of the coherent
            start; used as given (its norm is recorded, not forced to 1).
        config: :class:`DynamicsConfig` (default :meth:`DynamicsConfig.default`).
        batch_dims: names of the batch axes for :meth:`DynamicsResult.to_dataset`.

    Returns:
        :class:`DynamicsResult` with the broadcast batch shape.
    """
    if not isinstance(params, PumpParams):
        fail("params", type(params).__name__, "expected a PumpParams")
    config = config or DynamicsConfig.default()
    L, N, S = check_sizes(L, N, S)
    check_finite("polar", polar)
    check_finite("azimuth", azimuth)
    method = choose_method(config.method, L, params)
    config = dataclasses.replace(config, method=method)
    tables = make_hop_tables(L, N, S)
    plan = make_plan(params, L, N, S, t_max, records, config, tables)
    batch = params.batch_shape
    init_batch = () if initial is None else np.shape(initial)[:-2]
    if initial is not None and tuple(np.shape(initial)[-2:]) != (tables.n_configs, tables.n_spin):
        fail("initial", np.shape(initial), f"expected a state of shape (..., {tables.n_configs}, {tables.n_spin})")
    shape = tuple(np.broadcast_shapes(batch, np.shape(polar), np.shape(azimuth), init_batch))
    full = jax.tree_util.tree_map(lambda a: np.broadcast_to(a, shape + np.shape(a)[len(batch):]),
                                  params.broadcast(L))
    flat = jax.tree_util.tree_map(lambda a: jnp.asarray(a).reshape((-1,) + np.shape(a)[len(shape):]), full)
    th = jnp.broadcast_to(jnp.asarray(polar, dtype=float), shape).ravel()
    ph = jnp.broadcast_to(jnp.asarray(azimuth, dtype=float), shape).ravel()
    basis = sectors = None
    if method == "exact":
        from ._basis import make_basis
        from ._sectors import make_sectors

        basis = make_basis(L, N, S)
        sectors = make_sectors(basis) if params.is_clean else None
    if initial is None:
        init = None
    else:
        init = jnp.broadcast_to(jnp.asarray(initial, dtype=complex), shape + np.shape(initial)[-2:])
        init = init.reshape((-1,) + np.shape(initial)[-2:])
    out = _run(flat, th, ph, init, tables, plan, basis, sectors)
    out = jax.tree_util.tree_map(lambda a: np.asarray(a).reshape(shape + np.shape(a)[1:]), out)
    return DynamicsResult(time=np.linspace(0.0, plan.t_max, plan.records), **out, error_bound=plan.error_bound,
                          method=method, batch_dims=tuple(batch_dims) if len(batch_dims) == len(shape) else ())


@eqx.filter_jit
def _run(flat, polar, azimuth, init, tables, plan, basis, sectors):
    def one(p, th, ph, psi0):
        psi = coherent_initial_state(p, tables, th, ph) if psi0 is None else psi0
        return evolve(p, tables, psi, plan, basis, sectors)

    if init is None:
        return jax.vmap(lambda p, th, ph: one(p, th, ph, None))(flat, polar, azimuth)
    return jax.vmap(one)(flat, polar, azimuth, init)


__all__ = [
    "DynamicsConfig",
    "DynamicsPlan",
    "DynamicsResult",
    "HopTables",
    "apply_hamiltonian_and_current",
    "apply_hamiltonian_free",
    "bond_currents",
    "classical_spin",
    "coherent_initial_state",
    "coherent_spin_state",
    "dynamics",
    "dipole",
    "eigenstate",
    "entanglement_entropy",
    "evolve",
    "PreparedHamiltonian",
    "prepare_hamiltonian",
    "apply_prepared",
    "fixed_precession_charge",
    "krylov_step",
    "make_hop_tables",
    "make_plan",
    "pumped_charge",
    "revolution_charge",
    "slater_state",
    "spectral_width_bound",
    "state_observables",
]
