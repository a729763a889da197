"""Fuzz: compiled kernels, tree kernels, graph layers, strategies, interop and the CLI under random input.

Property of every case: a valid result (finite where the input is finite) or a
``SymrnnError``; nothing else escapes and no RuntimeWarning is raised.
"""

from __future__ import annotations

import functools
import io
import contextlib

import numpy as np
from hypothesis import given, strategies as st

import symrnn
from symrnn import graphs, trees
from symrnn.cli import main
from symrnn.interop import edge_index_to_graph, networkx_to_edge_index, params_from_keras
from symrnn.testing import examples, params_for, sequences, sizes as sizes_strategy

from .conftest import TALLY, call, fuzz
from .strategies import (CATALOGUE, features, graphs as graph_values, junk, lengths_values, sequence_inputs,
                         sizes_values, trees as tree_values)


@functools.lru_cache(maxsize=None)
def _kernel(name, D, H, dtype):
    return symrnn.compile(symrnn.cell(name), D=D, H=H, dtype=dtype)


def _finite(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind == "f" and bool(np.isfinite(x).all())


@fuzz(1.5)
@given(name=st.sampled_from(["rnn", "lstm", "gru_reset_after", "gru_reset_before"]), D=st.integers(1, 3), H=st.integers(1, 3),
       T=st.integers(1, 5), B=st.integers(1, 3), dtype=st.sampled_from([np.float64, np.float32]), data=st.data())
def test_kernel_inputs(name, D, H, T, B, dtype, data):
    TALLY["cases"] += 1
    k = _kernel(name, D, H, dtype)
    xs = data.draw(sequence_inputs(T, B, D))
    lengths = data.draw(lengths_values(T, B))
    initial = data.draw(st.one_of(st.none(), st.none(), junk, st.just({s: np.zeros((B, H)) for s in k.state_names}),
                                  st.just({s: np.full((B, H), np.nan) for s in k.state_names}),
                                  st.just({s: np.zeros((B + 1, H)) for s in k.state_names})))
    out = call(k.forward, xs, initial=initial, lengths=lengths)
    if out is None:
        return
    outputs, final, tape = out
    if _finite(np.asarray(xs, dtype=float) if not isinstance(xs, np.ndarray) else xs):
        assert np.isfinite(outputs).all()
    d_out = data.draw(st.one_of(st.just(np.ones_like(outputs)), junk, st.just(np.ones((1, 1))),
                                st.just(np.full_like(outputs, np.nan))))
    grads = call(k.backward, tape, d_out)
    if grads is not None and _finite(d_out):
        assert all(np.isfinite(g).all() for g in grads.values() if isinstance(g, np.ndarray))


@fuzz(0.5)
@given(name=st.sampled_from(CATALOGUE), D=sizes_values(), H=sizes_values(),
       dtype=st.one_of(st.sampled_from([np.float64, np.float32, "float32", np.int32, np.float16]), junk))
# Strings numpy cannot parse as a dtype ("0:", "08") escape codegen's check_dtype (ValueError, SyntaxError): see the
# strict xfail tests/fuzz/test_regressions.py::test_compile_refuses_unparseable_dtype_text; the fuzz maps text to float16.
def test_compile_sizes_and_dtypes(name, D, H, dtype):
    TALLY["cases"] += 1
    if isinstance(dtype, str) and dtype not in ("float32", "float64"):
        dtype = "float16"
    call(symrnn.compile, symrnn.cell(name), D=D, H=H, dtype=dtype)


@functools.lru_cache(maxsize=None)
def _tree_kernel(name):
    model = {"child_sum_tree_lstm": trees.child_sum_tree_lstm, "nary": trees.nary_tree_lstm,
             "recursive": trees.recursive_nn}[name]()
    k = trees.compile_tree(model, D=2, H=3)
    return k, k.init_params(rng=0)


@fuzz(1.0)
@given(name=st.sampled_from(["child_sum_tree_lstm", "nary", "recursive"]),
       forest=st.one_of(tree_values(), st.lists(tree_values(), min_size=0, max_size=3)))
def test_tree_kernels(name, forest):
    TALLY["cases"] += 1
    k, p = _tree_kernel(name)
    run = call(k.forward, p, forest)
    if run is None:
        return
    assert all(np.isfinite(v).all() for v in run.states.values())
    grads = call(k.backward, run, {s: np.ones_like(v) for s, v in run.states.items()})
    if grads is not None:
        assert all(np.isfinite(g).all() for g in grads.values() if isinstance(g, np.ndarray))


@fuzz(1.5)
@given(G=graph_values(), f=st.integers(1, 3), c=st.integers(1, 3), heads=st.integers(1, 2), data=st.data(),
       layer=st.sampled_from(["gcn", "gat", "cheb", "spectral"]))
def test_graph_layers(G, f, c, heads, data, layer):
    TALLY["cases"] += 1
    n = G.number_of_nodes() if hasattr(G, "number_of_nodes") else 2
    X = data.draw(features(n, f))
    rng = np.random.default_rng(0)
    if layer == "gcn":
        W = data.draw(st.one_of(st.just(rng.normal(size=(f, c))), junk, st.just(rng.normal(size=(c + 1, f)))))
        out = call(graphs.gcn_forward, G, X, W)
        back = (lambda Y, tape: graphs.backward(tape, np.ones_like(Y)))
    elif layer == "gat":
        W = rng.normal(size=(f, heads * c))
        a_s = data.draw(st.one_of(st.just(rng.normal(size=(heads, c)) * 100), st.just(np.zeros((heads, c))), junk))
        out = call(graphs.gat_forward, G, X, W, a_s, rng.normal(size=(heads, c)),
                   concat=data.draw(st.booleans()), negative_slope=data.draw(st.sampled_from([0.2, 0.0, -1.0, float("nan")])))
        back = (lambda Y, tape: graphs.backward(tape, np.ones_like(Y)))
    elif layer == "cheb":
        K = data.draw(st.integers(-1, 3))
        out = call(graphs.cheb_forward, G, X, rng.normal(size=(max(K, 1), f, c)) if K != -1 else junk,
                   lambda_max=data.draw(st.sampled_from([2.0, 0.0, -1.0, float("inf"), None])))
        back = (lambda Y, tape: graphs.backward(tape, np.ones_like(Y)))
    else:
        out = call(graphs.spectral_filter, G, X, data.draw(st.sampled_from([lambda lam: np.exp(-lam), None, 3.0])))
        back = None
    if out is None or back is None:
        return
    Y, tape = out
    if _finite(X):
        assert np.isfinite(Y).all()
        grads = call(back, Y, tape)
        if grads is not None:
            assert all(np.isfinite(g).all() for g in grads.values() if isinstance(g, np.ndarray))


@fuzz(0.5)
@given(ei=st.one_of(st.lists(st.lists(st.integers(-2, 5), min_size=0, max_size=4), min_size=0, max_size=3), junk),
       n=st.one_of(st.none(), st.integers(-1, 6), junk), w=st.one_of(st.none(), st.lists(st.floats(), max_size=4), junk))
def test_interop_edge_index(ei, n, w):
    TALLY["cases"] += 1
    ragged = isinstance(ei, list) and all(isinstance(r, list) for r in ei) and len({len(r) for r in ei}) > 1
    arr = np.array([np.array(r) for r in ei] + [None], dtype=object)[:-1] if ragged else ei
    g = call(edge_index_to_graph, arr, n, w)
    if g is not None:
        call(networkx_to_edge_index, g, as_tensor=False)


@fuzz(0.5)
@given(kind=st.one_of(st.sampled_from(["lstm", "gru"]), junk), shapes=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 8)),
                                                                              min_size=0, max_size=4),
       reset_after=st.booleans())
