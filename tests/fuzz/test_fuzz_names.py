"""Fuzz: user names against the generated code's names, and SymPy specials in ``substitute``.

Two categories (issue 15):

* **names** — random renamings of a GRU-like and an LSTM-like user cell, names
  drawn from a suspicious pool (the issue's names, every generated identifier
  without its underscore, builtins, prefix + slot combinations, and invalid
  names).  A renaming is refused with a ``SymrnnError`` (invalid or doubly used
  names) or the cell computes what its benign twin computes, forward and
  backward, to 1e-12; any other difference is a *silent difference*;
* **specials** — ``substitute`` with nan, oo, zoo, I, 10**400, Float("1e400"),
  floats of every kind, complex numbers and expressions mixing them with the
  cell's units.  Refused with a ``SymrnnError``, or no special reaches the cell
  and its kernel agrees with the reference loop.
"""

from __future__ import annotations

import builtins
import functools
import keyword

import numpy as np
import sympy as sp
from hypothesis import given, strategies as st

import symrnn
from name_twins import POOL, SIZES, SLOTS, build, compare
from symrnn.codegen.naming import TAGS
from symrnn.numeric import init_params, run

from .conftest import SILENT, TALLY, call, fuzz

TOL = 1e-12
INVALID = ("_x", "__init__", "_X_x", "_np", "lambda", "None", "match", "ℎ", "x-y", "", "a" * 70, "1x")

_slot_names = sorted({s for kind in SLOTS.values() for s in kind} | {"x0", "out", "h_prev", "t"})
suspicious_names = st.one_of(
    st.sampled_from(POOL),
    st.builds("{}_{}".format, st.sampled_from(sorted(TAGS) + ["c0", "c1", "a"]), st.sampled_from(_slot_names)),
    st.sampled_from(sorted(n for n in dir(builtins) if n.isidentifier() and not n.startswith("_")
                           and not keyword.iskeyword(n))),
)
"""Valid but suspicious names: the pool, tag + slot combinations (``g_h``, ``d_out``), builtins."""


@st.composite
def renamings(draw, kind: str):
    """``{slot: name}`` for a random set of the slots of twin cell ``kind``; one name in eight is invalid."""
    slots = draw(st.lists(st.sampled_from(list(SLOTS[kind])), min_size=1, max_size=len(SLOTS[kind]), unique=True))
    names = draw(st.lists(suspicious_names, min_size=len(slots), max_size=len(slots), unique=True))
    if draw(st.sampled_from([False] * 7 + [True])):
        names[draw(st.integers(0, len(names) - 1))] = draw(st.sampled_from(INVALID))
    return dict(zip(slots, names))


@fuzz(1.0)
@given(kind=st.sampled_from(["gru", "lstm"]), data=st.data(), seed=st.integers(0, 2**16))
def test_names_in_every_role_against_the_benign_twin(kind, data, seed):
    TALLY["cases"] += 1
    names = data.draw(renamings(kind))
    if call(build, kind, names) is None:  # an invalid or doubly used name: refused while building
        assert set(names.values()) & set(INVALID) or _collides(kind, names), f"valid renaming {names} refused"
        return
    diff = call(compare, kind, names, seed=seed)
    assert diff is not None, f"renaming {names} built but did not compile or run"
    if diff > TOL:
        SILENT.append(f"{kind} renamed {names}: forward/backward differ from the twin by {diff:.3g}")
    assert diff <= TOL, names


def _collides(kind, names) -> bool:
    """Whether the renamed cell would use one name twice (counting sizes, a_* stages and *_prev)."""
    new = [names.get(s, s) for s in SLOTS[kind]]
    states = [names.get(s, s) for s, role in SLOTS[kind].items() if role == "state"]
    lets = [names.get(s, s) for s, role in SLOTS[kind].items() if role == "intermediate"]
    derived = [s + "_prev" for s in states] + [f"a_{t}" for t in lets] + ["a1"]
    everything = new + derived
    return len(set(everything)) < len(everything)


