"""One test per failure the fuzz suite and the audit found (each fixed at the boundary that owns the input)."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn import CellBuilder, graphs, tanh, trees
from symrnn.errors import InputError, ShapeError, SpecError, UnknownNameError
from symrnn.interop import edge_index_to_graph, params_from_keras
from symrnn.numeric import init_params
from symrnn.prove import identity, inequality


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_a_linear_stage_mixing_sizes_is_refused():
    """SymPy's MatAdd accepted (H,1) + (D,1) with symbolic sizes; the cell now checks every term."""
    b = CellBuilder("c")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    g = b.let("g", tanh(b.param("W", H, D) @ x + b.param("V", D, D) @ x))
    b.update("h", g)
    with pytest.raises(ShapeError, match="rows"):
        b.build()


def test_a_failed_declaration_does_not_use_up_the_name():
    b = CellBuilder("c")
    with pytest.raises(SpecError):
        b.input("x", "D")
    (D,) = b.sizes("D")
    assert b.input("x", D).name == "x"


def test_inequality_evaluates_sigmoid_and_relu_text():
    """lambdify did not know symrnn's sigmoid: NameError."""
    r = inequality(symrnn.cell("lstm"), "sigmoid(f)", "2")
    assert r.status in ("proved", "checked")


def test_inequality_between_constants():
    """Constant sides came back from lambdify as Python floats, then bools: AttributeError."""
    assert inequality(symrnn.cell("lstm"), 1, 0).status == "refuted"
    assert inequality(symrnn.cell("lstm"), 0, 1).status == "proved"


def test_identity_of_a_bare_symbol_finds_its_counterexample():
    """xreplace of a bare symbol by an int returned an int without .is_Integer."""
    r = identity(sp.Symbol("q"), 1)
    assert r.status == "refuted" and r.counterexample["q"] == 2


@pytest.mark.parametrize("rng", [-1, 1.5, "seed", True, object()])
def test_init_params_refuses_a_bad_rng(rng):
    with pytest.raises(InputError, match="rng"):
        init_params(symrnn.cell("rnn"), {"D": 2, "H": 2}, rng=rng)


@pytest.mark.parametrize("sizes", ["D=2", None, [("D", 2)]])
def test_init_params_refuses_sizes_that_are_not_a_mapping(sizes):
    with pytest.raises(InputError, match="mapping"):
        init_params(symrnn.cell("rnn"), sizes)


def test_sizes_that_cannot_fit_in_memory_are_refused_before_allocating():
    with pytest.raises(InputError, match="larger than"):
        init_params(symrnn.cell("rnn"), {"D": 10**12, "H": 1})
    with pytest.raises(InputError, match="entries"):
        init_params(symrnn.cell("lstm"), {"D": 2**20, "H": 2**20})


@pytest.mark.parametrize("scale", [0, -1.0, float("nan"), "1"])
def test_init_params_refuses_a_bad_scale(scale):
    with pytest.raises(InputError, match="scale"):
        init_params(symrnn.cell("rnn"), {"D": 2, "H": 2}, scale=scale)


@pytest.mark.parametrize("g", [None, 3.0, lambda lam: "x"])
def test_spectral_filter_refuses_a_bad_response(g):
    with pytest.raises(InputError, match="g"):
        graphs.spectral_filter(nx.path_graph(3), np.ones((3, 1)), g)


@pytest.mark.parametrize("forest", [None, 1.5, sp.Symbol("q"), "tree", {"a": 1}])
def test_tree_kernels_refuse_what_is_not_a_tree_or_a_sequence(forest):
    k = trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=3)
    with pytest.raises(InputError, match="trees must be"):
        k.forward(k.init_params(rng=0), forest)


@pytest.mark.parametrize("ei", [np.array([[0, 1], [1, 0]]) + 0j, [[sp.Symbol("q")], [0]], np.array([["a"], ["b"]]),
                                [[b"x"], [0]]])
def test_edge_index_must_hold_real_numbers(ei):
    with pytest.raises(InputError, match="edge_index must hold real numbers"):
        edge_index_to_graph(ei, 2)


@pytest.mark.parametrize("w", [[1.0], [1 + 1j, 2], ["a", "b"]])
def test_edge_weight_must_be_one_real_number_per_edge(w):
    with pytest.raises(InputError, match="edge_weight"):
        edge_index_to_graph([[0, 1], [1, 0]], 2, w)


@pytest.mark.parametrize("kind", [[], None, 3, "transformer"])
def test_keras_kind_must_be_a_known_name(kind):
    with pytest.raises(InputError, match="kind"):
        params_from_keras([np.zeros((2, 8)), np.zeros((2, 8))], kind)


