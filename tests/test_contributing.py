"""CONTRIBUTING.md's recipes run as written: the graph layer is the shipped one, the theorem is proved,
and a cell family is one module (the catalogue is the union of the family modules' ENTRIES)."""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

import symrnn
from symrnn import cells
from symrnn.graphs import layers

TEXT = (pathlib.Path(__file__).resolve().parents[1] / "CONTRIBUTING.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


def _run(marker: str) -> dict:
    (block,) = [b for b in BLOCKS if marker in b]
    scope: dict = {}
    exec(compile(block, "CONTRIBUTING.md", "exec"), scope)  # noqa: S102 - our own document
    return scope


def test_the_graph_layer_recipe_builds_the_shipped_sage():
    sage = _run("def sage(")["sage"]
    for root in (True, False):
        ours, shipped = sage(root_weight=root), layers.sage(root_weight=root)
        assert [(e.target, e.expr) for e in ours.equations] == [(e.target, e.expr) for e in shipped.equations]
        assert ours.parameter_count() == shipped.parameter_count()


def test_the_theorem_recipe_is_proved_and_its_false_variant_is_not():
    theorem = _run("Theorem(")["my_claim"]
    assert theorem.run().status == "proved"
    from symrnn.prove import equivalent

    wrong = equivalent(symrnn.cell("gru_reset_before").substitute({"z": 0, "r": 1}), symrnn.cell("rnn", activation="relu"),
                       rename={"W_n": "W", "U_n": "U", "b_n": "b"})
    assert wrong.status == "refuted"


def test_the_catalogue_is_the_family_modules_entries():
    rnn, lstm, gru = (importlib.import_module(f"symrnn.cells.{m}") for m in ("rnn", "lstm", "gru"))
    union = {**rnn.ENTRIES, **lstm.ENTRIES, **gru.ENTRIES}
    assert {n: e for n, e in cells.CATALOGUE.items() if n in union} == union
    assert set(cells.CATALOGUE) - set(union) == {"stacked", "bidirectional"}


def test_a_name_defined_by_two_families_is_refused(monkeypatch):
    gru = importlib.import_module("symrnn.cells.gru")
    monkeypatch.setattr(gru, "ENTRIES", {**gru.ENTRIES, "rnn": gru.ENTRIES["gru_reset_before"]})
    with pytest.raises(ImportError, match="'rnn' is defined by two family modules"):
        cells._families()
