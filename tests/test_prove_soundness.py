"""Regression tests for every soundness hole found by the review: none of these may come out proved.

Each false statement is also shown false here by plain float64 evaluation
(``symrnn.numeric.run``), so the test states a fact, not the prover's opinion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn import sigmoid, tanh
from symrnn.numeric import init_params, run
from symrnn.prove import Result, Theorem, equivalent, identity, inequality, matrix_identity
from symrnn.prove import diagonal as diagonal_fact

NEVER = ("proved", "proved_for_dims")


def _verdict(check):
    return Theorem("hole", "a false statement", check).run()


def _no_recurrence():
    b = symrnn.CellBuilder("norec")
    (H,) = b.sizes("H")
    x, h = b.input("x", H), b.state("h", H)
    b.update("h", tanh(b.param("W", H, H) @ x + b.param("U", H, H) @ x + b.param("b", H)))
    return b.build()


def _lstm(name="lstm_mine", *, cell_rule=None, output=None):
    b = symrnn.CellBuilder(name)
    D, H = b.sizes("D H")
    x, h, c = b.input("x", D), b.state("h", H), b.state("c", H)

    def gate(n, act):
        return b.let(n, act(b.param(f"W_{n}", H, D) @ x + b.param(f"U_{n}", H, H) @ h + b.param(f"b_{n}", H)))

    i, f, g, o = gate("i", sigmoid), gate("f", sigmoid), gate("g", tanh), gate("o", sigmoid)
    cn = b.update("c", cell_rule(i, f, g, h, c) if cell_rule else f * c + i * g)
    b.update("h", o * tanh(cn))
    return b.build(output=output)


def test_a_previous_state_cannot_be_renamed_on_its_own():
    v = _verdict(lambda: equivalent(symrnn.cell("rnn"), _no_recurrence(), rename={"h_prev": "x"}, sizes={"D": "H"}))
    assert v.status == "error" and "previous value of state 'h'" in v.result.message
    bad = _lstm(cell_rule=lambda i, f, g, h, c: f * h + i * g)  # c_t = f ⊙ h_{t-1} + i ⊙ g
    v = _verdict(lambda: equivalent(symrnn.cell("lstm"), bad, rename={"c_prev": "h_prev"}))
    assert v.status == "error"
    assert _verdict(lambda: equivalent(symrnn.cell("lstm"), bad)).status == "refuted"  # and without the rename: false


def test_a_parameter_cannot_be_renamed_onto_a_state():
    b = symrnn.CellBuilder("rnn_plus_h")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    b.update("h", tanh(b.param("W", H, D) @ x + b.param("U", H, H) @ h + h))
    other = b.build()
    v = _verdict(lambda: equivalent(symrnn.cell("rnn"), other, rename={"b": "h_prev"}))
    assert v.status == "error" and "parameter maps onto a parameter only" in v.result.message
    assert _verdict(lambda: equivalent(symrnn.cell("rnn"), other, rename={"b": "h"})).status == "error"


def test_the_tree_chain_theorems_inherit_the_rename_check():
    from symrnn.trees import child_sum_recursive_nn, recursive_nn
    from symrnn.trees.theorems import chain_equivalence

    for model, rename in ((recursive_nn(1), {"U_1": "U", "b": "h"}), (child_sum_recursive_nn(), {"b": "h"})):
        assert _verdict(lambda: chain_equivalence(model, symrnn.cell("rnn"), rename=rename)).status == "error"


def test_outputs_are_compared():
    reads_c = _lstm(output="c")
    v = _verdict(lambda: equivalent(reads_c, symrnn.cell("lstm")))
    assert v.status == "refuted" and v.result.counterexample["state"].startswith("output")
    # the fact, by plain evaluation: same states, different outputs
    p = init_params(reads_c, {"D": 2, "H": 3}, rng=0)
    xs = np.random.default_rng(0).normal(size=(3, 2, 2))
    assert not np.allclose(run(reads_c, p, xs)[0], run(symrnn.cell("lstm"), p, xs)[0])
    assert _verdict(lambda: equivalent(_lstm(), symrnn.cell("lstm"))).status == "proved"


def test_differences_below_float_round_off_are_found_at_60_digits():
    b = symrnn.CellBuilder("rnn_tiny")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    b.update("h", tanh(b.param("W", H, D) @ x + b.param("U", H, H) @ h + b.param("b", H)) + sp.Rational(1, 10**9) * h)
    v = _verdict(lambda: equivalent(b.build(), symrnn.cell("rnn")))
    assert v.status == "refuted" and 1e-12 < float(v.result.counterexample["difference"]) < 1e-8
    D = symrnn.sizes("D")[0]
    v = _verdict(lambda: identity((D - 1) * (D - 2) * (D - 3) * (D - 4), 0))  # zero on 1..4 only
    assert v.status == "refuted" and v.result.counterexample["D"] == 5


def test_a_float_tie_is_not_a_counterexample():
    lstm = symrnn.cell("lstm")
    v = _verdict(lambda: inequality(lstm, "i**2", 1, strict=True))  # true: σ(a)² < 1; σ(40) rounds to 1.0
    assert v.status == "checked"
    tiny = sp.Integer(1) - sp.Rational(1, 10**30)  # σ(a) < 1 − 1e−30 is false: σ(80) > 1 − 1e−34
    v = _verdict(lambda: inequality(lstm, "i", tiny, strict=True))
    assert v.status not in NEVER
    if v.status == "refuted":  # only a violation that survives 60 digits
        assert float(v.result.counterexample["difference"]) > 0


def test_different_normal_forms_are_not_refuted_without_a_counterexample():
    N = sp.Symbol("N", integer=True, positive=True)
    A, D = sp.MatrixSymbol("A", N, N), sp.MatrixSymbol("D", N, N)
    Dh = D ** sp.Rational(-1, 2)
    true = matrix_identity((Dh * A * Dh).T, Dh * A.T * Dh, facts=[diagonal_fact(D)])
    assert true.status == "proved"
    without_the_fact = matrix_identity((Dh * A * Dh).T, Dh * A.T * Dh)  # true, but the prover may not use Dᵀ = D
    assert without_the_fact.status == "checked"
    with pytest.raises(ValueError, match="counterexample"):
        Result("refuted", "normal forms differ")


def test_a_search_is_never_proved_for_dims():
    """λ_min(Â) > −0.8 is false (an edge of weight 10 gives −9/11): a search may say checked, never proved."""
    import networkx as nx

    from symrnn.graphs.normalize import gcn_adjacency
    from symrnn.graphs.search import search

    def lam(G):
        return np.linalg.eigvalsh(gcn_adjacency(G).toarray()).min()

    r = search(lambda ex, seed: lam(ex.graph) > -0.8, exact=lambda ex, seed: None if lam(ex.graph) > -0.8 else "below",
               examples=20, method="m", steps=[])
    assert r.status in ("checked", "refuted")
    G = nx.Graph()
    G.add_edge(0, 1, weight=10.0)
    assert lam(G) == pytest.approx(-9 / 11)


def test_a_user_tree_model_named_like_nothing_can_be_refuted():
    from dataclasses import replace

    from symrnn.trees import nary_tree_lstm
    from symrnn.trees.theorems import order_invariance

    mine = replace(nary_tree_lstm(2), name="my_binary_tree_lstm")
    v = _verdict(lambda: order_invariance(mine, children=(2,)))
    assert v.status == "refuted" and float(v.result.counterexample["difference"]) > 0


def test_verdicts_repeat_across_processes():
    names = ["gru_placements_agree_always_overstatement", "lstm_peephole_cell_path_overstatement",
             "cheb_first_order_is_gcn_overstatement", "bidirectional_last_output_is_final_state_overstatement",
             "polynomial_filter_is_m_hop_local", "gru_reset_before_state_bounded"]
    outs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        p = subprocess.run([sys.executable, "-m", "symrnn.cli", "prove", *names, "--json"], capture_output=True,
                           text=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        outs.append([(t["name"], t["verdict"], t["difference"], t["steps"]) for t in json.loads(p.stdout)["theorems"]])
    assert outs[0] == outs[1]


def test_prove_json_carries_the_exact_difference_and_exits_1_on_a_downgrade(tmp_path):
    p = subprocess.run([sys.executable, "-m", "symrnn.cli", "prove", "gru_reset_one_is_rnn_overstatement", "--json"],
                       capture_output=True, text=True, timeout=300)
    t = json.loads(p.stdout)["theorems"][0]
    assert p.returncode == 0 and t["verdict"] == t["expected"] == "refuted"
    assert {"verdict", "expected", "method", "seconds", "counterexample", "difference"} <= set(t)
    assert float(t["difference"]) > 0
    mine = tmp_path / "mine.py"
    mine.write_text("import symrnn\nfrom symrnn.prove import Theorem, Result\n"
                    "t = Theorem('weak', 's', lambda: Result('checked', 'numeric', examples=3))\n")
    p = subprocess.run([sys.executable, "-m", "symrnn.cli", "prove", "--from", str(mine)], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 1 and "UNEXPECTED" in p.stdout


def test_theorem_latex_is_checked_when_built_and_an_infinite_timeout_is_no_limit():
    from symrnn.errors import SpecError

    with pytest.raises(SpecError, match="latex="):
        Theorem("t", "s", lambda: Result("proved", "m"), latex=r"\input{/etc/passwd}")
    assert Theorem("t", "s", lambda: Result("proved", "m"), timeout=float("inf")).run().status == "proved"
