"""Invalid descriptions and names: each raises the right symrnn error, naming the item."""

from __future__ import annotations

import pytest
import sympy as sp

import symrnn
from symrnn import Cell, CellBuilder, Decl, Equation, Vec
from symrnn.errors import (CyclicDefinitionError, InvalidNameError, ShapeError, SpecError, UndeclaredError,
                           UnknownNameError)

D, H = symrnn.sizes("D H")


def low_level(equations, *, states=(Decl("h", (H,)),), params=(Decl("W", (H, D)), Decl("b", (H,))), **kw):
    return Cell("bad", (D, H), (Decl("x", (D,)),), states, params, tuple(equations), **kw)


def W():
    return sp.MatrixSymbol("W", H, D)


def builder_rnn(**names):
    b = CellBuilder(names.get("cell", "ok"))
    D_, H_ = b.sizes("D H")
    x = b.input(names.get("x", "x"), D_)
    h = b.state("h", H_)
    Wm = b.param(names.get("W", "W"), H_, D_)
    b.update("h", symrnn.tanh(Wm @ x + h))
    return b.build()


CASES = [
    ("cell name with a space", lambda: builder_rnn(cell="my cell"), InvalidNameError, "'my cell'"),
    ("keyword as parameter name", lambda: builder_rnn(W="lambda"), InvalidNameError, "keyword"),
    ("dunder name", lambda: builder_rnn(x="__class__"), InvalidNameError, "underscore"),
    ("injection string", lambda: builder_rnn(W="x); import os #"), InvalidNameError, "identifier"),
    ("look-alike Unicode", lambda: builder_rnn(x="\u0445"), InvalidNameError, "ASCII"),
    ("very long name", lambda: builder_rnn(W="w" * 200), InvalidNameError, "longer than 64"),
    ("undeclared vector in a pointwise stage",
     lambda: low_level([Equation("h", sp.tanh(Vec("q", H)), H)]), UndeclaredError, "'q'"),
    ("undeclared matrix in a linear stage",
     lambda: low_level([Equation("a", sp.MatrixSymbol("V", H, D) @ sp.MatrixSymbol("x", D, 1), H),
                        Equation("h", sp.tanh(Vec("a", H)), H)]), UndeclaredError, "'V'"),
    ("matrix times a vector of the wrong size",
     lambda: CellBuilder("s").param("U", H, D) @ Vec("h", H), ShapeError, "'h'"),
    ("per-unit product of vectors of different sizes",
     lambda: low_level([Equation("h", Vec("x", D) * Vec("h_prev", H), H)]), ShapeError, "'x'"),
    ("a linear stage whose rows do not match its target",
     lambda: low_level([Equation("a", sp.MatrixSymbol("x", D, 1), H), Equation("h", Vec("a", H), H)]),
     ShapeError, "affine map"),
    ("cyclic definition",
     lambda: low_level([Equation("a", sp.tanh(Vec("e", H)), H), Equation("e", sp.tanh(Vec("a", H)), H),
                        Equation("h", Vec("a", H), H)]), CyclicDefinitionError, "a -> e -> a"),
    ("state without an update", lambda: low_level([Equation("a", Vec("h_prev", H), H)]), SpecError, "no update"),
    ("two equations for one target",
     lambda: low_level([Equation("h", Vec("h_prev", H), H), Equation("h", Vec("b", H), H)]), SpecError, "two equations"),
    ("name declared twice",
     lambda: low_level([Equation("h", Vec("h_prev", H), H)], params=(Decl("W", (H, D)), Decl("W", (H,)))),
     SpecError, "declared twice"),
    ("size that is not a positive integer symbol",
     lambda: Cell("bad", (sp.Symbol("n"),), (), (Decl("h", (H,)),), (), ()), SpecError, "positive integer"),
    ("output that is not a state",
     lambda: low_level([Equation("h", Vec("h_prev", H), H)], output="x"), UnknownNameError, "output 'x'"),
    ("matrix parameter used per unit",
     lambda: low_level([Equation("h", Vec("W", H) * Vec("h_prev", H), H)]), ShapeError, "'W'"),
    ("an equation given as text", lambda: CellBuilder("t").let("a", "__import__('os')"), SpecError, "string"),
    ("a size given as text", lambda: CellBuilder("t").input("x", "D"), SpecError, "string"),
    ("unknown catalogue name", lambda: symrnn.cell("lstm_peepholes"), UnknownNameError, "lstm_peephole"),
    ("unknown variant option", lambda: symrnn.cells.lstm("tf_contrib"), SpecError, "variant"),
]


@pytest.mark.parametrize("build, error, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_description_raises(build, error, fragment):
    with pytest.raises(error) as info:
        build()
    assert fragment in str(info.value)
    assert isinstance(info.value, symrnn.SymrnnError)
