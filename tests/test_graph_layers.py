"""Graph layers without PyG: finite-difference gradients, hand-computed values, bad input, isolated nodes."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from symrnn import graphs
from symrnn.errors import InputError, SymrnnError
from symrnn.graphs import spectral
from finite_differences import central_gradient as _fd


def _graph(seed=0, n=7):
    G = nx.gnp_random_graph(n, 0.4, seed=seed)
    G.add_node(n)
    rng = np.random.default_rng(seed)
    for u, v in G.edges():
        G[u][v]["weight"] = float(rng.uniform(0.3, 2.0))
    return G


def _check_fd(forward, backward, arrays, rng):
    Y, tape = forward()
    dY = rng.normal(size=Y.shape)
    grads = backward(tape, dY)
    for name, arr in arrays.items():
        num = _fd(lambda: float(np.sum(forward()[0] * dY)), arr)
        np.testing.assert_allclose(grads[name], num, rtol=1e-6, atol=1e-7, err_msg=name)


def test_gcn_gradients_finite_differences(rng):
    G = _graph()
    X, W, b = rng.normal(size=(8, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    _check_fd(lambda: graphs.gcn_forward(G, X, W, b), graphs.backward, {"X": X, "W": W, "b": b}, rng)


@pytest.mark.parametrize("normalization", ["sym", "rw", None])
def test_cheb_gradients_finite_differences(rng, normalization):
    G = _graph(1)
    X, T, b = rng.normal(size=(8, 3)), rng.normal(size=(3, 3, 2)), rng.normal(size=2)
    lam = 1.6 if normalization else 9.0
    _check_fd(lambda: graphs.cheb_forward(G, X, T, b, lambda_max=lam, normalization=normalization),
              graphs.backward, {"X": X, "Theta": T, "b": b}, rng)


@pytest.mark.parametrize("concat", [True, False])
def test_gat_gradients_finite_differences(rng, concat):
    G = _graph(2)
    H, C = 2, 2
    X, W = rng.normal(size=(8, 3)), rng.normal(size=(3, H * C))
    a_s, a_d = rng.normal(size=(H, C)), rng.normal(size=(H, C))
    b = rng.normal(size=H * C if concat else C)
    _check_fd(lambda: graphs.gat_forward(G, X, W, a_s, a_d, b, concat=concat), graphs.backward,
              {"X": X, "W": W, "att_src": a_s, "att_dst": a_d, "b": b}, rng)


def test_spectral_layer_gradients_finite_differences(rng):
    G = _graph(6)
    X, theta = rng.normal(size=(8, 2)), rng.normal(size=8)
    _check_fd(lambda: spectral.spectral_forward(G, X, theta), graphs.backward, {"X": X, "theta": theta}, rng)


def test_polynomial_filter_backward_finite_differences(rng):
    """The polynomial filter's generated reverse mode (its description) against central differences."""
    import symrnn
    from symrnn.graphs import layers

    G = _graph(7)
    X, theta, R = rng.normal(size=(8, 2)), np.array([0.3, -1.0, 0.5]), rng.normal(size=(8, 2))
    k = symrnn.compile(layers.polynomial(3), F=2)
    k.params = {f"theta_{i}": theta[i:i + 1] for i in range(3)}
    grads = k.backward(k.forward(G, {"x": X})[1], {"h": R})
    loss = lambda: float((spectral.polynomial_filter(G, X, theta) * R).sum())  # noqa: E731
    for name, arr in (("x", X), ("theta", theta)):
        fd = _fd(loss, arr)
        got = grads["x"] if name == "x" else np.array([grads[f"theta_{i}"][0] for i in range(3)])
        np.testing.assert_allclose(got, fd, atol=1e-6)


