"""Independent constructions of the pump Hamiltonian, for tests only.

* ``fock_hamiltonian``: full 2^L Fock space with Jordan-Wigner matrices, projected to N particles —
  no bit tricks shared with jaxmotor.pump.basis.
* ``quspin_hamiltonian``: QuSpin's spinless-fermion ⊗ spin tensor basis (QuSpin applies its own
  Jordan-Wigner boundary signs).
"""

from __future__ import annotations

from fractions import Fraction
from functools import reduce

import numpy as np


def _kron_all(mats):
    return reduce(np.kron, mats)


def annihilators(L: int) -> list[np.ndarray]:
    """c_j = Z⊗…⊗Z⊗a⊗1⊗…⊗1 on (C²)^⊗L, site 1 leftmost; basis (|0⟩, |1⟩) per site."""
    a = np.array([[0.0, 1.0], [0.0, 0.0]])
    z = np.diag([1.0, -1.0])
    eye = np.eye(2)
    return [_kron_all([z] * j + [a] + [eye] * (L - j - 1)) for j in range(L)]


def fock_states(L: int, N: int) -> np.ndarray:
    """Fock indices of the N-particle states, ordered by the occupation bit mask n_1 + 2 n_2 + …."""
    masks = sorted(m for m in range(2**L) if bin(m).count("1") == N)
    return np.array([sum(((m >> j) & 1) << (L - 1 - j) for j in range(L)) for m in masks])


def spin_ops(S):
    s = float(Fraction(str(S)))
    m = s - np.arange(int(round(2 * s)) + 1)
    sp = np.zeros((m.size, m.size))
    for i in range(1, m.size):  # ⟨m_i-1 = m_i + 1| S+ |m_i⟩
        sp[i - 1, i] = np.sqrt(s * (s + 1) - m[i] * (m[i] + 1))
    return (sp + sp.T) / 2, (sp - sp.T) / 2j, np.diag(m)


def fermion_operators(L: int, N: int, flux: float = 0.0):
    """Projected one-body operators: per-bond hop e^{iφ}c†_j c_{j+1} + h.c., n_j, and T₁."""
    c = annihilators(L)
    keep = fock_states(L, N)
    proj = lambda op: op[np.ix_(keep, keep)]  # noqa: E731
    hops = []
    for j in range(L):
        fwd = c[j].T @ c[(j + 1) % L]
        hops.append(proj(np.exp(1j * flux) * fwd + np.exp(-1j * flux) * fwd.T))
    dens = [proj(c[j].T @ c[j]) for j in range(L)]
    # Translation T₁ c†_j T₁⁻¹ = c†_{j+1}: build each image state by applying shifted creators.
    vac = np.zeros(2**L)
    vac[0] = 1.0
    t1 = np.zeros((2**L, 2**L))
    for idx in range(2**L):
        occ = [j for j in range(L) if (idx >> (L - 1 - j)) & 1]
        state = vac
        for j in reversed(occ):  # c†_{j1} c†_{j2} … |0⟩ with j1 < j2 < …: apply the last first
            state = c[(j + 1) % L].T @ state
        t1[:, idx] = state
    return hops, dens, proj(t1)


def fock_hamiltonian(L, N, S, omega, eta, J=1.0, Delta=1.0, disorder=None, flux=0.0):
    """H of docs/physics.md §1 from projected Fock-space operators ⊗ spin matrices (fermion ⊗ spin order)."""
    sx, sy, sz = spin_ops(S)
    g = eta / float(Fraction(str(S)))
    hops, dens, _ = fermion_operators(L, N, flux)
    eye_f = np.eye(hops[0].shape[0])
    eye_s = np.eye(sz.shape[0])
    H = -omega * np.kron(eye_f, sz)
    for j in range(L):
        sign = (-1.0) ** (j + 1)  # (-1)^j for 1-based bond j
        H = H - 0.5 * J * np.kron(hops[j], eye_s + sign * g * sx)
        H = H + Delta * g * sign * np.kron(dens[j], sy)
        if disorder is not None:
            H = H + disorder[j] * np.kron(dens[j], eye_s)
    return H


def quspin_hamiltonian(L, N, S, omega, eta, J=1.0, Delta=1.0):
    """The same H built by QuSpin (dense), with S_x, S_y written through S±."""
    from quspin.basis import spin_basis_1d, spinless_fermion_basis_1d, tensor_basis
    from quspin.operators import hamiltonian

    basis = tensor_basis(spinless_fermion_basis_1d(L, Nf=N), spin_basis_1d(1, S=str(Fraction(str(S))), pauli=0))
    g = eta / float(Fraction(str(S)))
    static = [["|z", [[-omega, 0]]]]
    hop, hop_sp, hop_sm, dens_sp, dens_sm = [], [], [], [], []
    for j in range(L):
        k = (j + 1) % L
        sign = (-1.0) ** (j + 1)
        hop += [[-0.5 * J, j, k], [-0.5 * J, k, j]]  # "+-"(i, l) is c†_i c_l
        coeff = -0.5 * J * g * sign * 0.5  # S_x = (S+ + S-)/2
        hop_sp += [[coeff, j, k, 0], [coeff, k, j, 0]]
        hop_sm += [[coeff, j, k, 0], [coeff, k, j, 0]]
        ycoeff = Delta * g * sign / 2j  # S_y = (S+ - S-)/(2i)
        dens_sp += [[ycoeff, j, 0]]
        dens_sm += [[-ycoeff, j, 0]]
    static += [["+-|", hop], ["+-|+", hop_sp], ["+-|-", hop_sm], ["n|+", dens_sp], ["n|-", dens_sm]]
    H = hamiltonian(static, [], basis=basis, dtype=np.complex128,
                    check_herm=False, check_symm=False, check_pcon=False)
    return H.toarray()
