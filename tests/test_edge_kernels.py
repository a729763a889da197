"""The compiled edge loops (symrnn.graphs._edge_kernels) against the SciPy/NumPy operators they replace."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from symrnn.graphs import _edge_kernels
from symrnn.graphs.operators import GraphOperators


def _graph(seed):
    """A directed random graph with a node without in-edges (an empty CSR row); odd seeds repeat some edges."""
    from symrnn.graphs import from_edges

    G = nx.gnp_random_graph(30, 0.15, seed=seed, directed=True)
    src, dst = (np.array(e) for e in zip(*G.edges))
    if seed % 2:
        src, dst = np.concatenate([src, src[:7]]), np.concatenate([dst, dst[:7]])
    return from_edges(src, dst, 31)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ends", [("scatter_dst", "gather_src"), ("scatter_src", "gather_dst")])
def test_compiled_loops_equal_the_numpy_operators(monkeypatch, seed, dtype, ends):
    assert _edge_kernels.enabled(np.ones(1))  # numba is installed with the test extras: the loops do run
    G = _graph(seed)
    rng = np.random.default_rng(seed)
    O = GraphOperators(G, edges="self_loops")
    E, N = O.rows("edge"), O.rows("node")
    w, V, Gr = (rng.normal(size=s).astype(dtype) for s in ((E, 1), (N, 5), (N, 5)))
    scatter, gather = ends
    e, ga = (rng.normal(size=(E, 3)).astype(dtype) * 5 for _ in range(2))
    calls = lambda: [O.weighted(scatter, gather, w, V), O.weighted(scatter, gather, w, V, transpose=True),  # noqa: E731
                     O.edge_dot(scatter, Gr, gather, V), O.softmax(e), O.softmax_backward(O.softmax(e), ga)]
    got = calls()
    monkeypatch.setenv("SYMRNN_NUMBA", "0")
    assert not _edge_kernels.enabled(w)
    ref = calls()
    tol = 1e-13 if dtype == np.float64 else 1e-5
    for a, b in zip(got, ref):
        assert a.dtype == dtype  # (the NumPy path's softmax_backward widens float32 to float64)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_object_arrays_keep_the_exact_path():
    assert not _edge_kernels.enabled(np.ones(2, dtype=object))