def test_interop_keras_weights(kind, shapes, reset_after):
    TALLY["cases"] += 1
    call(params_from_keras, [np.zeros(s) for s in shapes], kind, reset_after=reset_after)


@fuzz(0.5)
@given(name=st.sampled_from(CATALOGUE), opts=st.dictionaries(st.sampled_from(["min_value", "max_value", "bound", "length", "batch",
                                                                              "max_size"]), st.integers(-2, 5) | junk, max_size=2),
       data=st.data())
def test_testing_strategies(name, opts, data):
    TALLY["cases"] += 1
    desc = symrnn.cell(name)
    for fn, keys in ((sizes_strategy, ("min_value", "max_value")), (examples, ("max_size", "length", "batch", "bound"))):
        s = call(fn, desc, **{k: v for k, v in opts.items() if k in keys})
        if s is not None:
            value = call(data.draw, s)
            assert value is not None
    s = call(params_for, desc, data.draw(st.one_of(st.just({"D": 2, "H": 2}), junk)),
             **{k: v for k, v in opts.items() if k == "bound"})
    if s is not None:
        call(data.draw, s)
    call(sequences, desc, {"D": 2, "H": 2}, **{k: v for k, v in opts.items() if k in ("length", "batch", "bound")})


argv_tokens = st.sampled_from(["list", "show", "derive", "prove", "rnn", "lstm", "nope", "--json", "--latex", "--format",
                               "md", "tex", "docx", "-o", "/proc/x.md", "--bogus", "x); import os #", "", "--", "-h",
                               "--timeout", "-1", "--report", "r.txt", "--from", "/nonexistent.py"])


@fuzz(0.5)
@given(argv=st.lists(argv_tokens, min_size=0, max_size=5))
def test_cli_argv(argv):
    TALLY["cases"] += 1
    if argv[:1] == ["prove"] and not any(a in argv for a in ("nope", "--timeout", "--report", "--from", "--bogus")):
        argv = argv + ["nope"]  # keep the fuzz away from running the whole catalogue
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = call(main, argv)
        except SystemExit as exc:
            code = exc.code
    assert code in (0, 2, None), (argv, code, err.getvalue())
    if code == 2:
        assert err.getvalue().count("\n") == 1, (argv, err.getvalue())
