"""Planted wrong theorems: the engine must refute them or at least not prove them.

Every wrong claim is a small mutation of a true one that the catalogue
proves; each test also re-checks the reported counterexample independently
(with the reference evaluator or plain arithmetic), so a bogus refutation
would fail too.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn import CellBuilder, sigmoid, tanh
from symrnn.numeric import run, step
from symrnn.prove import (bi, depends_only_on, diagonal_jacobian, equivalent, identity, independent_of, inequality, rev,
                          same_sequences, seq, state_identity, swap)

RNN_NAMES = {"W_n": "W", "U_n": "U", "b_n": "b"}


def hand_gru(mutation: str = ""):
    """The study note's GRU written out by hand (an oracle independent of the catalogue)."""
    b = CellBuilder("hand_gru")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    r = b.let("r", sigmoid(b.param("W_r", H, D) @ x + b.param("U_r", H, H) @ h + b.param("b_r", H)))
    z = b.let("z", sigmoid(b.param("W_z", H, D) @ x + b.param("U_z", H, H) @ h + b.param("b_z", H)))
    hr = b.let("hr", r * h)
    cand = b.param("W_n", H, D) @ x + b.param("U_n", H, H) @ hr + b.param("b_n", H)
    n = b.let("n", sigmoid(cand) if mutation == "sigmoid_candidate" else tanh(cand))
    if mutation == "swapped_update":
        b.update("h", (1 - z) * h + z * n)
    else:
        b.update("h", z * h + (1 - z) * n)
    return b.build()


def _rerun_pair(a, b, ce, rename=None):
    """Re-evaluate a reported counterexample of `equivalent(a, b)` from scratch."""
    rename = rename or {}
    pa = {}
    for p in a.params:
        target = rename.get(p.name, p.name)
        if isinstance(target, str) and target in ce["params"]:
            pa[p.name] = np.asarray(ce["params"][target])
        elif p.name in ce["left_only_params"]:
            pa[p.name] = np.asarray(ce["left_only_params"][p.name])
        else:
            expr = sp.sympify(target)
            pa[p.name] = sum(np.asarray(ce["params"][s.name]) for s in expr.free_symbols)
    xs, init = ce["inputs"], ce["initial"]
    _, _, ta = run(a, pa, xs, init)
    _, _, tb = run(b, {k: np.asarray(v) for k, v in ce["params"].items()}, xs, init)
    t, s = ce["step"] - 1, ce["state"]
    return ta[t][s], tb[t][s]


def test_hand_written_gru_is_the_catalogue_gru():
    # the oracle itself must agree with the catalogue, or the mutation tests mean nothing
    assert equivalent(hand_gru(), symrnn.cell("gru_reset_before")).status == "proved"


@pytest.mark.parametrize("mutation", ["swapped_update", "sigmoid_candidate"])
def test_mutated_equation_is_refuted(mutation):
    wrong = hand_gru(mutation)
    result = equivalent(wrong, symrnn.cell("gru_reset_before"))
    assert result.status == "refuted"
    left, right = _rerun_pair(wrong, symrnn.cell("gru_reset_before"), result.counterexample)
    assert not np.allclose(left, right)


@pytest.mark.parametrize("mapping,against", [
    ({"f": 0}, "lstm_no_forget"),              # f = 0 forgets everything, it is not "no forget gate"
    ({"i": 0}, "lstm_no_input"),               # no input gate is i = 1, not 0
    ({"o": sp.Rational(1, 2)}, "lstm_no_output"),  # no output gate is o = 1
])
def test_wrong_lstm_substitution_is_refuted(mapping, against):
    lstm = symrnn.cell("lstm")
    result = equivalent(lstm.substitute(mapping), symrnn.cell(against))
    assert result.status == "refuted"
    left, right = _rerun_pair(lstm.substitute(mapping), symrnn.cell(against), result.counterexample)
    assert not np.allclose(left, right)


def test_wrong_coupling_is_refuted():
    lstm = symrnn.cell("lstm")
    result = equivalent(lstm.substitute({"f": lstm.unit("i")}), symrnn.cell("lstm_coupled"))  # f = i, not 1 - i
    assert result.status == "refuted"


