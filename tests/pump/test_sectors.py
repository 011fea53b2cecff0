"""Symmetry-sector ED against the full-space ED and an independent Fock-space construction of U.

Issue 3: the sector blocks are exact, the padding cannot change the eigenpairs, and every
observable agrees with the full computation (1e-9 energies, 1e-6 Δn, ω̃ and gaps).
"""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxmotor  # noqa: F401
from jaxmotor.pump import PumpParams, hamiltonian, make_basis, solve, spectrum
from jaxmotor.pump._sectors import (
    line_weights,
    make_sectors,
    particle_hole_action,
    reflection_action,
    sector_hamiltonians,
    sector_spectrum,
    sector_state,
    to_product,
    to_sectors,
    translation_action,
)
from jaxmotor.pump._solve import choose_method

from . import reference

CASES = [(4, 2, 1), (4, 1, "1/2"), (6, 3, "3/2"), (6, 2, 2), (8, 3, "5/2"), (8, 4, 3)]
PARAMS = PumpParams(omega=np.array([0.1, 0.3, 0.9, 1.9]), eta=np.array([0.95, 0.6, 0.95, 0.8]),
                    J=1.0, Delta=np.array([1.0, 1.2, 0.8, 1.0]), flux=0.2)


def _isometries(sectors, dim):
    """Dense sector bases V_k (D × d_k) from the library's product-basis map."""
    eye = np.eye(sectors.size, dtype=complex)
    return [np.stack([np.asarray(to_product(sectors, k, eye[:, i])) for i in range(d)], axis=1)
            for k, d in enumerate(sectors.dims)]


def _real_bases(sectors):
    """W_k (d × d) from the row table, checked against the column table."""
    size, out = sectors.size, []
    for k in range(sectors.L):
        W, W_cols = np.zeros((size, size), dtype=complex), np.zeros((size, size), dtype=complex)
        rows, weights = np.asarray(sectors.real_rows[k]), np.asarray(sectors.real_weights[k])
        cols, col_weights = np.asarray(sectors.real_cols[k]), np.asarray(sectors.real_col_weights[k])
        for j in range(2):
            np.add.at(W, (np.arange(size), rows[:, j]), weights[:, j])
            np.add.at(W_cols, (cols[:, j], np.arange(size)), col_weights[:, j])
        np.testing.assert_allclose(W_cols, W, atol=1e-15)
        out.append(W)
    return out


@pytest.mark.parametrize("L,N,S", CASES)
def test_U_is_the_fock_space_translation_and_commutes_with_H(L, N, S):
    basis = make_basis(L, N, S)
    target, phase = translation_action(basis)
    U = np.zeros((basis.dim, basis.dim), dtype=complex)
    U[target, np.arange(basis.dim)] = phase
    # independent: T₁ from full Fock-space Jordan-Wigner matrices, e^{iπS_z} from the spin matrix
    _, _, T1 = reference.fermion_operators(L, N)
    _, _, sz = reference.spin_ops(S)
    rot = np.diag(np.exp(1j * np.pi * np.diag(sz)))
    np.testing.assert_allclose(U, np.kron(T1, rot), atol=1e-13)
    H = np.asarray(hamiltonian(PumpParams(omega=0.4, eta=0.7, flux=0.3), basis))
    np.testing.assert_allclose(H @ U, U @ H, atol=1e-12)


@pytest.mark.parametrize("L,N,S", CASES)
def test_reflection_with_conjugation_is_a_symmetry_and_makes_every_block_real(L, N, S):
    basis = make_basis(L, N, S)
    mirror = reflection_action(basis)
    assert np.array_equal(mirror[mirror], np.arange(basis.dim))  # R² = 1
    # the reflection from full Fock-space site permutations: n_j -> n_{L-1-j} on the occupations
    occ = np.asarray(basis.occupations)[:, None, :].repeat(basis.n_spin, 1).reshape(basis.dim, L)
    np.testing.assert_array_equal(occ[mirror], occ[:, ::-1])
    p = PumpParams(omega=0.37, eta=0.8, J=1.1, Delta=0.9, flux=0.3)
    H = np.asarray(hamiltonian(p, basis))
    np.testing.assert_allclose(np.conj(H)[np.ix_(mirror, mirror)], H, atol=1e-13)  # A H A⁻¹ = H, A = K R
    sectors = make_sectors(basis)
    V = _isometries(sectors, basis.dim)
    for k, (Vk, W) in enumerate(zip(V, _real_bases(sectors))):
        d = sectors.dims[k]
        np.testing.assert_allclose(W.conj().T @ W, np.eye(sectors.size), atol=1e-13)
        Wd = W[:d, :d]  # physical slots map among themselves
        np.testing.assert_allclose(Wd.conj().T @ Wd, np.eye(d), atol=1e-13)
        invariant = Vk @ Wd  # A-invariant vectors: A v = conj(v) permuted by the reflection
        np.testing.assert_allclose(np.conj(invariant)[mirror], invariant, atol=1e-13)
        real = Wd.conj().T @ Vk.conj().T @ H @ Vk @ Wd
        assert np.abs(real.imag).max() < 1e-12 * max(1.0, np.abs(real).max())


