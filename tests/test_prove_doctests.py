"""The examples in the docstrings of the proof engine and the strategies run (CI runs tests/ only)."""

from __future__ import annotations

import doctest
import importlib
import warnings

import pytest

MODULES = [
    "symrnn.prove.verdict", "symrnn.prove.theorem", "symrnn.prove.normal_form", "symrnn.prove.equivalence",
    "symrnn.prove.claims", "symrnn.prove.bounds", "symrnn.prove.sequences", "symrnn.prove.runner",
    "symrnn.prove.report", "symrnn.prove.numeric", "symrnn.prove", "symrnn.testing._strategies",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hypothesis' note on .example() in docs
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0