def test_wrong_gru_substitution_is_refuted():
    gru = symrnn.cell("gru_reset_before")
    # substitution prunes what no longer matters: z = 1 keeps no parameter, r = 0 drops U_n
    for mapping, rename in (({"z": 1, "r": 1}, {}), ({"z": 0, "r": 0}, {"W_n": "W", "b_n": "b"})):
        result = equivalent(gru.substitute(mapping), symrnn.cell("rnn"), rename=rename)
        assert result.status == "refuted", mapping
        left, right = _rerun_pair(gru.substitute(mapping), symrnn.cell("rnn"), result.counterexample, rename)
        assert not np.allclose(left, right)


def test_wrong_bias_merge_is_refuted():
    before, after = symrnn.cell("gru_reset_before"), symrnn.cell("gru_reset_after")
    rename = {"b_n": "b_in"}  # forgets b_hn
    result = equivalent(before.substitute({"r": 1}), after.substitute({"r": 1}), rename=rename)
    assert result.status == "refuted"
    left, right = _rerun_pair(before.substitute({"r": 1}), after.substitute({"r": 1}), result.counterexample, rename)
    assert not np.allclose(left, right)


def test_overstatement_counterexample_is_real():
    gru = symrnn.cell("gru_reset_before").substitute({"r": 1})
    result = equivalent(gru, symrnn.cell("rnn"), rename=RNN_NAMES)
    assert result.status == "refuted"
    left, right = _rerun_pair(gru, symrnn.cell("rnn"), result.counterexample, RNN_NAMES)
    assert not np.allclose(left, right)
    assert np.allclose(left, result.counterexample["left"]) and np.allclose(right, result.counterexample["right"])


@pytest.mark.parametrize("cell,lhs,rhs,strict,assume", [
    ("gru_reset_before", "Abs(h)", 1, True, {}),                      # no assumption on h_0
    ("gru_reset_after", "Abs(h)", 1, True, {"h_prev": (-2, 2)}),       # assumption too weak
    ("gru_reset_before", "Abs(h)", "1/2", False, {"h_prev": (-1, 1)}),  # bound too tight
    ("lstm", "Abs(c)", "Abs(c_prev)", False, {}),                      # missing + 1
    ("lstm", "Abs(c)", "Abs(c_prev) + 1/2", False, {}),
    ("lstm_no_output_act", "Abs(h)", 1, True, {}),                     # h = o c is unbounded
])
def test_wrong_bound_is_refuted(cell, lhs, rhs, strict, assume):
    c = symrnn.cell(cell)
    result = inequality(c, lhs, rhs, strict=strict, assume=assume)
    assert result.status == "refuted"
    ce = result.counterexample
    vals = step(c, ce["params"], ce["inputs"], ce["previous"])  # re-evaluate the violation
    env = {k: v for k, v in vals.items()}
    f = sp.lambdify(sorted(sp.sympify(lhs).free_symbols | sp.sympify(rhs).free_symbols, key=str),
                    sp.sympify(lhs) - sp.sympify(rhs), "numpy")
    names = sorted(s.name for s in sp.sympify(lhs).free_symbols | sp.sympify(rhs).free_symbols)
    gap = f(*(env[n] for n in names))
    assert np.any(gap >= 0) if strict else np.any(gap > 0)


def test_strictness_is_not_claimed_when_only_non_strict_holds():
    # |c_t| <= |c_{t-1}| + 1 holds, but c_t = c_{t-1} + i g with c_{t-1} = m, i g -> 1 approaches equality;
    # the strict vertex test must not be fooled into a proof of |c_t| < |c_{t-1}| for no-forget LSTMs.
    c = symrnn.cell("lstm_no_forget")
    assert inequality(c, "Abs(c)", "Abs(c_prev) + 1").status == "proved"
    assert inequality(c, "Abs(c)", "Abs(c_prev)", strict=True).status == "refuted"


def test_wrong_jacobian_is_refuted():
    lstm = symrnn.cell("lstm")
    result = diagonal_jacobian(lstm, "c", "c_prev", "i")
    assert result.status == "refuted"
    assert float(result.counterexample["difference"]) > 1e-3  # central differences at 60 digits, ε = 1e-25
    assert diagonal_jacobian(symrnn.cell("lstm_no_forget"), "c", "c_prev", "i").status == "refuted"  # it is I there