# ----------------------------------------------------------------- specials
SPECIALS = (sp.nan, sp.oo, -sp.oo, sp.zoo, sp.I, 2 * sp.I, sp.Integer(10) ** 400, sp.Float("1e400"),
            sp.exp(1000), sp.Rational(1, 10**400), sp.Float("1e-400"), sp.pi / 4, sp.E / 3, sp.sqrt(2) / 2,
            sp.S.Half, sp.S.Zero, sp.S.One, -sp.S.One, sp.Float("1e300"), sp.tanh(1), sp.log(2))
FUZZ_CELLS = ("gru_reset_before", "gru_reset_after", "lstm", "lstm_peephole", "rnn")


@functools.lru_cache(maxsize=None)
def _cell(name):
    return symrnn.cell(name)


@st.composite
def special_values(draw, cell):
    """A SymPy special, a Python number of any kind, or an expression mixing them with the cell's units."""
    units = [cell.unit(n) for n, (_, d) in sorted(cell.declared.items()) if not d.is_matrix]
    leaf = st.one_of(st.sampled_from(SPECIALS), st.sampled_from(units),
                     st.floats(allow_nan=True, allow_infinity=True, width=64), st.integers(-10**500, 10**500),
                     st.complex_numbers(max_magnitude=10), st.sampled_from([sp.Symbol("q"), sp.Symbol("H")]))
    a = draw(leaf)
    op = draw(st.sampled_from(["leaf", "+", "*", "1-", "/"]))
    if op == "leaf":
        return a
    b = draw(st.sampled_from(units + list(SPECIALS)))
    a = sp.sympify(a) if not isinstance(a, complex) else sp.Float(a.real) + sp.I * sp.Float(a.imag)
    return {"+": a + b, "*": a * b, "1-": 1 - a, "/": b / a if a != 0 else b}[op]


_BAD = (sp.nan, sp.oo, -sp.oo, sp.zoo, sp.I)


@fuzz(1.0)
@given(name=st.sampled_from(FUZZ_CELLS), data=st.data(), seed=st.integers(0, 2**16))
def test_specials_in_substitute(name, data, seed):
    TALLY["cases"] += 1
    cell = _cell(name)
    vectors = sorted(n for n, (role, d) in cell.declared.items() if role != "state" and not d.is_matrix)
    any_name = data.draw(st.sampled_from([False] * 3 + [True]))  # mostly a gate, a bias, an input
    key = data.draw(st.sampled_from(sorted(cell.declared) if any_name else vectors))
    value = data.draw(special_values(cell))
    sub = call(cell.substitute, {key: value})
    if sub is None:
        return
    for eq in sub.equations:  # accepted: no special reached the description
        assert not eq.expr.has(*_BAD), (key, value, eq.target, eq.expr)
    numbers = [a for eq in sub.equations if not eq.is_linear for a in eq.expr.atoms(sp.Number)]
    if any(abs(float(a)) > 10 for a in numbers):
        return  # a finite but huge constant: the cell is valid, running it would overflow honestly
    sizes = {s.name: 2 for s in sub.sizes}
    kernel = call(symrnn.compile, sub, **sizes)
    if kernel is None:
        return
    rng = np.random.default_rng(seed)
    kernel.params = {k: v for k, v in init_params(sub, sizes, rng=rng).items()}
    xs = {d: rng.standard_normal((3, 2, kernel.plan.n[d])) for d in kernel.input_names}
    init = {s: rng.uniform(-1, 1, (2, kernel.plan.n[s])) for s in kernel.state_names}
    out = call(kernel.forward, xs, init)
    ref = call(run, sub, kernel.params, xs, init)
    assert out is not None and ref is not None, f"{name}.substitute({{{key!r}: {value}}}) compiled but did not run"
    assert np.isfinite(out[0]).all()
    diff = float(np.abs(out[0] - ref[0]).max())
    if diff > 1e-10:
        SILENT.append(f"{name}.substitute({{{key!r}: {value}}}): kernel and reference loop differ by {diff:.3g}")
    assert diff <= 1e-10