def test_gcn_by_hand_on_a_path():
    # path 0-1-2, self-loops added: degrees 2, 3, 2
    X = np.array([[1.0], [2.0], [4.0]])
    Y = graphs.gcn(nx.path_graph(3), X, np.array([[1.0]]))
    s6 = 1 / np.sqrt(6)
    want = [1 / 2 * 1 + s6 * 2, s6 * 1 + 1 / 3 * 2 + s6 * 4, s6 * 2 + 1 / 2 * 4]
    np.testing.assert_allclose(Y.ravel(), want, rtol=0, atol=1e-14)


def test_isolated_nodes_have_the_documented_outputs(rng):
    G = _graph(3)  # node 7 is isolated
    X = rng.normal(size=(8, 3))
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    np.testing.assert_allclose(graphs.gcn(G, X, W, b)[7], X[7] @ W + b, atol=1e-14)
    np.testing.assert_allclose(graphs.gcn(G, X, W, b, add_self_loops=False)[7], b, atol=1e-14)
    T = rng.normal(size=(3, 3, 2))
    np.testing.assert_allclose(graphs.cheb(G, X, T, b)[7], X[7] @ (T[0] - T[2]) + b, atol=1e-13)
    a = rng.normal(size=(1, 2))
    np.testing.assert_allclose(graphs.gat(G, X, W, a, a, b)[7], X[7] @ W + b, atol=1e-14)


def test_gat_softmax_is_stable_for_huge_scores(rng):
    G = _graph(4)
    X = rng.normal(size=(8, 3)) * 1e3
    W = rng.normal(size=(3, 2))
    a = rng.normal(size=(1, 2)) * 1e3
    Y, tape = graphs.gat_forward(G, X, W, a, a)
    assert np.all(np.isfinite(Y))
    sums = np.bincount(tape.edge_index[1], tape.attention[:, 0], minlength=8)
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)


def test_spectral_filter_equals_polynomial_and_dense_definition(rng):
    G = _graph(5)
    X = rng.normal(size=(8, 2))
    theta = np.array([0.5, -1.0, 0.25, 0.1])
    L = graphs.laplacian(G).toarray()
    dense = sum(t * np.linalg.matrix_power(L, k) for k, t in enumerate(theta)) @ X
    via_eig = spectral.spectral_filter(G, X, lambda lam: np.polyval(theta[::-1], lam))
    np.testing.assert_allclose(spectral.polynomial_filter(G, X, theta), dense, atol=1e-12)
    np.testing.assert_allclose(via_eig, dense, atol=1e-12)


def test_laplacian_conventions():
    G = nx.Graph([(0, 1)])
    G.add_edge(1, 1, weight=5.0)  # self-loops are dropped from L
    G.add_node(2)  # isolated: L_22 = 1 (PyG), not 0 (networkx)
    L = graphs.laplacian(G).toarray()
    np.testing.assert_allclose(L, [[1, -1, 0], [-1, 1, 0], [0, 0, 1]], atol=1e-15)


