"""User names never reach the generated kernel code's own identifiers (issue 15, defect 1).

The oracle is the benign twin: the same cell under plain names, on the same
numbers (:mod:`name_twins`).  Forward (outputs, final states) and backward
(every parameter, input and initial-state gradient), with and without lengths,
must agree to 1e-12 in float64 whatever the names are.  Before the fix an
intermediate named ``out`` or an input named ``d_out`` changed ``grads["W"]``
silently, and inputs named ``np``, ``range``, ``t``, … raised inside the kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from name_twins import (ISSUE_INPUTS, ISSUE_SIZES, POOL, ROLES, SLOTS, build, compare, compile_cell, first_slot,
                        rotation)
from symrnn import CellBuilder, tanh
from symrnn.spec.compose import bidirectional, stacked
from symrnn.codegen import KEYWORDS, kernel as kernel_module
from symrnn.codegen.naming import foreign_identifiers
from symrnn.errors import CompileError, InputError, InvalidNameError

TOL = 1e-12
ISSUE_CASES = ([("intermediate", "out"), ("input", "d_out")] + [("input", n) for n in ISSUE_INPUTS]
               + [("size", n) for n in ISSUE_SIZES])


# ----------------------------------------------------------- the regression table
@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("role, name", ISSUE_CASES, ids=[f"{r}={n}" for r, n in ISSUE_CASES])
def test_issue_names_compute_what_the_benign_twin_computes(kind, role, name):
    assert compare(kind, {first_slot(kind, role): name}) <= TOL


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["out", "d_out", "np", "range", "t", "grads", "dtype", "params"])
def test_the_worst_names_in_every_role(kind, role, name):
    assert compare(kind, {first_slot(kind, role): name}) <= TOL


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("shift", range(len(POOL)))
def test_every_suspicious_name_in_every_slot(kind, shift):
    """Over all shifts every pool name takes every slot (input, state, parameter, let, linear, size) once."""
    names = rotation(kind, shift)
    assert compare(kind, names) <= TOL, names


def test_the_tables_cover_every_role():
    for kind in ("gru", "lstm"):
        assert set(SLOTS[kind].values()) == set(ROLES)
        for slot in SLOTS[kind]:  # every slot really is a name of the twin
            assert slot in build(kind).declared or slot in {s.name for s in build(kind).sizes}


def test_renamed_twins_really_use_the_names():
    names = {"x": "np", "h": "range", "W_z": "d_out", "z": "out", "an": "grads", "H": "dtype"}
    kernel = compile_cell(build("gru", names), {"D": 2, "dtype": 2})
    assert set(kernel.params) >= {"d_out"} and kernel.input_names == ("np",) and kernel.state_names == ("range",)
    assert kernel.cell.output == "range" and "out" in kernel.cell.declared and "grads" in kernel.cell.declared


# ---------------------------------------------------------- networks and catalogue
@pytest.mark.parametrize("wrap", ["bidirectional", "stacked"])
def test_networks_of_renamed_cells_match_their_twins(wrap, rng):
    names = {"x": "d_out", "z": "out", "W_n": "np", "rh": "range"}

    def net(cell):
        desc = bidirectional(cell) if wrap == "bidirectional" else stacked(cell, cell)
        sizes = {"D": 2, "H": 3} if wrap == "bidirectional" else {"D": 2, "H1": 3, "H2": 2}
        return symrnn.compile(desc, **sizes)

    plain, renamed = net(build("gru")), net(build("gru", names))
    assert len(plain.params) == len(renamed.params)
    params = {k: rng.uniform(-0.8, 0.8, v.shape) for k, v in plain.params.items()}
    plain.params = params
    renamed.params = {_rename(k, names): v for k, v in params.items()}
    x = rng.standard_normal((3, 2, 2))
    (o1, f1, t1), (o2, f2, t2) = plain.forward(x, lengths=np.array([3, 2])), renamed.forward(x, lengths=np.array([3, 2]))
    d = rng.standard_normal(o1.shape)
    g1, g2 = plain.backward(t1, d), renamed.backward(t2, d)
    np.testing.assert_allclose(o2, o1, rtol=0, atol=TOL)
    assert {_rename(k, names) for k in g1} == set(g2)
    for k, v in g1.items():
        np.testing.assert_allclose(g2[_rename(k, names)], v, rtol=0, atol=TOL, err_msg=k)
    for k, v in f1.items():
        np.testing.assert_allclose(f2[_rename(k, names)], v, rtol=0, atol=TOL, err_msg=k)


def _rename(key, names):
    """A network name (``fw_W_n``, ``l2_W_n``, ``x``) under the slot renaming ``names``."""
    for prefix in ("fw_", "bw_", "l1_", "l2_", ""):
        if key.startswith(prefix) and key[len(prefix):] in names:
            return prefix + names[key[len(prefix):]]
    return key


@pytest.mark.parametrize("name", symrnn.cells.names())
def test_catalogue_kernels_use_only_reserved_identifiers(name):
    desc = symrnn.cell(name)
    cells = [desc] if isinstance(desc, symrnn.Cell) else list(getattr(desc, "layers", ())) or [desc.forward, desc.backward]
    for cell in cells:
        sizes = {s.name: 2 for s in cell.sizes}
        source = symrnn.compile(cell, **sizes).source
        assert foreign_identifiers(source) == set()
        user = set(cell.declared) | set(sizes)
        assert not user & _identifiers(source)


def _identifiers(source):
    import ast

    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


def test_a_generator_leaking_a_user_name_is_refused(monkeypatch):
    real = kernel_module.forward_source
    monkeypatch.setattr(kernel_module, "forward_source", lambda plan: real(plan).replace("_X_x = ", "x = _X_x = "))
    with pytest.raises(CompileError, match=r"identifiers \['x'\] outside"):
        symrnn.compile(symrnn.cell("rnn"), D=2, H=2)


# ----------------------------------------------------- user names: no underscore
@pytest.mark.parametrize("role", ["input", "state", "param", "let", "linear", "size", "cell"])
@pytest.mark.parametrize("name", ["_x", "_", "__x", "_X_x", "_np"])
def test_names_with_a_leading_underscore_are_refused(role, name):
    b = CellBuilder("c")
    D, H = b.sizes("D H")
    W = b.param("W", H, D)
    x = b.input("x", D)
    with pytest.raises(InvalidNameError, match="underscore|keyword"):
        {"input": lambda: b.input(name, D), "state": lambda: b.state(name, H), "param": lambda: b.param(name, H),
         "let": lambda: b.let(name, tanh(W @ x)), "linear": lambda: b.linear(W @ x, name),
         "size": lambda: b.sizes(name), "cell": lambda: CellBuilder(name)}[role]()


# ------------------------------------------------------------ compile() keywords
def _wide(size_name):
    b = CellBuilder("wide")
    S, H = b.sizes(f"{size_name} H")
    x, h = b.input("x", S), b.state("h", H)
    b.update("h", tanh(b.param("W", H, S) @ x + b.param("U", H, H) @ h))
    return b.build()


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_a_size_named_like_a_keyword_is_given_in_sizes(keyword, rng):
    kernel = symrnn.compile(_wide(keyword), sizes={keyword: 3}, H=2)
    plain = symrnn.compile(_wide("D"), D=3, H=2)
    kernel.params = plain.params
    x = rng.standard_normal((2, 3, 3))
    (o1, _, t1), (o2, _, t2) = plain.forward(x), kernel.forward(x)
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_array_equal(plain.backward(t1, o1)["W"], kernel.backward(t2, o2)["W"])


@pytest.mark.parametrize("keyword", KEYWORDS)
def test_a_size_named_like_a_keyword_outside_sizes_is_an_input_error(keyword):
    with pytest.raises(InputError, match=rf"size '{keyword}' of 'wide' has the name of a compile\(\) keyword; "
                                         rf"give it as sizes=\{{'{keyword}': \.\.\.\}}"):
        symrnn.compile(_wide(keyword), **{keyword: 3}, H=2)
    with pytest.raises(InputError, match=f"'{keyword}'"):
        symrnn.compile(_wide(keyword), H=2)


def test_description_is_positional_so_a_size_may_be_called_that():
    assert symrnn.compile(_wide("description"), description=3, H=2).params["W"].shape == (2, 3)


def test_sizes_given_twice_or_not_as_a_mapping_are_input_errors():
    with pytest.raises(InputError, match=r"sizes \['D'\] are given twice"):
        symrnn.compile(_wide("D"), sizes={"D": 3}, D=3, H=2)
    with pytest.raises(InputError, match="sizes must be a mapping"):
        symrnn.compile(_wide("D"), sizes=[("D", 3)], H=2)
    assert symrnn.compile(_wide("D"), sizes={"D": 3, "H": 2}).params["U"].shape == (2, 2)
