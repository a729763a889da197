"""Oracle: explicit small-size SymPy differentiation (H = 1, 2, 3).

The structured closed forms are instantiated at explicit sizes with scalar
symbols and compared with ``sympy.diff`` of the explicitly written cell —
hand-written forward maps for the classic cells, and a generic scalar
unrolling for every description.  Unrolling exists only here, as the oracle.
"""

from __future__ import annotations

import pytest
import sympy as sp

import symrnn
from symrnn.derive import jacobian
from symrnn.derive.structured import Diag
from symrnn.spec.symbols import Vec
from test_derive_support import CELL_IDS, CELLS

sig, tanh = symrnn.sigmoid, sp.tanh


def _vec(name, n):
    return sp.Matrix(sp.symbols(f"{name}_0:{n}", real=True))


def _mat(name, r, c):
    return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


def _apply(f, v):
    return v.applyfunc(f)


def instantiate(J, values):
    """The structured matrix at explicit size: Diag(e) -> diag(e at each unit), P -> explicit P."""
    sizes = values["_sizes"]
    total = sp.zeros(int(J.rows.xreplace(sizes)), int(J.cols.xreplace(sizes)))
    for term in J.terms:
        acc = sp.eye(total.rows)
        for f in term:
            if isinstance(f, Diag):
                units = {s for s in f.expr.free_symbols if isinstance(s, Vec)}
                m = sp.diag(*[f.expr.xreplace({s: values[s.name][k] for s in units})
                              for k in range(int(f.size.xreplace(sizes)))])
            else:
                m = values[f.name].T if f.transposed else values[f.name]
            acc = acc * m
        total += acc
    return total


def _check(J, values, explicit, wrt_symbols):
    want = explicit.jacobian(wrt_symbols)
    got = instantiate(J, values)
    diff = (got - want).applyfunc(sp.expand)
    assert diff == sp.zeros(*want.shape)


def hand_lstm(H, D):
    x, h, c = _vec("x", D), _vec("h_prev", H), _vec("c_prev", H)
    v = {"x": x, "h_prev": h, "c_prev": c}
    for k in "ifgo":
        v[f"W_{k}"], v[f"U_{k}"], v[f"b_{k}"] = _mat(f"W{k}", H, D), _mat(f"U{k}", H, H), _vec(f"b{k}", H)
        v[f"a_{k}"] = v[f"W_{k}"] * x + v[f"U_{k}"] * h + v[f"b_{k}"]
    v["i"], v["f"], v["o"] = (_apply(sig, v[f"a_{k}"]) for k in "ifo")
    v["g"] = _apply(tanh, v["a_g"])
    v["c"] = v["f"].multiply_elementwise(c) + v["i"].multiply_elementwise(v["g"])
    v["h"] = v["o"].multiply_elementwise(_apply(tanh, v["c"]))
    return v


def hand_rnn(H, D):
    x, h = _vec("x", D), _vec("h_prev", H)
    v = {"x": x, "h_prev": h, "W": _mat("W", H, D), "U": _mat("U", H, H), "b": _vec("b", H)}
    v["a_h"] = v["W"] * x + v["U"] * h + v["b"]
    v["h"] = _apply(tanh, v["a_h"])
    return v


def hand_gru_before(H, D):
    x, h = _vec("x", D), _vec("h_prev", H)
    v = {"x": x, "h_prev": h}
    for k in "rzn":
        v[f"W_{k}"], v[f"U_{k}"], v[f"b_{k}"] = _mat(f"W{k}", H, D), _mat(f"U{k}", H, H), _vec(f"b{k}", H)
    v["r"] = _apply(sig, v["W_r"] * x + v["U_r"] * h + v["b_r"])
    v["z"] = _apply(sig, v["W_z"] * x + v["U_z"] * h + v["b_z"])
    v["hr"] = v["r"].multiply_elementwise(h)
    v["n"] = _apply(tanh, v["W_n"] * x + v["U_n"] * v["hr"] + v["b_n"])
    one = sp.ones(H, 1)
    v["h"] = v["z"].multiply_elementwise(h) + (one - v["z"]).multiply_elementwise(v["n"])
    return v


@pytest.mark.parametrize("H", [1, 2, 3])
@pytest.mark.parametrize("name, hand", [("rnn", hand_rnn), ("lstm", hand_lstm), ("gru_reset_before", hand_gru_before)])
def test_hand_written_cells(name, hand, H):
    cell = symrnn.cell(name)
    D = 2
    values = hand(H, D)
    values["_sizes"] = {s: {"D": D}.get(s.name, H) for s in cell.sizes}
    for of in cell.state_names:
        for wrt in [s + "_prev" for s in cell.state_names] + ["x"]:
            _check(jacobian(cell, of, wrt), values, values[of], values[wrt])


def unroll(cell, sizes):
    """Explicit scalar values of every vector of the step (the generic oracle)."""
    n = {k: int(v) for k, v in symrnn.numeric.vector_sizes(cell, sizes).items()}
    smap = symrnn.numeric.resolve_sizes(cell, sizes)
    values = {"_sizes": smap}
    for name, (role, d) in cell.declared.items():
        if role in ("input", "previous"):
            values[name] = _vec(name, n[name])
        elif role == "param":
            shape = [int(s.xreplace(smap)) for s in d.shape]
            values[name] = _mat(name, *shape) if d.is_matrix else _vec(name, shape[0])
    for eq in cell.equations:
        size = n[eq.target]
        if eq.is_linear:
            acc = sp.zeros(size, 1)
            for t in cell.terms(eq.target):
                acc += t.coeff * (values[t.matrix] * values[t.vector] if t.matrix else values[t.vector])
        else:
            acc = sp.Matrix([eq.expr.xreplace({s: values[s.name][k] for s in eq.expr.free_symbols}) for k in range(size)])
        values[eq.target] = acc
    return values


SMALL = [(i, c) for i, c in zip(CELL_IDS, [c for _, c in CELLS]) if len(c.state_names) <= 2]


@pytest.mark.parametrize("H", [1, 2])
@pytest.mark.parametrize("cell", [c for _, c in SMALL], ids=[i for i, _ in SMALL])
def test_every_description_at_explicit_sizes(cell, H):
    sizes = {s.name: 1 if s.name == "D" else H for s in cell.sizes}
    values = unroll(cell, sizes)
    for of in cell.state_names:
        for wrt in [s + "_prev" for s in cell.state_names] + [d.name for d in cell.inputs]:
            _check(jacobian(cell, of, wrt), values, values[of], values[wrt])


def test_full_gate_recurrence_at_size_one():
    cell = symrnn.cell("lstm_full_recurrence")
    values = unroll(cell, {"D": 1, "H": 1})
    for of in cell.state_names:
        for wrt in [s + "_prev" for s in cell.state_names]:
            _check(jacobian(cell, of, wrt), values, values[of], values[wrt])