BAD = [
    (lambda: graphs.gcn(nx.Graph(), np.zeros((0, 1)), np.ones((1, 1))), "no nodes"),
    (lambda: graphs.gcn(nx.path_graph(3), np.ones((2, 1)), np.ones((1, 1))), "X has 2 rows"),
    (lambda: graphs.gcn(nx.path_graph(3), np.ones((3, 2)), np.ones((3, 1))), "W has shape"),
    (lambda: graphs.gcn(nx.path_graph(3), np.ones((3, 1)), np.ones((1, 2)), np.ones(3)), "b has shape"),
    (lambda: graphs.gcn(nx.Graph([(0, 1, {"weight": -1.0})]), np.ones((2, 1)), np.ones((1, 1))),
     "weight -1.0"),
    (lambda: graphs.gcn(nx.Graph([("a", "b", {"weight": float("nan")})]), np.ones((2, 1)), np.ones((1, 1))),
     "'a' - 'b' has weight nan"),
    (lambda: graphs.gcn(nx.DiGraph([(0, 1)]), np.ones((2, 1)), np.ones((1, 1))), "undirected"),
    (lambda: graphs.cheb(nx.DiGraph([(0, 1)]), np.ones((2, 1)), np.ones((1, 1, 1))), "undirected"),
    (lambda: graphs.cheb(nx.path_graph(2), np.ones((2, 1)), np.ones((1, 1, 1)), lambda_max=0), "lambda_max"),
    (lambda: graphs.cheb(nx.path_graph(2), np.ones((2, 1)), np.ones((0, 1, 1))), "K >= 1"),
    (lambda: graphs.cheb(nx.path_graph(2), np.ones((2, 1)), np.ones((1, 1, 1)), normalization="left"),
     "normalization"),
    (lambda: graphs.gcn(nx.path_graph(2), np.array([[1.0], [np.nan]]), np.ones((1, 1))), "node 1"),
    (lambda: graphs.gat(nx.path_graph(2), np.ones((2, 1)), np.ones((1, 4)), np.ones((2, 2)), np.ones((2, 1))),
     "att_dst has shape"),
    (lambda: graphs.gat(nx.MultiGraph([(0, 1)]), np.ones((2, 1)), np.ones((1, 1)), np.ones((1, 1)),
                        np.ones((1, 1))), "multigraph"),
    (lambda: graphs.from_edges([0, 5], [1, 0], 3), r"\[0, 3\)"),
    (lambda: graphs.from_edges([0], [1], 2, [np.inf]), "weight inf"),
    (lambda: spectral.spectral_filter(nx.path_graph(5), np.ones((5, 1)), np.cos, max_nodes=4), "max_nodes"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input_raises_input_error(call, message):
    with pytest.raises(InputError, match=message) as info:
        call()
    assert isinstance(info.value, SymrnnError)


def test_directed_graph_allowed_for_gat_only_its_in_neighbours_count():
    X = np.array([[1.0], [10.0]])
    zero = np.zeros((1, 1))
    Y = graphs.gat(nx.DiGraph([(0, 1)]), X, np.eye(1), zero, zero)
    np.testing.assert_allclose(Y.ravel(), [1.0, 5.5], atol=1e-15)  # node 0 has no in-edge


def test_edge_index_interop_validates_without_torch():
    from symrnn.interop import pyg

    g = pyg.edge_index_to_graph(np.array([[0, 1, 1], [1, 0, 2]]), num_nodes=4, edge_weight=[1.0, 1.0, 0.5])
    assert g.num_nodes == 4 and not g.symmetric
    with pytest.raises(InputError, match=r"shape \(2, E\)"):
        pyg.edge_index_to_graph(np.array([0, 1]))
    with pytest.raises(InputError, match="num_nodes is required"):
        pyg.edge_index_to_graph(np.zeros((2, 0), dtype=np.int64))
    with pytest.raises(InputError, match="weight -1.0"):
        pyg.edge_index_to_graph(np.array([[0], [1]]), edge_weight=[-1.0])
    with pytest.raises(InputError, match="undirected"):
        pyg.edge_index_to_networkx(np.array([[0], [1]]), directed=False)
    ei, w, nodes = pyg.networkx_to_edge_index(nx.Graph([("a", "b")]), as_tensor=False)
    assert ei.tolist() == [[0, 1], [1, 0]] and nodes == ("a", "b")


def test_threaded_sparse_product_equals_scipy(rng):
    import scipy.sparse as sps

    from symrnn.graphs import _sparse

    A = sps.random_array((3000, 3000), density=0.01, format="csr", rng=1)
    M = rng.normal(size=(3000, 40))
    assert A.nnz * 40 >= _sparse._MIN_WORK  # the threaded path runs
    blocks = _sparse.row_blocks(A, 3)
    assert len(blocks) == 3 and blocks[0][0] == 0 and blocks[-1][1] == 3000
    np.testing.assert_allclose(_sparse.matmul(A, blocks, M), A @ M, rtol=0, atol=1e-12)
