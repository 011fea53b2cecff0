"""H of the spin-Rice-Mele ring against independent constructions, and its symmetries."""

import numpy as np
import pytest
from scipy.linalg import expm

from jaxmotor.pump import PumpParams, hamiltonian, make_basis
from jaxmotor.pump._hamiltonian import apply_hamiltonian

from .reference import fermion_operators, fock_hamiltonian, quspin_hamiltonian, spin_ops

CASES = [  # (L, N, S): even and odd N, integer and half-integer S
    (4, 2, "1/2"),
    (4, 1, 2),
    (4, 3, "3/2"),
    (6, 3, 1),
    (6, 2, "5/2"),
    (8, 4, 2),
    (8, 3, "1/2"),
]


def _dense(params, basis):
    return np.asarray(hamiltonian(params, basis))


@pytest.mark.parametrize("L,N,S", CASES)
def test_hamiltonian_equals_projected_fock_space_construction(L, N, S):
    rng = np.random.default_rng(L * 10 + N)
    eps = rng.uniform(0, 0.5, L)
    params = PumpParams(omega=0.37, eta=0.8, J=1.3, Delta=0.6, disorder=eps, flux=0.21)
    reference = fock_hamiltonian(L, N, S, 0.37, 0.8, 1.3, 0.6, eps, flux=0.21)
    np.testing.assert_allclose(_dense(params, make_basis(L, N, S)), reference, atol=1e-13)


@pytest.mark.parametrize("L,N,S", [(4, 2, "3/2"), (6, 3, 2), (6, 2, "1/2"), (8, 4, 1)])
def test_spectrum_agrees_with_quspin_tensor_basis(L, N, S):
    pytest.importorskip("quspin")
    params = PumpParams(omega=0.3, eta=0.9, J=1.0, Delta=0.8)
    ours = np.linalg.eigvalsh(_dense(params, make_basis(L, N, S)))
    theirs = np.linalg.eigvalsh(quspin_hamiltonian(L, N, S, 0.3, 0.9, 1.0, 0.8))
    np.testing.assert_allclose(ours, theirs, atol=1e-11)


def test_boundary_hop_carries_jordan_wigner_sign_minus_one_for_even_n():
    # Dropping the sign is the classic bug (a π flux): with N = 2 on L = 4 it must be -1.
    basis = make_basis(4, 2, "1/2")
    hops, _, _ = fermion_operators(4, 2)
    np.testing.assert_allclose(sum(hops), np.asarray(basis.forward_uniform + basis.forward_uniform.T), atol=1e-15)
    # c†_4 c_1 |n_1=1, n_2=1⟩ = -|n_2=1, n_4=1⟩
    src = np.asarray(basis.pair_source)[3, 0]
    sign = np.asarray(basis.pair_sign)[3, 0]
    configs = [m for m in range(16) if bin(m).count("1") == 2]
    target = configs.index(0b1010)
    assert configs[src[target]] == 0b0011 and sign[target] == -1.0


@pytest.mark.parametrize("L,N,S", CASES[:5])
def test_hamiltonian_is_hermitian_and_matrix_free_apply_agrees(L, N, S):
    basis = make_basis(L, N, S)
    params = PumpParams(omega=0.5, eta=0.95, disorder=np.linspace(0, 0.3, L), flux=0.4)
    H = _dense(params, basis)
    np.testing.assert_allclose(H, H.conj().T, atol=1e-14)
    rng = np.random.default_rng(0)
    psi = rng.normal(size=basis.dim) + 1j * rng.normal(size=basis.dim)
    applied = np.asarray(apply_hamiltonian(params, basis, psi.reshape(basis.n_configs, basis.n_spin)))
    np.testing.assert_allclose(applied.reshape(-1), H @ psi, atol=1e-12)


@pytest.mark.parametrize("L,N,S", [(4, 2, 1), (6, 3, "3/2"), (6, 2, 2), (8, 4, 1)])
def test_translation_with_pi_spin_rotation_and_two_site_translation_are_symmetries(L, N, S):
    basis = make_basis(L, N, S)
    H = _dense(PumpParams(omega=0.4, eta=0.95), basis)
    _, _, t1 = fermion_operators(L, N)
    sz = spin_ops(S)[2]
    U = np.kron(t1, expm(1j * np.pi * sz))
    T2 = np.kron(t1 @ t1, np.eye(sz.shape[0]))
    T1 = np.kron(t1, np.eye(sz.shape[0]))
    scale = np.abs(H).max()
    assert np.abs(H @ U - U @ H).max() < 1e-13 * scale
    assert np.abs(H @ T2 - T2 @ H).max() < 1e-13 * scale
    assert np.abs(H @ T1 - T1 @ H).max() > 0.1  # translation by one site alone is not a symmetry


def test_disorder_breaks_the_translation_symmetry():
    basis = make_basis(6, 3, 1)
    H = _dense(PumpParams(omega=0.4, disorder=np.array([0.3, 0, 0, 0, 0, 0])), basis)
    _, _, t1 = fermion_operators(6, 3)
    U = np.kron(t1, expm(1j * np.pi * spin_ops(1)[2]))
    assert np.abs(H @ U - U @ H).max() > 0.1
