"""Issue 18, item 4: one registry for every model (cells, tree models, graph layers, graph-recurrent cells)."""

from __future__ import annotations

import sys
import types

import pytest

import symrnn
from symrnn import registry, trees
from symrnn.errors import SpecError, UnknownNameError

ISSUE_18 = ("gcn", "cheb", "spectral", "gat", "gae", "vgae", "gconv_gru", "gconv_lstm", "dcrnn", "recursive_nn",
            "child_sum_tree_lstm", "nary_tree_lstm")


def test_every_issue_18_name_and_every_cell_is_registered():
    names = registry.names()
    assert set(ISSUE_18) <= set(names)
    assert set(symrnn.cells.names()) <= set(names)
    assert len(names) == len(set(names)), "a name registered under two kinds"


def test_kinds_come_from_the_catalogue_that_holds_the_model():
    expect = {"lstm": "cell", "stacked": "cell", "child_sum_tree_lstm": "tree", "nary_tree_lstm": "tree",
              "gcn": "graph", "sage": "graph", "gconv_gru": "graph_recurrent", "dcrnn": "graph_recurrent"}
    assert {n: registry.kind_of(n) for n in expect} == expect
    for kind in registry.KINDS:
        assert all(registry.entry(n).kind == kind for n in registry.names(kind))


def test_entries_carry_family_paper_summary_and_options():
    for e in registry.entries():
        assert e.paper and e.summary and e.family, e
        assert e.to_dict()["name"] == e.name
    assert registry.entry("rnn").options == {"activation": "tanh"}
    assert registry.entry("lstm_peephole").options == {"variant": "peephole"}
    assert registry.entry("nary_tree_lstm").options == {"arity": 2}
    assert registry.entry("cheb").options["K"] == 3
    assert registry.entry("gcn").paper.startswith("Kipf & Welling 2017")
    assert registry.entry("child_sum_tree_lstm").family == "tree_lstm"


def test_models_are_the_catalogue_factories_with_the_options():
    assert registry.model("rnn", activation="relu") == symrnn.cells.rnn("relu")
    assert registry.model("lstm", variant="peephole") == symrnn.cell("lstm_peephole")
    assert registry.model("nary_tree_lstm", arity=3) == trees.nary_tree_lstm(3)
    assert registry.model("cheb", K=2).parameter_count() == symrnn.graphs.layers.cheb(2).parameter_count()
    assert registry.model("gcn") is registry.model("gcn")  # built once


def test_the_old_lookups_are_this_registry_restricted_to_their_kind():
    assert symrnn.cell("gru_reset_after") is registry.model("gru_reset_after")
    assert trees.model("child_sum_tree_lstm") is registry.model("child_sum_tree_lstm")
    assert trees.names() == list(registry.names("tree"))
    with pytest.raises(UnknownNameError, match="unknown cell 'gcn'; known cells: rnn, lstm"):
        symrnn.cell("gcn")  # a graph layer is not a cell of symrnn.cell
    with pytest.raises(UnknownNameError, match="unknown tree model 'lstm'; known models: child_sum"):
        trees.model("lstm")


def test_unknown_names_list_the_known_ones_by_kind():
    with pytest.raises(UnknownNameError) as info:
        registry.model("gru")
    text = str(info.value)
    assert text.startswith("unknown cell 'gru'")
    for label, name in (("cells", "gru_reset_before"), ("tree models", "nary_tree_lstm"), ("graph layers", "gcn")):
        assert f"{label}: " in text and name in text


def test_bad_options_name_the_valid_ones():
    with pytest.raises(SpecError, match=r"rnn: unknown option 'act'; valid options: activation$"):
        registry.model("rnn", act="relu")
    with pytest.raises(SpecError, match=r"child_sum_tree_lstm: unknown option 'arity'; it takes no options"):
        registry.model("child_sum_tree_lstm", arity=2)
    with pytest.raises(SpecError, match=r"activation must be one of \['relu', 'tanh'\], got 'sigmoid'"):
        registry.model("recursive_nn", activation="sigmoid")
    with pytest.raises(SpecError, match="hashable"):
        registry.model("stacked", layers=[{"not": "hashable"}])


def test_a_graph_module_that_is_absent_or_incomplete_is_tolerated(monkeypatch):
    fake = types.ModuleType("symrnn_fake_recurrent")
    fake.__all__ = ["later", "REFERENCE"]  # 'later' is listed before it is written
    fake.REFERENCE = "a constant, not a factory"
    monkeypatch.setitem(sys.modules, "symrnn_fake_recurrent", fake)
    monkeypatch.setitem(registry.GRAPH_MODULES, "graph_recurrent", ("symrnn_fake_recurrent",))
    registry._graph_factories.cache_clear()
    try:
        assert registry.names("graph_recurrent") == ()
        assert registry.model("gcn").name == "gcn"

        def later(K: int = 2):
            return symrnn.graphs.layers.cheb(K)

        later.__module__ = "symrnn_fake_recurrent"
        fake.later = later
        registry._graph_factories.cache_clear()
        assert registry.names("graph_recurrent") == ("later",)
        assert registry.model("later", K=4).name == "cheb4"
        monkeypatch.setitem(registry.GRAPH_MODULES, "graph_recurrent", ("symrnn.graphs.not_written_yet",))
        registry._graph_factories.cache_clear()
        assert registry.names("graph_recurrent") == ()
    finally:
        registry._graph_factories.cache_clear()
        registry.clear_cache()


def test_a_user_cell_cannot_take_a_name_of_another_kind():
    b = symrnn.CellBuilder("gcn")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    b.update("h", symrnn.tanh(b.param("W", H, D) @ x))
    with pytest.raises(SpecError, match="'gcn' names one of the graph layers"):
        symrnn.cells.register(b.build())
    assert registry.kind_of("gcn") == "graph"


def test_a_registered_cell_joins_and_leaves_the_registry():
    b = symrnn.CellBuilder("leaky_test", reference="Jaeger et al. 2007")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    b.update("h", h / 2 + symrnn.tanh(b.param("W", H, D) @ x) / 2)
    symrnn.cells.register(b.build())
    try:
        assert registry.entry("leaky_test").paper == "Jaeger et al. 2007"
        assert "leaky_test" in registry.names("cell")
    finally:
        symrnn.cells.unregister("leaky_test")
    with pytest.raises(UnknownNameError):
        registry.entry("leaky_test")
