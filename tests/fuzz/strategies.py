"""Hypothesis strategies of the fuzz suite: random descriptions, values, inputs, trees and graphs.

Each strategy mixes valid values with the bad ones a careless caller passes
(wrong shapes and dtypes, NaN, inf, strings, None, negative sizes, injected
names), so one property covers both: a result, or a ``SymrnnError``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import sympy as sp
from hypothesis import strategies as st

import symrnn
from symrnn import CellBuilder, relu, sigmoid, tanh

CATALOGUE = ("rnn", "lstm", "gru_reset_before", "gru_reset_after", "lstm_peephole", "lstm_coupled", "lstm_no_forget")
ACTIVATIONS = (sigmoid, tanh, relu)

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["x); import os #", "__class__", "ℎ", "lambda", "", "a" * 300]),
    st.lists(st.integers(-3, 3), max_size=3), st.just(object()), st.just(b"x"), st.just(sp.Symbol("q")),
    st.just(np.array(["a", "b"])), st.just(np.zeros((2, 0))), st.just(1 + 2j),
)
"""Values of the wrong kind for any argument."""

hashable_junk = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                          st.text(max_size=12), st.sampled_from(["x); import os #", "__class__", "ℎ", "lambda", "", "a" * 300]),
                          st.just(b"x"), st.just(sp.Symbol("q")), st.just((1, 2)), st.just(1 + 2j))

names = st.one_of(st.sampled_from(["x", "h", "h_prev", "c", "W", "U", "b", "z", "r", "g0", "g1", "n", "f", "i", "o",
                                   "W_n", "U_n", "b_n", "b_in", "b_hn", "c_prev", "W_i", "b_i"]), hashable_junk)
"""Names a caller might use: real ones of the catalogue cells, and junk."""


@st.composite
def _combination(draw, leaves, depth: int):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(leaves))
    a = draw(_combination(leaves, depth - 1))
    op = draw(st.integers(0, 5))
    if op == 0:
        return 1 - a
    if op == 1:
        return tanh(a)
    if op == 2:
        return sigmoid(a)
    b = draw(_combination(leaves, depth - 1))
    return a * b if op == 3 else a + b if op == 4 else a - b


FAULTS = ("none", "none", "none", "none", "undeclared", "bad_name", "shape", "text", "unused_state", "dup_name",
          "no_update", "matrix_in_pointwise")


@st.composite
def cell_recipes(draw):
    """A recipe for a random gated cell (gates σ/tanh/relu of affine maps, ⊙, 1 − z, sums), sometimes faulty."""
    return {
        "gates": draw(st.lists(st.tuples(st.sampled_from(range(3)), st.booleans(), st.booleans()), min_size=1, max_size=3)),
        "second_state": draw(st.booleans()),
        "fault": draw(st.sampled_from(FAULTS)),
        "seed": draw(st.integers(0, 2**16)),
        "name": draw(st.one_of(st.just("fuzzcell"), st.sampled_from(["c1", "MyCell", "x); import os #", "__init__"]))),
    }


def build_cell(recipe, data):
    """Build the recipe's cell with ``CellBuilder`` (raises ``SymrnnError`` for a faulty one)."""
    b = CellBuilder(recipe["name"])
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    c = b.state("c", H) if recipe["second_state"] else None
    fault = recipe["fault"]
    gates = []
    for k, (act, recurrent, bias) in enumerate(recipe["gates"]):
        W = b.param(f"W{k}", H, D)
        pre = W @ x
        if recurrent:
            pre = pre + b.param(f"U{k}", H, H) @ h
        if bias:
            pre = pre + b.param(f"b{k}", H)
        if fault == "shape" and k == 0:
            pre = pre + b.param("V_bad", D, D) @ x
        gates.append(b.let(f"g{k}", ACTIVATIONS[act](pre)))
    leaves = gates + [h] + ([c] if c is not None else [])
    if fault == "undeclared":
        leaves = leaves + [symrnn.Vec("ghost", H)]
    if fault == "bad_name":
        b.let("x); import os #", tanh(gates[0]))
    if fault == "dup_name":
        b.let("g0", tanh(gates[0]))
    if fault == "text":
        b.update("h", "tanh(h_prev)")
    new_h = data.draw(_combination(leaves, 3))
    if fault == "undeclared":
        new_h = new_h + relu(leaves[-1])  # relu never appears in combinations, so nothing cancels it
    if fault == "matrix_in_pointwise":
        new_h = new_h * sp.MatrixSymbol("M", 2, 2)
    if fault != "no_update":
        b.update("h", new_h)
    if c is not None and fault != "unused_state":
        b.update("c", data.draw(_combination(leaves, 2)))
    return b.build()


