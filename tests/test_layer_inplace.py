"""The graph-layer forward that writes results into dead operands equals the one that never does.

For every graph and graph-recurrent model of the registry, on random directed weighted graphs:
the in-place forward (the default) and the forward generated with ``inplace=False`` give the
same outputs and the same tape, bit for bit, the caller's arrays are left as they were, and the
backward from either tape is the same.  The models' oracle tests (PyG, PyG-Temporal, PyTorch
references) check the numbers themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from symrnn import registry
from symrnn.errors import InputError
from symrnn.spec.symbols import sigmoid, tanh
from symrnn.codegen.layer import layer_forward_source
from symrnn.codegen.layer_kernel import LayerKernel
from symrnn.codegen.runtime import RUNTIME
from symrnn.testing.graphs import random_graph

NAMES = registry.names("graph") + registry.names("graph_recurrent")


def _probe():
    """Pointwise stages that read the caller's input and an owned product for the last time."""
    b = symrnn.GraphBuilder("inplace_probe")
    F, = b.sizes("F")
    x = b.node_input("x", F)
    a = b.let("a", tanh(x))                             # x is read for the last time: never written into
    u = b.linear(b.param("W", F, F) @ a + b.param("b", F), "u")
    m = b.propagate("mean_in", a, name="m")
    g = b.let("g", sigmoid(u) * a)                      # u is the step's own: g may take its memory
    c = b.let("c", g)                                   # a bare copy: the same array under a second name
    d = b.let("d", tanh(g))                             # g's last read, but c still holds its array
    b.output("h", c * d + m)
    return b.build()


def _kernel(name):
    cell = _probe() if name == "probe" else registry.model(name)
    return LayerKernel(cell, {s.name: 3 + k for k, s in enumerate(cell.sizes)})


def _copy_forward(kernel):
    namespace = dict(RUNTIME)
    exec(layer_forward_source(kernel.cell, kernel.shapes, kernel.n, inplace=False), namespace)  # noqa: S102
    return namespace["_forward"]


def _leaves(kernel, ops, rng):
    rows = lambda d: (ops.rows(kernel.cell.space(d.name)), kernel.n[d.name])  # noqa: E731
    return ({d.name: rng.normal(size=rows(d)) for d in kernel.cell.inputs},
            {d.name: rng.normal(size=rows(d)) for d in kernel.cell.states})


def _run(forward, ops, params, xs, init):
    with np.errstate(over="ignore", under="ignore"):
        return forward(ops, params, xs, init)


@pytest.mark.parametrize("name", [*NAMES, "probe"])
def test_in_place_forward_equals_the_copying_forward_bit_for_bit(name):
    rng = np.random.default_rng(len(name))
    kernel = _kernel(name)
    G = random_graph(rng, min_nodes=5, max_nodes=8, directed=True, weighted=True, p=0.5)
    G.add_edge(0, 1, weight=0.5)
    spaces = {kernel.cell.space(v) for v in kernel.n}
    pairs = {"pairs": np.array([[0, 1, 2, 4], [1, 3, 2, 0]])} if "pair" in spaces else {}
    for graph in (G, G.to_undirected()):  # directed where the model allows it
        ops = kernel.operators(graph, **pairs)
        xs, init = _leaves(kernel, ops, rng)
        kept = {k: v.copy() for k, v in {**xs, **init}.items()}
        try:
            fast = _run(kernel._forward, ops, kernel.params, xs, init)
            break
        except InputError as e:
            if "undirected" not in str(e) or graph is not G:
                raise
    slow = _run(_copy_forward(kernel), ops, kernel.params, {k: v.copy() for k, v in kept.items() if k in xs},
                {k: v.copy() for k, v in kept.items() if k in init})
    assert all(np.array_equal(v, kept[k]) for k, v in {**xs, **init}.items()), "a caller array was written"
    assert fast.keys() == slow.keys()
    for key in fast:
        assert np.array_equal(fast[key], slow[key], equal_nan=True), key
    dout = {s: rng.normal(size=fast[s].shape) for s in kernel.cell.state_names}
    g_fast = _run(lambda *a: kernel._backward(*a), ops, kernel.params, fast, dout)
    g_slow = _run(lambda *a: kernel._backward(*a), ops, kernel.params, slow, dout)
    for key in g_fast:
        assert np.array_equal(g_fast[key], g_slow[key], equal_nan=True), key


def test_the_ggnn_forward_writes_its_gates_into_their_pre_activations():
    kernel = _kernel("ggnn")
    src = layer_forward_source(kernel.cell, kernel.shapes, kernel.n)
    assert "_sigmoid(_v_a_r_1, out=_v_a_r_1)" in src and "_np.tanh(_v_a_xn_1, out=_v_a_xn_1)" in src
    assert "out=" not in layer_forward_source(kernel.cell, kernel.shapes, kernel.n, inplace=False)
