"""Safe code generation: injection strings never reach generated source, and text is never evaluated.

Each injection string is tried at every place a name enters a description
(cell, size, input, state, parameter, intermediate, theorem, substitution
result) and at every place the prover accepts text (rename, given, inequality
sides, identity sides, size maps).  Strings that would run code try to create
a sentinel file; the tests show the refusal is a ``symrnn`` error and that the
sentinel never appears.
"""

from __future__ import annotations

import keyword
import os

import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn import CellBuilder, sigmoid, tanh
from symrnn.errors import InvalidNameError, SpecError, SymrnnError, UnknownNameError
from symrnn.prove import Theorem, equivalent, identity, inequality, independent_of, state_identity
from symrnn.spec import Decl, Equation
from symrnn.spec.cell import Cell
from symrnn.spec.parse import parse_expr


@pytest.fixture
def sentinel(tmp_path):
    path = tmp_path / "PWNED"
    yield path
    assert not path.exists(), "an injection string was executed"


def _injections(sentinel) -> list[str]:
    s = str(sentinel)
    return [
        "x); import os #",
        f"x); open({s!r}, 'w') #",
        f"__import__('os').system('touch {s}')",
        f"open({s!r}, 'w')",
        "__class__", "__init__", "__builtins__", "_private",
        "lambda", "import", "def", "None", "True", "match", "case", "type" + "\n" + "x",
        "х",  # Cyrillic small letter ha, looks like x
        "ℎ",  # PLANCK CONSTANT: NFKC-normalises to 'h' in Python source (a silent collision)
        "ｈ",  # fullwidth h, also NFKC 'h'
        "Wᵢ",  # superscript-like letter
        "a" * 10_000,
        "", " ", "x y", "1x", "x-y", "x.y", "x\x00", "x;y", "W[0]", "x\u200b",  # zero-width space
    ]


INJECTIONS = _injections("/nonexistent/PWNED")
NON_STR = [None, 3, 1.5, b"x", ("x",), sp.Symbol("x")]


def _gru_like(names: dict) -> Cell:
    """A small gated cell; ``names`` overrides any of its names."""
    n = {"cell": "g", "D": "D", "H": "H", "x": "x", "h": "h", "W": "W", "U": "U", "b": "b", "z": "z", "c": "c"} | names
    b = CellBuilder(n["cell"])
    D, H = b.sizes(f"{n['D']} {n['H']}")
    x, h = b.input(n["x"], D), b.state(n["h"], H)
    W, U, bias = b.param(n["W"], H, D), b.param(n["U"], H, H), b.param(n["b"], H)
    z = b.let(n["z"], sigmoid(W @ x + U @ h + bias))
    c = b.let(n["c"], tanh(W @ x + bias))
    b.update(n["h"], (1 - z) * h + z * c)
    return b.build()


def test_the_template_cell_compiles_and_runs():
    kernel = symrnn.compile(_gru_like({}), D=2, H=3)
    xs = np.zeros((4, 2, 2))
    outputs, final, _ = kernel.forward(xs)
    assert np.isfinite(outputs).all()


# sizes() takes one string of blank-separated names: a size takes only the single-name strings
_ROLE_CASES = [(role, bad) for role in ["cell", "D", "x", "h", "W", "b", "z"] for bad in INJECTIONS + NON_STR
               if role != "D" or (isinstance(bad, str) and len(bad.replace(",", " ").split()) == 1)]


@pytest.mark.parametrize("role, bad", _ROLE_CASES, ids=lambda v: repr(v)[:24])
def test_injection_names_are_refused_when_the_description_is_built(role, bad, sentinel):
    with pytest.raises(SpecError) as info:
        _gru_like({role: bad})
    assert isinstance(info.value, SymrnnError)
    if isinstance(bad, str) and bad and len(bad) < 64:
        assert repr(bad)[1:-1][:10] in str(info.value) or "name" in str(info.value)


@pytest.mark.parametrize("bad", _injections("/tmp/symrnn-never-created"), ids=lambda v: repr(v)[:24])
def test_sentinel_strings_never_run_as_names(bad, sentinel):
    for i, text in enumerate(_injections(sentinel)):
        with pytest.raises(SymrnnError):
            _gru_like({"W": text})
        with pytest.raises(SymrnnError):
            Theorem(text, "statement", lambda: None)


def test_sizes_with_blanks_are_lists_of_names_each_checked():
    with pytest.raises(InvalidNameError):
        CellBuilder("c").sizes("D x);import")
    with pytest.raises(InvalidNameError):
        CellBuilder("c").sizes("   ")


@pytest.mark.parametrize("bad", INJECTIONS + NON_STR, ids=lambda v: repr(v)[:24])
def test_theorem_and_derived_cell_names_are_checked(bad):
    with pytest.raises(SpecError):
        Theorem(bad, "statement", lambda: None)
    if bad is not None:  # name=None means "derive the name"
        with pytest.raises(SpecError):
            symrnn.cell("gru_reset_after").substitute({"z": 0}, name=bad)


@pytest.mark.parametrize("bad", ["x); import os #", "__class__", "ℎ", "lambda"])
def test_a_hand_built_cell_refuses_the_name(bad):
    D, H = symrnn.sizes("D H")
    with pytest.raises(SpecError):
        Cell(name="c", sizes=(D, H), inputs=(Decl(bad, (D,)),), states=(Decl("h", (H,)),), params=(),
             equations=(Equation("h", symrnn.Vec("h", H), H),))


def test_an_undeclared_vector_with_an_injection_name_never_reaches_a_cell():
    b = CellBuilder("c")
    (H,) = b.sizes("H")
    h = b.state("h", H)
    rogue = symrnn.Vec("x); import os #", H)
    with pytest.raises(SpecError):
        b.update("h", tanh(h + rogue))
        b.build()