def sizes_values():
    """Sizes: mostly small positive ints, sometimes junk (0, negative, float, str, None, bool)."""
    return st.one_of(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(-3, 0),
                     st.sampled_from([1.5, "3", None, True, 10**12, float("nan")]))


@st.composite
def sequence_inputs(draw, T: int, B: int, D: int):
    """``xs``: a valid (T, B, D) array or a bad one."""
    kind = draw(st.sampled_from(["ok", "ok", "ok", "ok", "shape", "dtype", "nan", "inf", "junk", "list", "empty",
                                 "int", "float32", "big"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    xs = rng.uniform(-3, 3, size=(T, B, D))
    if kind == "shape":
        shape = draw(st.sampled_from([(T, B), (T, B, D + 1), (B, D), (T, B, D, 1), (T, 0, D), (0, B, D)]))
        return np.zeros(shape)
    if kind == "dtype":
        return xs.astype(draw(st.sampled_from([np.complex128, object, np.bool_, "U3"])))
    if kind == "nan":
        xs[0, 0, 0] = np.nan
    if kind == "inf":
        xs[-1, -1, -1] = -np.inf
    if kind == "junk":
        return draw(junk)
    if kind == "list":
        return xs.tolist()
    if kind == "empty":
        return np.zeros((T, B, 0))
    if kind == "int":
        return np.ones((T, B, D), dtype=np.int64)
    if kind == "float32":
        return xs.astype(np.float32)
    if kind == "big":
        return xs * 1e4
    return xs


@st.composite
def lengths_values(draw, T: int, B: int):
    return draw(st.one_of(st.none(), st.none(), st.lists(st.integers(1, T), min_size=B, max_size=B),
                          st.lists(st.integers(-2, T + 2), min_size=0, max_size=B + 1), junk))


@st.composite
def graphs(draw):
    """A networkx graph (sometimes directed, weighted, with isolated nodes or self-loops) or junk."""
    kind = draw(st.sampled_from(["graph"] * 6 + ["digraph", "empty", "junk", "weird_weight", "labels"]))
    if kind == "junk":
        return draw(junk)
    n = draw(st.integers(1, 6))
    G = nx.DiGraph() if kind == "digraph" else nx.Graph()
    G.add_nodes_from(range(n))
    if kind != "empty":
        for u, v in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n)):
            G.add_edge(u, v)
    if kind == "weird_weight" and G.number_of_edges():
        u, v = next(iter(G.edges))
        G[u][v]["weight"] = draw(st.sampled_from([-1.0, 0.0, float("nan"), float("inf"), "heavy", None, 1e300]))
    if kind == "labels":
        G = nx.relabel_nodes(G, {i: draw(st.sampled_from([f"n{i}", (i, "t"), i * 10])) for i in range(n)})
    return G


@st.composite
def features(draw, n: int, f: int):
    """Node features ``X``: (n, f) finite, or extreme/bad."""
    kind = draw(st.sampled_from(["ok"] * 5 + ["zeros", "big", "nan", "shape", "junk", "int", "transposed"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.normal(size=(n, f))
    if kind == "zeros":
        return np.zeros((n, f))
    if kind == "big":
        return X * 1e4
    if kind == "nan":
        X[0, 0] = np.nan
        return X
    if kind == "shape":
        return np.zeros((n + 1, f))
    if kind == "junk":
        return draw(junk)
    if kind == "int":
        return np.ones((n, f), dtype=int)
    if kind == "transposed":
        return X.T if n != f else X[:, :0]
    return X


@st.composite
def trees(draw):
    """A networkx tree with features ``x`` (parent → child), or an invalid one."""
    n = draw(st.integers(1, 7))
    kind = draw(st.sampled_from(["ok"] * 6 + ["cycle", "two_roots", "no_feature", "bad_dim", "nan", "undirected",
                                              "junk", "empty"]))
    if kind == "junk":
        return draw(junk)
    G = nx.DiGraph()
    if kind == "empty":
        return G
    G.add_node(0)
    for v in range(1, n):
        G.add_edge(draw(st.integers(0, v - 1)), v)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    for v in G:
        G.nodes[v]["x"] = rng.normal(size=2)
    if kind == "cycle" and n > 1:
        G.add_edge(n - 1, 0)
    if kind == "two_roots":
        G.add_node(n, x=np.zeros(2))
    if kind == "no_feature":
        del G.nodes[n - 1]["x"]
    if kind == "bad_dim":
        G.nodes[0]["x"] = np.zeros(3)
    if kind == "nan":
        G.nodes[0]["x"] = np.array([np.nan, 0.0])
    if kind == "undirected":
        G = G.to_undirected()
    return G