@pytest.mark.parametrize("L,N,S", CASES)
def test_sector_bases_are_orthonormal_U_eigenvectors_and_blocks_are_projections(L, N, S):
    basis = make_basis(L, N, S)
    sectors = make_sectors(basis)
    assert sum(sectors.dims) == basis.dim and len(sectors.dims) == L
    V = _isometries(sectors, basis.dim)
    W = np.concatenate(V, axis=1)
    np.testing.assert_allclose(W.conj().T @ W, np.eye(basis.dim), atol=1e-13)
    target, phase = translation_action(basis)
    U = np.zeros((basis.dim, basis.dim), dtype=complex)
    U[target, np.arange(basis.dim)] = phase
    p = PumpParams(omega=0.37, eta=0.8, J=1.1, Delta=0.9, flux=0.3)
    H = np.asarray(hamiltonian(p, basis))
    blocks = np.asarray(sector_hamiltonians(p, basis, sectors))
    real_bases = _real_bases(sectors)
    eigenvalues = []
    for k, (Vk, d) in enumerate(zip(V, sectors.dims)):
        lam = (Vk.conj().T @ U @ Vk)[0, 0]
        np.testing.assert_allclose(U @ Vk, lam * Vk, atol=1e-12)  # one U eigenvalue per sector
        Wd = real_bases[k][:d, :d]
        assert np.isrealobj(blocks)  # the blocks are W_k† V_k† H V_k W_k, real symmetric
        np.testing.assert_allclose(blocks[k, :d, :d], Wd.conj().T @ Vk.conj().T @ H @ Vk @ Wd, atol=1e-12)
        eigenvalues.append(np.linalg.eigvalsh(blocks[k, :d, :d]))
        # S_x maps sector k to k + L/2 (λ → -λ)
        sx = np.kron(np.eye(basis.n_configs), np.asarray(basis.sx))
        partner = V[(k + L // 2) % L]
        assert np.linalg.norm(sx @ Vk - partner @ (partner.conj().T @ sx @ Vk)) < 1e-10
    np.testing.assert_allclose(np.sort(np.concatenate(eigenvalues)), np.linalg.eigvalsh(H), atol=1e-11)
    # to_sectors is the adjoint of to_product
    x = np.random.default_rng(0).normal(size=basis.dim) + 0j
    comps = np.asarray(to_sectors(sectors, x))
    for k, (Vk, d) in enumerate(zip(V, sectors.dims)):
        np.testing.assert_allclose(comps[k, :d], Vk.conj().T @ x, atol=1e-12)
        np.testing.assert_allclose(comps[k, d:], 0.0)


@pytest.mark.parametrize("L,N,S", CASES)
def test_reflected_particle_hole_map_is_a_symmetry_at_half_filling_and_pairs_sectors(L, N, S):
    basis = make_basis(L, N, S)
    action = particle_hole_action(basis)
    sectors = make_sectors(basis)
    if 2 * N != L:
        assert action is None and sectors.representatives == tuple(range(L))
        return
    mirror, sign = action
    occ = np.asarray(basis.occupations)
    np.testing.assert_array_equal(occ[mirror], 1 - occ[:, ::-1])  # holes of the reflected configuration
    Q = np.zeros((basis.n_configs, basis.n_configs))
    Q[mirror, np.arange(basis.n_configs)] = sign
    Q = np.kron(Q, np.eye(basis.n_spin))  # the spin is untouched
    p = PumpParams(omega=0.37, eta=0.8, J=1.1, Delta=0.9, flux=0.3)
    H = np.asarray(hamiltonian(p, basis))
    np.testing.assert_allclose(Q @ H @ Q.T, H, atol=1e-13)
    assert len(sectors.representatives) < L  # some sectors come in pairs
    blocks = np.asarray(sector_hamiltonians(p, basis, sectors))
    spectra = [np.linalg.eigvalsh(blocks[k, :d, :d]) for k, d in enumerate(sectors.dims)]
    reps = np.asarray(sectors.representatives)[np.asarray(sectors.representative)]
    for k in range(L):
        np.testing.assert_allclose(spectra[k], spectra[reps[k]], atol=1e-11)


@pytest.mark.parametrize("L,N,S", [(4, 2, 1), (6, 3, "3/2"), (8, 4, 3)])
def test_states_and_lines_of_image_sectors_are_exact(L, N, S):
    """Eigenvectors of the sectors that are not diagonalized (Q images): eigenvectors of the full H
    with the sector's U eigenvalue; their S_x lines sum, sector by sector, to the projections of
    S_x ψ (and the first moment to ⟨S_xψ|H|S_xψ⟩)."""
    basis = make_basis(L, N, S)
    sectors = make_sectors(basis)
    p = PumpParams(omega=0.37, eta=0.8, J=1.1, Delta=0.9, flux=0.3)
    evals, evecs = sector_spectrum(p, basis, sectors, jnp.linalg.eigh)
    H = np.asarray(hamiltonian(p, basis))
    target, phase = translation_action(basis)
    V = _isometries(sectors, basis.dim)
    sx = np.asarray(basis.sx)
    images = np.nonzero(np.asarray(sectors.is_image))[0]
    assert images.size
    for k in images:
        r = int(sectors.representative[k])
        lam = (V[k].conj().T[:, target] * phase @ V[k])[0, 0]  # ⟨k,0|U|k,0⟩
        for i in (0, sectors.dims[k] // 2, sectors.dims[k] - 1):
            psi = np.asarray(sector_state(sectors, basis, evecs, k, i)).reshape(-1)
            assert abs(np.linalg.norm(psi) - 1) < 1e-12
            np.testing.assert_allclose(H @ psi, evals[r, i] * psi, atol=1e-10)
            u_psi = np.zeros_like(psi)
            u_psi[target] = phase * psi
            np.testing.assert_allclose(u_psi, lam * psi, atol=1e-10)
            x = (psi.reshape(basis.n_configs, basis.n_spin) @ sx.T)
            w = np.stack([np.asarray(line_weights(sectors, evecs, j, x)) for j in range(L)])
            for j in range(L):
                np.testing.assert_allclose(w[j].sum(), np.linalg.norm(V[j].conj().T @ x.reshape(-1)) ** 2, atol=1e-10)
            assert w[(k + L // 2) % L].sum() == pytest.approx(np.linalg.norm(x) ** 2, abs=1e-10)  # all in k + L/2
            all_evals = np.asarray(evals)[np.asarray(sectors.representative)]
            np.testing.assert_allclose(np.sum(w * np.where(np.asarray(sectors.valid), all_evals, 0)),
                                       np.vdot(x, (H @ x.reshape(-1)).reshape(x.shape)).real, atol=1e-9)


def test_paper_size_sector_dimensions():
    """L=8, S=10: the dimensions docs/physics.md quotes (168-210 instead of 1470)."""
    dims = make_sectors(make_basis(8, 4, 10)).dims
    assert min(dims) == 168 and max(dims) == 210 and sum(dims) == 1470


def test_padding_cannot_change_the_physical_eigenpairs():
    """Padded blocks: the d_k lowest eigenpairs are the physical ones (zero on the padding rows);
    the rest sit at the pad value, strictly above the physical spectrum."""
    basis = make_basis(6, 2, 2)  # unequal sectors: 12 and 13
    sectors = make_sectors(basis)
    assert len(set(sectors.dims)) > 1
    blocks = np.asarray(sector_hamiltonians(PumpParams(omega=0.5, eta=0.9), basis, sectors))
    for k, d in enumerate(sectors.dims):
        evals, evecs = np.linalg.eigh(blocks[k])
        physical = np.linalg.eigvalsh(blocks[k, :d, :d])
        np.testing.assert_allclose(evals[:d], physical, atol=1e-12)
        if d < sectors.size:
            assert np.abs(evecs[d:, :d]).max() < 1e-12
            pad = blocks[k, d, d]
            assert pad > np.abs(physical).max()
            np.testing.assert_allclose(evals[d:], pad, rtol=1e-12)


@pytest.mark.parametrize("L,N,S", CASES)
def test_every_observable_agrees_with_the_full_space(L, N, S):
    basis = make_basis(L, N, S)
    full = solve(PARAMS, basis, method="full")
    sect = solve(PARAMS, basis, method="sectors")
    assert full.method == "full" and sect.method == "sectors"
    for name in ("E", "E_prime"):
        np.testing.assert_allclose(getattr(sect, name), getattr(full, name), atol=1e-9, err_msg=name)
    for name in ("E_prime_margin", "omega_tilde", "delta_omega", "current", "delta_n", "delta_n_bare",
                 "spin_gap", "ph_gap_min", "ph_gap_max", "Sx", "Sy", "Sz", "Sx2", "Sy2", "Sz2"):
        np.testing.assert_allclose(getattr(sect, name), getattr(full, name), atol=1e-6, err_msg=name)
    np.testing.assert_allclose(sect.bond_currents, full.bond_currents, atol=1e-6)
    np.testing.assert_allclose(sect.ph_gap, full.ph_gap, atol=1e-6)
    np.testing.assert_array_equal(np.isnan(sect.ph_gap), np.isnan(full.ph_gap))
    np.testing.assert_allclose(spectrum(PARAMS, basis, method="sectors"),
                               spectrum(PARAMS, basis, method="full"), atol=1e-9)


def test_paper_point_in_sectors():
    """L=8, S=10, ω=0.25: the selected state of Fig. 3 from the sectors equals the full-space one."""
    basis = make_basis(8, 4, 10)
    p = PumpParams(omega=0.25, eta=0.95)
    full, sect = solve(p, basis, method="full"), solve(p, basis)
    assert sect.method == "sectors"
    np.testing.assert_allclose(sect.E_prime, full.E_prime, atol=1e-9)
    np.testing.assert_allclose(sect.delta_n, full.delta_n, atol=1e-6)
    np.testing.assert_allclose(sect.omega_tilde, full.omega_tilde, atol=1e-6)
    np.testing.assert_allclose(sect.ph_gap_min, full.ph_gap_min, atol=1e-6)


def test_automatic_choice_and_forcing():
    clean = PumpParams(omega=0.3)
    dirty = PumpParams(omega=0.3, disorder=np.array([0.1, 0.0, 0.2, 0.0]))
    zero = PumpParams(omega=0.3, disorder=np.zeros(4))
    assert choose_method(clean) == "sectors" and choose_method(zero) == "sectors"
    assert choose_method(dirty) == "full" and choose_method(clean, "full") == "full"
    with pytest.raises(ValueError, match="method"):
        choose_method(dirty, "sectors")
    with pytest.raises(ValueError, match="method"):
        choose_method(clean, "fast")
    basis = make_basis(4, 2, 1)
    assert solve(dirty, basis).method == "full"


PLATEAU = np.arange(0.3, 1.201, 0.05)  # the central plateau of Fig. 3 at S = 10


def _plateau_deviation(L):
    """Median over the plateau of |Δn - 1| (isolated ω with near-resonant lines in ω̃ scatter by a
    few 1e-2 at any L; the median measures the plateau itself)."""
    obs = solve(PumpParams(omega=PLATEAU, eta=0.95), make_basis(L, L // 2, 10))
    assert obs.method == "sectors"
    return np.median(np.abs(obs.delta_n - 1))


def test_plateau_quantization_improves_from_L8_to_L10():
    """Beyond the paper: on the plateau Δn → 1 as the ring grows (measured: 1.5e-3 at L = 8,
    1.2e-3 at L = 10)."""
    d8, d10 = _plateau_deviation(8), _plateau_deviation(10)
    assert d10 < d8 < 3e-3


@pytest.mark.slow
def test_plateau_quantization_improves_up_to_L12():
    """L = 12 (D = 19404): about 10 min per ω point on a loaded 2-core CPU — run it on a GPU."""
    d10, d12 = _plateau_deviation(10), _plateau_deviation(12)
    assert d12 < d10