def test_wrong_identity_is_refuted_with_values():
    rnn, lstm = symrnn.cell("rnn").parameter_count(), symrnn.cell("lstm").parameter_count()
    result = identity(3 * rnn, lstm)
    assert result.status == "refuted"
    ce = result.counterexample
    point = {s: ce[s.name] for s in lstm.free_symbols}
    assert 3 * rnn.xreplace(point) != lstm.xreplace(point)
    assert identity(4 * rnn, lstm).status == "proved"


def test_wrong_state_claims_are_refuted():
    gru = symrnn.cell("gru_reset_before")
    assert state_identity(gru.substitute({"z": 0}), "h", "h_prev").status == "refuted"
    assert depends_only_on(gru.substitute({"z": 0, "r": 1}), "h").status == "refuted"  # r = 1 keeps h_{t-1}
    assert independent_of(symrnn.cell("gru_reset_after"), "h", ["b_hn"], given={"r": 1}).status == "refuted"


def _bi(params_f, params_b, cell, xs):
    return np.concatenate([run(cell, params_f, xs)[0], run(cell, params_b, xs[::-1])[0][::-1]], axis=-1)


def test_bidirectional_reversal_numerically(rng):
    cell = symrnn.cell("gru_reset_after")
    pf, pb = (symrnn.numeric.init_params(cell, {"D": 3, "H": 2}, rng=rng) for _ in range(2))
    xs = rng.normal(size=(5, 2, 3))
    left = _bi(pf, pb, cell, xs[::-1])
    right = _bi(pb, pf, cell, xs)[::-1]
    assert np.allclose(left, np.concatenate([right[..., 2:], right[..., :2]], axis=-1))  # swap halves
    assert not np.allclose(left, _bi(pf, pb, cell, xs)[::-1])  # the planted claim below is really false


def test_wrong_sequence_claims_are_refuted():
    x, lstm = seq("x"), symrnn.cell("lstm")
    assert same_sequences(bi("f", "b", rev(x)), rev(bi("f", "b", x)), cell=lstm).status == "refuted"  # no swap
    assert same_sequences(bi("f", "b", rev(x)), swap(rev(bi("f", "b", x))), cell=lstm).status == "refuted"  # θ not exchanged
    assert same_sequences(bi("f", "b", rev(x)), swap(rev(bi("b", "f", x))), cell=lstm).status == "proved"


def test_refutation_without_hypothesis(monkeypatch):
    # a wheel installed without the test extras still refutes, with a seeded NumPy search
    import sys

    monkeypatch.setitem(sys.modules, "hypothesis", None)
    gru = symrnn.cell("gru_reset_before").substitute({"r": 1})
    result = equivalent(gru, symrnn.cell("rnn"), rename=RNN_NAMES)
    assert result.status == "refuted"
    left, right = _rerun_pair(gru, symrnn.cell("rnn"), result.counterexample, RNN_NAMES)
    assert not np.allclose(left, right)
    agree = equivalent(_relu_pair()[0], _relu_pair()[1], examples=7)
    assert agree.status == "checked" and agree.examples == 7


def _relu_pair():
    cells = []
    for name, act in (("abs_form", lambda a: (a + sp.Abs(a)) / 2), ("rect", symrnn.relu)):
        b = CellBuilder(name)
        D, H = b.sizes("D H")
        x, h = b.input("x", D), b.state("h", H)
        b.update("h", act(b.linear(b.param("W", H, D) @ x + b.param("U", H, H) @ h, "a")))
        cells.append(b.build())
    return cells


def test_wrong_end_of_sequence_claims_are_refuted():
    from symrnn.prove import first, last, scan, snd

    x, gru = seq("x"), symrnn.cell("gru_reset_after")
    assert same_sequences(snd(last(bi("f", "b", x))), last(scan("b", rev(x))), cell=gru).status == "refuted"
    assert same_sequences(snd(first(bi("f", "b", x))), last(scan("f", rev(x))), cell=gru).status == "refuted"
    assert same_sequences(snd(first(bi("f", "b", x))), last(scan("b", rev(x))), cell=gru).status == "proved"


def test_given_gates_decide_dependence():
    lstm = symrnn.cell("lstm")
    assert independent_of(lstm, "c", ["c_prev"], given={"f": 0}).status == "proved"
    assert independent_of(lstm, "c", ["c_prev"], given={"f": "1 - i"}).status == "refuted"  # CIFG keeps c_{t-1}