def test_shapes_given_as_text_are_refused_not_evaluated(sentinel):
    b = CellBuilder("c")
    for bad in ("H", f"__import__('os').system('touch {sentinel}')"):
        with pytest.raises(SpecError, match="text is never evaluated"):
            b.input("x", bad)
    D, H = symrnn.sizes("D H")
    with pytest.raises(SpecError):
        Cell(name="c", sizes=(D, H), inputs=(Decl("x", (f"open({str(sentinel)!r}, 'w')",)),),
             states=(Decl("h", (H,)),), params=(), equations=(Equation("h", symrnn.Vec("h", H), H),))


def test_generated_kernel_source_names_only_declared_identifiers():
    cell = _gru_like({"W": "W_evil", "z": "gate"})
    kernel = symrnn.compile(cell, D=2, H=2)
    assert "import" not in kernel.source.replace("import numpy", "").replace("from ", "")
    for name in ("W_evil", "gate"):
        assert name in kernel.source
    for bad in INJECTIONS:
        if bad.strip() and not bad.isidentifier():
            assert bad not in kernel.source


# ----------------------------------------------------------------- prover text
GRU_B, GRU_A, RNN = (symrnn.cell("gru_reset_before"), symrnn.cell("gru_reset_after"), symrnn.cell("rnn"))


def _text_attacks(sentinel) -> list[str]:
    s = str(sentinel)
    return [
        f"__import__('os').system('touch {s}')",
        f"open({s!r}, 'w')",
        f"b_in + (lambda: open({s!r}, 'w'))()",
        "b_in.__class__.__mro__",
        "b_in[0]",
        "Symbol('b_in')",
        "x); import os #",
        "b_in if 1 else b_hn",
        "'b_in'",
        "b_in < b_hn",
        "9" * 2000,
        "(" * 500 + "b_in" + ")" * 500,
        "b_in ** b_hn",
        "b_in / 0",
        "",
    ]


@pytest.mark.parametrize("k", range(15))
def test_prover_text_is_parsed_safely(k, sentinel):
    text = _text_attacks(sentinel)[k]
    with pytest.raises(SpecError):
        equivalent(GRU_B.substitute({"r": 1}), GRU_A.substitute({"r": 1}), rename={"b_n": text})
    with pytest.raises(SymrnnError):
        inequality(GRU_A, text, 1)
    with pytest.raises(SymrnnError):
        inequality(GRU_A, "Abs(h)", text)
    with pytest.raises(SymrnnError):
        independent_of(GRU_A, "h", ["U_n"], given={"r": text})
    with pytest.raises(SymrnnError):
        state_identity(GRU_A.substitute({"z": 1}), "h", text)
    with pytest.raises(SymrnnError):
        identity(text, "1")


def test_prover_text_in_the_grammar_still_works():
    assert equivalent(GRU_B, GRU_A, rename={"b_n": "b_in + b_hn"}).status == "refuted"
    assert equivalent(GRU_B.substitute({"r": 1}), GRU_A.substitute({"r": 1}), rename={"b_n": "b_in + b_hn"}).status == "proved"
    assert inequality(GRU_A, "Abs(h)", "1", strict=True, assume={"h_prev": (-1, 1)}).status == "proved"
    assert identity("2*H + 1", "1 + H*2").status == "proved"
    assert parse_expr("sigmoid(a) * tanh(b) - relu(c) + exp(d) ** 2 - 1.5") == (
        sigmoid(sp.Symbol("a")) * sp.tanh(sp.Symbol("b")) - symrnn.relu(sp.Symbol("c")) + sp.exp(2 * sp.Symbol("d")) - 1.5)


def test_prover_text_names_are_checked_against_the_cell():
    with pytest.raises(UnknownNameError, match="h_prev"):
        inequality(GRU_A, "Abs(os)", 1)


def test_size_maps_are_text_in_the_grammar_only(sentinel):
    with pytest.raises(SpecError):
        equivalent(RNN, RNN, sizes={"H": f"__import__('os').system('touch {sentinel}')"})


def test_no_path_that_reads_text_uses_eval_exec_or_sympify():
    """The audit as a test: ``eval``/``exec``/string ``sympify`` appear only where reviewed."""
    root = os.path.dirname(symrnn.__file__)
    allowed = {
        os.path.join("codegen", "kernel.py"): "exec of source generated from validated names",
        os.path.join("codegen", "layer_kernel.py"): "exec of a graph layer's source generated from validated names",
        os.path.join("trees", "stage.py"): "eval of the printer's own output over validated names",
        os.path.join("pytorch", "function.py"): "exec of the kernels' generated source (validated names) on torch",
        os.path.join("codegen", "fast", "bind.py"): "exec of the compiled path's wrappers, generated from the Plan "
                                                    "(validated names); the kernels themselves are imported from "
                                                    "the cache file written from the same generator",
    }
    found = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), root)
            src = open(os.path.join(dirpath, f), encoding="utf-8").read()
            for needle in ("eval(compile", "exec(", "parse_expr(", "sympify(str(", "literal_eval"):
                if needle in src and rel not in allowed and not (needle == "parse_expr(" and rel.startswith("spec") or
                                                                 needle == "parse_expr(" and rel.startswith("prove")):
                    found.append((rel, needle))
    assert not found, found


def test_keywords_and_soft_keywords_are_all_refused():
    for word in keyword.kwlist + keyword.softkwlist:
        with pytest.raises(InvalidNameError):
            symrnn.spec.symbols.check_name(word, "parameter")
