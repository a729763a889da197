"""Fuzz: random descriptions, substitutions, derivations and prover text.

Property of every case: each public call returns a valid result or raises a
``SymrnnError``; nothing else escapes and no RuntimeWarning is raised.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from hypothesis import given, strategies as st

import symrnn
from symrnn import numeric
from symrnn.derive import jacobian
from symrnn.prove import identity, inequality
from symrnn.spec.parse import parse_expr

from .conftest import TALLY, call, fuzz
from .strategies import CATALOGUE, build_cell, cell_recipes, junk, names, sequence_inputs


@functools.lru_cache(maxsize=None)
def _cell(name):
    return symrnn.cell(name)


@fuzz(1.0)
@given(recipe=cell_recipes(), data=st.data(), D=st.integers(1, 3), H=st.integers(1, 3), T=st.integers(1, 4),
       B=st.integers(1, 2))
def test_random_cells_build_derive_and_run(recipe, data, D, H, T, B):
    TALLY["cases"] += 1
    cell = call(build_cell, recipe, data)
    if recipe["fault"] not in ("none", "unused_state") or recipe["name"] not in ("fuzzcell", "c1", "MyCell"):
        assert cell is None, f"faulty recipe {recipe['fault']} / name {recipe['name']!r} was accepted"
    if cell is None:
        return
    assert call(cell.latex) is not None
    assert isinstance(call(cell.parameter_count), sp.Expr)
    for state in cell.state_names:
        call(jacobian, cell, state, state + "_prev")
    params = call(numeric.init_params, cell, {"D": D, "H": H}, rng=recipe["seed"])
    xs = np.random.default_rng(recipe["seed"]).uniform(-3, 3, size=(T, B, D))
    ref = call(numeric.run, cell, params, xs)
    kernel = call(symrnn.compile, cell, D=D, H=H, params=params)
    assert kernel is not None
    outputs, final, tape = call(kernel.forward, xs)
    assert np.isfinite(outputs).all()
    if ref is not None:
        ref_out = ref[0] if isinstance(ref, tuple) else ref
        assert np.allclose(np.asarray(ref_out), outputs, atol=1e-9), "kernel and reference loop disagree"
    grads = call(kernel.backward, tape, np.ones_like(outputs))
    assert all(np.isfinite(g).all() for g in grads.values() if isinstance(g, np.ndarray))


substitution_values = st.one_of(st.sampled_from([0, 1, -1, 0.5, sp.Rational(1, 2), sp.Symbol("q")]), junk)


@fuzz(1.5)
@given(name=st.sampled_from(CATALOGUE), mapping=st.one_of(st.dictionaries(names, substitution_values, max_size=3), junk),
       new_name=st.one_of(st.none(), names))
def test_random_substitutions(name, mapping, new_name):
    TALLY["cases"] += 1
    out = call(_cell(name).substitute, mapping, name=new_name) if isinstance(mapping, dict) else \
        call(_cell(name).substitute, mapping)
    if out is not None:
        assert isinstance(out, symrnn.Cell)
        call(out.latex)
        call(out.parameter_count)


@fuzz(1.0)
@given(name=st.sampled_from(CATALOGUE), of=names, wrt=names)
def test_random_jacobians(name, of, wrt):
    TALLY["cases"] += 1
    out = call(jacobian, _cell(name), of, wrt)
    if out is not None:
        call(out.latex, _cell(name))


text_atoms = st.sampled_from(["h", "h_prev", "c", "c_prev", "z", "r", "x", "1", "2", "0", "1/2", "0.5", "Abs(h)",
                              "tanh(c)", "sigmoid(z)", "os", "__import__", "'s'", "h.real", "h[0]", "()", "lambda",
                              "1e400", "9" * 30, "H", "D"])
text_ops = st.sampled_from([" + ", " - ", " * ", " / ", " ** ", " < ", ", ", "(", ")", " if ", "; ", " ** -"])


@st.composite
def texts(draw):
    parts = draw(st.lists(st.tuples(text_atoms, text_ops), min_size=1, max_size=5))
    s = "".join(a + o for a, o in parts) + draw(text_atoms)
    return draw(st.one_of(st.just(s), st.text(max_size=20), junk))


@fuzz(2.0)
@given(lhs=texts(), rhs=texts(), name=st.sampled_from(["lstm", "gru_reset_after"]))
def test_random_prover_text(lhs, rhs, name):
    TALLY["cases"] += 1
    call(parse_expr, lhs)
    r = call(identity, lhs, rhs)
    if r is not None:
        assert r.status in ("proved", "refuted", "checked", "proved_for_dims", "error")
    r = call(inequality, _cell(name), lhs, rhs, timeout=None) if False else call(inequality, _cell(name), lhs, rhs)
    if r is not None:
        assert r.status in ("proved", "refuted", "checked", "proved_for_dims", "error")


@fuzz(0.5)
@given(name=st.sampled_from(CATALOGUE), sizes=st.dictionaries(st.sampled_from(["D", "H", "K", 3]), st.integers(-2, 4) | junk,
                                                               max_size=3), rng=st.one_of(st.integers(0, 9), junk))
def test_random_numeric_params(name, sizes, rng):
    TALLY["cases"] += 1
    p = call(numeric.init_params, _cell(name), sizes, rng=rng)
    if p is not None:
        assert all(np.isfinite(v).all() for v in p.values())


@st.composite
def _maybe_bad_array(draw, shape):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    kind = draw(st.sampled_from(["ok"] * 4 + ["shape", "nan", "junk", "list", "ragged", "big"]))
    a = rng.uniform(-2, 2, size=shape)
    if kind == "shape":
        return np.zeros(tuple(s + 1 for s in shape))
    if kind == "nan":
        a.flat[0] = np.nan
    if kind == "junk":
        return draw(junk)
    if kind == "list":
        return a.tolist()
    if kind == "ragged":
        return [[1.0, 2.0], [3.0]]
    if kind == "big":
        return a * 1e4
    return a


@fuzz(1.0)
@given(name=st.sampled_from(["rnn", "lstm", "gru_reset_after"]), T=st.integers(1, 3), data=st.data())
def test_random_bptt_and_reference_inputs(name, T, data):
    from symrnn.derive import backprop, gradient_norms

    TALLY["cases"] += 1
    cell = _cell(name)
    params = numeric.init_params(cell, {"D": 2, "H": 2}, rng=0)
    if data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(params)))
        params = dict(params, **{key: data.draw(_maybe_bad_array(params[key].shape))})
    xs = {"x": data.draw(_maybe_bad_array((T, 2)))}
    grads = {s: data.draw(_maybe_bad_array((T, 2))) for s in cell.state_names}
    out = call(backprop, cell, params, xs, grads)
    if out is not None:
        assert all(np.isfinite(g).all() for part in out.values() for g in part.values())
    norms = call(gradient_norms, cell, params, xs)
    if norms is not None:
        assert np.isfinite(norms).all()
    batched = data.draw(_maybe_bad_array((T, 1, 2)))
    call(numeric.run, cell, params, batched)