def test_unknown_names_in_prover_text_list_the_names():
    with pytest.raises(UnknownNameError, match="known names"):
        inequality(symrnn.cell("lstm"), "Abs(nope)", "1")


def test_a_node_count_that_cannot_fit_in_memory_is_refused():
    """edge_index_to_graph(..., num_nodes=10**12) raised MemoryError."""
    with pytest.raises(InputError, match="larger than"):
        edge_index_to_graph(np.zeros((2, 0), dtype=int), 10**12)


@pytest.mark.parametrize("dtype", [1 + 2j, sp.I])
def test_inequality_refuses_complex_sides(dtype):
    """Complex numbers reached a real comparison: TypeError."""
    with pytest.raises(SpecError):
        inequality(symrnn.cell("lstm"), "Abs(h)", dtype)


@pytest.mark.parametrize("dtype", ["0:", "08", "", "float"])
def test_init_params_refuses_dtype_text_numpy_cannot_read(dtype):
    with pytest.raises(InputError, match="dtype"):
        init_params(symrnn.cell("rnn"), {"D": 2, "H": 2}, dtype=dtype if dtype != "float" else "float16")


@pytest.mark.parametrize("dtype", ["0:", "08"])
def test_compile_refuses_unparseable_dtype_text(dtype):
    """np.dtype("0:") raises ValueError and np.dtype("08") SyntaxError: both become InputError."""
    with pytest.raises(InputError):
        symrnn.compile(symrnn.cell("rnn"), D=2, H=2, dtype=dtype)


def _bptt_args():
    cell = symrnn.cell("rnn")
    return cell, init_params(cell, {"D": 2, "H": 2}, rng=0), {"x": np.zeros((3, 2))}


@pytest.mark.parametrize("bad", [
    dict(xs={"x": np.zeros((3, 5))}), dict(xs={"x": [[1, 2], [3]]}), dict(xs={"x": np.zeros((0, 2))}),
    dict(xs={"y": np.zeros((3, 2))}), dict(xs=None), dict(params=None), dict(params={"W": 1}),
    dict(loss_grads={"h": np.ones((2, 2))}), dict(loss_grads={"nope": 1}), dict(loss_grads={"h": np.full((3, 2), np.nan)}),
    dict(initial={"h": "zero"}),
])
def test_derive_backprop_and_gradient_norms_check_their_arrays(bad):
    """Audit: derive.backprop / gradient_norms let ValueError, AttributeError and matmul errors through."""
    from symrnn.derive import backprop, gradient_norms
    from symrnn.errors import SymrnnError

    cell, params, xs = _bptt_args()
    args = dict(params=params, xs=xs, loss_grads={"h": np.ones((3, 2))}, initial=None) | bad
    with pytest.raises(SymrnnError):
        backprop(cell, args["params"], args["xs"], args["loss_grads"], args["initial"])
    if "loss_grads" not in bad:
        with pytest.raises(SymrnnError):
            gradient_norms(cell, args["params"], args["xs"], args["initial"])


@pytest.mark.parametrize("xs", [None, [[1.0, 2.0], [3.0]], np.zeros((3, 1, 5)), np.zeros((3, 2)), np.zeros((0, 1, 2)),
                                np.full((2, 1, 2), np.nan), "abc", {"y": np.zeros((2, 1, 2))}])
def test_the_reference_loop_checks_its_inputs(xs):
    """Fuzz: numeric.run let AttributeError, matmul ValueError and unpacking errors through."""
    cell = symrnn.cell("rnn")
    with pytest.raises(InputError if not isinstance(xs, dict) else UnknownNameError):
        symrnn.numeric.run(cell, init_params(cell, {"D": 2, "H": 2}, rng=0), xs)


def test_the_reference_loop_checks_params_and_initial():
    cell = symrnn.cell("rnn")
    p = init_params(cell, {"D": 2, "H": 2}, rng=0)
    xs = np.zeros((2, 1, 2))
    with pytest.raises(InputError, match="missing"):
        symrnn.numeric.run(cell, {"W": p["W"]}, xs)
    with pytest.raises(InputError, match="shape"):
        symrnn.numeric.run(cell, dict(p, U=np.zeros((2, 3))), xs)
    with pytest.raises(InputError, match="initial"):
        symrnn.numeric.run(cell, p, xs, initial={"h": np.zeros((3, 2))})
    with pytest.raises(UnknownNameError):
        symrnn.numeric.run(cell, p, xs, initial={"c": np.zeros((1, 2))})


@pytest.mark.parametrize("dtype", [-1, 1.5, "x", "x); import os #", True, "08", None, np.int32])
def test_compile_tree_refuses_a_bad_dtype(dtype):
    """Audit: compile_tree(dtype="x") raised numpy's TypeError."""
    with pytest.raises(InputError, match="dtype"):
        trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=2, dtype=dtype)
