"""Attack a theorem with false variants of its claims: the prover must prove none of them.

A theorem's check calls public provers (:func:`~symrnn.prove.equivalent`,
:func:`~symrnn.prove.inequality`, :func:`~symrnn.prove.matrix_identity` …);
:func:`claims_of` records those calls (:func:`symrnn.prove.context.recording`),
and :func:`mutants` derives false variants of each by mutation operators
applied to its arguments:

================== ==========================================================
operator           what changes
================== ==========================================================
``sign``           one term of a linear stage (or of a matrix sum) is negated
``drop``           one term of a linear stage (or of a matrix sum) is removed
``activation``     a pointwise function is replaced (tanh ↔ σ, ReLU → tanh)
``constant``       a number in a pointwise stage (or a substituted value) moves
``swap_gates``     two gates trade places inside one pointwise stage
``swap_params``    two parameters of one shape trade places in one stage
``output``         the cell's output is another state
``leak``           a previous state is added into a stage of its size
``rename``         two targets of a rename of the same role and shape swap
``bound``          a bound is tightened, or an assumed range widened
``off_by_one``     a size ``n`` becomes ``n + 1``; a polynomial order moves
``rhs``            the claimed value (identity, Jacobian diagonal) is changed
``sequence``       a sequence operator is swapped (fst ↔ snd, first ↔ last …)
``transpose``      a factor of a matrix product is transposed
``order``          two factors of a matrix product trade places
``readout``        a mean or sum over all nodes, spread back, joins a node stage
``direction``      an aggregation over in-edges reads the out-edges instead
``hop``            an aggregation is applied twice (two hops in one round)
================== ==========================================================

Not every mutant is false (negating a term that a substitution made zero
changes nothing); the caller decides falsity independently (the test suite
does so numerically) and asserts that no false mutant is ``proved``.

Examples
--------
>>> import symrnn
>>> from symrnn.prove import Theorem, equivalent
>>> t = Theorem("t", "LSTM f = 1 is no-forget", lambda: equivalent(symrnn.cell("lstm").substitute({"f": 1}),
...                                                          symrnn.cell("lstm_no_forget")))
>>> ms = [m for call in claims_of(t) for m in mutants(call)]
>>> len(ms) >= 5, sorted({m.operator for m in ms})[:3]
(True, ['activation', 'drop', 'leak'])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Iterator

import sympy as sp
from sympy.matrices.expressions import MatrixSymbol

from ..spec.cell import PREV, Cell, Equation
from ..spec.linear import LinearTerm, linear_terms, rebuild_linear
from ..spec.parse import as_expr
from ..spec.symbols import Vec, relu, sigmoid
from ..spec.operators import Apply
from .context import Call, recording, seeded

__all__ = ["Mutant", "claims_of", "mutants", "cell_mutants"]


@dataclass(frozen=True)
class Mutant:
    """A false variant (presumably) of a recorded claim."""

    operator: str
    description: str
    call: Call

    def run(self):
        """The prover's verdict on the mutant (a :class:`~symrnn.prove.Result`)."""
        return self.call.run()


def claims_of(theorem) -> list[Call]:
    """The public prover calls a theorem's check makes (run once, seeded as the theorem is)."""
    with recording() as calls, seeded(theorem.name):
        theorem.check()
    return list(calls)


# ----------------------------------------------------------------------------- cells
def _rebuild(cell: Cell, equations, output=None, suffix="mutant") -> Cell:
    return Cell(f"{cell.name}_{suffix}", cell.sizes, cell.inputs, cell.states, cell.params, tuple(equations),
                output=output or cell.output, family=cell.family, reference=cell.reference, summary=cell.summary,
                graph=cell.graph)


def _linear(cell: Cell, eq: Equation, terms) -> Equation:
    mats = {}
    for t in terms:
        mats[t.vector] = cell.matrix(t.vector)
        if t.matrix:
            mats[t.matrix] = cell.matrix(t.matrix)
    return Equation(eq.target, rebuild_linear(terms, mats, eq.size), eq.size, eq.anonymous, eq.latex)


_OTHER = {sp.tanh: sigmoid, sigmoid: sp.tanh, relu: sp.tanh, sp.exp: sp.tanh}


def cell_mutants(cell: Cell) -> Iterator[tuple[str, str, Cell]]:
    """``(operator, description, mutated cell)`` for every applicable cell operator."""
    eqs = list(cell.equations)
    for k, eq in enumerate(eqs):
        if eq.is_linear:
            terms = list(linear_terms(eq.expr))
            for j, t in enumerate(terms):
                flipped = terms[:j] + [LinearTerm(-t.coeff, t.matrix, t.vector)] + terms[j + 1:]
                yield "sign", f"{eq.target}: term {j} negated", _try(cell, eqs, k, lambda: _linear(cell, eq, flipped))
                if len(terms) > 1:
                    rest = terms[:j] + terms[j + 1:]
                    yield "drop", f"{eq.target}: term {j} dropped", _try(cell, eqs, k, lambda: _linear(cell, eq, rest))
            mats = [t.matrix for t in terms if t.matrix]
            for a, b in itertools.combinations(sorted(set(mats)), 2):
                if cell.declared[a][1].shape == cell.declared[b][1].shape:
                    swapped = [LinearTerm(t.coeff, {a: b, b: a}.get(t.matrix, t.matrix), t.vector) for t in terms]
                    yield "swap_params", f"{eq.target}: {a} ↔ {b}", _try(cell, eqs, k, lambda: _linear(cell, eq, swapped))
        else:
            for f in sorted(eq.expr.atoms(sp.Function), key=sp.default_sort_key):
                if type(f) in _OTHER:
                    new = eq.expr.xreplace({f: _OTHER[type(f)](*f.args)})
                    yield "activation", f"{eq.target}: {type(f).__name__} → {_OTHER[type(f)].__name__}", \
                        _try(cell, eqs, k, lambda: replace(eq, expr=new))
            for c in sorted({n for n in eq.expr.atoms(sp.Number) if n not in (-1,)}, key=float):
                new = eq.expr.xreplace({c: c + sp.Rational(1, 2)})
                if new != eq.expr:
                    yield "constant", f"{eq.target}: {c} → {c + sp.Rational(1, 2)}", _try(cell, eqs, k, lambda: replace(eq, expr=new))
            gates = sorted((s for s in eq.expr.free_symbols if cell.role(s.name) == "intermediate"), key=lambda s: s.name)
            for a, b in itertools.combinations(gates, 2):
                if a.size == b.size:
                    new = eq.expr.xreplace({a: b, b: a})
                    if new != eq.expr:
                        yield "swap_gates", f"{eq.target}: {a} ↔ {b}", _try(cell, eqs, k, lambda: replace(eq, expr=new))
    for k, eq in enumerate(eqs):  # a previous state leaks into a stage of its size
        for d in cell.states:
            if sp.simplify(sp.sympify(d.size) - sp.sympify(eq.size)) != 0:
                continue
            prev = d.name + PREV
            if eq.is_linear:
                terms = list(linear_terms(eq.expr)) + [LinearTerm(sp.S.One, None, prev)]
                yield "leak", f"{eq.target}: + {prev}", _try(cell, eqs, k, lambda: _linear(cell, eq, terms))
            elif eq.target in cell.state_names:
                new = eq.expr + Vec(prev, d.size) / 2
                yield "leak", f"{eq.target}: + {prev}/2", _try(cell, eqs, k, lambda: replace(eq, expr=new))
    for s in cell.state_names:
        if s != cell.output:
            yield "output", f"output {cell.output} → {s}", _rebuild(cell, eqs, output=s)


def _try(cell, eqs, k, make):
    try:
        return _rebuild(cell, eqs[:k] + [make()] + eqs[k + 1:])
    except Exception:  # an invalid mutant (a shape that no longer fits) is no mutant
        return None


def _cells_in(call: Call):
    """Positions (index or keyword) of the Cell arguments of a call."""
    from .normal_form import as_cell

    out = []
    for i, a in enumerate(call.args):
        try:
            as_cell(a)
            out.append(i)
        except Exception:
            pass
    if "cell" in call.kwargs:
        out.append("cell")
    return out


def _with(call: Call, where, value) -> Call:
    if isinstance(where, int):
        args = list(call.args)
        args[where] = value
        return replace(call, args=tuple(args))
    kwargs = dict(call.kwargs)
    kwargs[where] = value
    return replace(call, kwargs=kwargs)


def _arg(call: Call, index: int, name: str):
    return call.args[index] if len(call.args) > index else call.kwargs.get(name)


def _set(call: Call, index: int, name: str, value) -> Call:
    return _with(call, index if len(call.args) > index else name, value)


# ----------------------------------------------------------------------------- per prover
def mutants(call: Call) -> Iterator[Mutant]:
    """False variants (presumably) of one recorded prover call."""
    from .normal_form import as_cell

    if call.prover not in ("matrix_identity", "identity", "same_sequences", "exhaustive", "permutation_equivariant",
                           "message_passing"):
        for where in _cells_in(call):
            cell = as_cell(call.args[where] if isinstance(where, int) else call.kwargs[where])
            for op, text, mutated in cell_mutants(cell):
                if mutated is not None:
                    yield Mutant(op, f"{cell.name}: {text}", _with(call, where, mutated))
    yield from _SPECIFIC.get(call.prover, lambda c: iter(()))(call)


def _rename_mutants(call):
    rename = dict(call.kwargs.get("rename") or {})
    a = call.args[0] if call.args else call.kwargs["a"]
    from .normal_form import as_cell

    a = as_cell(a)
    keys = [k for k, v in rename.items() if isinstance(v, str)]
    for x, y in itertools.combinations(keys, 2):
        if a.declared[x][1].shape == a.declared[y][1].shape and a.role(x) == a.role(y):
            new = dict(rename)
            new[x], new[y] = rename[y], rename[x]
            yield Mutant("rename", f"rename {x} ↦ {rename[y]}, {y} ↦ {rename[x]}", replace(call, kwargs={**call.kwargs, "rename": new}))


def _scaled(e, text):
    e = as_expr(e, argument="claim")
    out = [("rhs", f"{text} × 2", 2 * e), ("rhs", f"{text} + 1/2", e + sp.Rational(1, 2)), ("rhs", f"{text} → 0", sp.S.Zero)]
    if e != 0:
        out.append(("rhs", f"{text} → −({e})", -e))
    if not e.is_number:
        out.append(("rhs", f"{text} → ({e})²", e ** 2))
    return [o for o in out if o[2] != e]


def _state_identity_mutants(call):
    rhs = _arg(call, 2, "rhs")
    for op, text, new in _scaled(rhs, f"rhs {rhs}"):
        yield Mutant(op, text, _set(call, 2, "rhs", str(new)))


def _diagonal_mutants(call):
    diag = _arg(call, 3, "diag")
    for op, text, new in _scaled(diag, f"diag {diag}"):
        yield Mutant(op, text, _set(call, 3, "diag", str(new)))


def _independent_mutants(call):
    from .normal_form import as_cell

    cell = as_cell(call.args[0])
    target = _arg(call, 1, "target")
    names = _arg(call, 2, "names")
    names = [names] if isinstance(names, str) else list(names)
    given = call.kwargs.get("given") or {}
    for n, (role, d) in sorted(cell.declared.items()):
        if role in ("input", "param", "previous") and n not in names:
            yield Mutant("rhs", f"{target} also claimed independent of {n}", _set(call, 2, "names", names + [n]))
    for k, v in given.items():
        for delta in (sp.Rational(1, 2), -sp.Rational(1, 2)):
            moved = as_expr(v, argument=f"given[{k!r}]") + delta
            yield Mutant("constant", f"given {k} = {v} → {moved}", replace(call, kwargs={**call.kwargs, "given": {**given, k: moved}}))


def _depends_mutants(call):
    roles = tuple(_arg(call, 2, "roles") or ("input", "param"))
    for narrower in [tuple(r for r in roles if r != drop) for drop in roles] + [()]:
        yield Mutant("rhs", f"roles {roles} → {narrower}", _set(call, 2, "roles", narrower))


def _inequality_mutants(call):
    rhs = as_expr(_arg(call, 2, "rhs"), argument="rhs")
    yield Mutant("bound", f"bound {rhs} → {rhs} − 1/4", _set(call, 2, "rhs", str(rhs - sp.Rational(1, 4))))
    yield Mutant("bound", f"bound {rhs} → {rhs}/2", _set(call, 2, "rhs", str(rhs / 2)))
    yield Mutant("bound", f"bound {rhs} → 9/10 ({rhs})", _set(call, 2, "rhs", str(rhs * sp.Rational(9, 10))))
    yield Mutant("bound", f"bound {rhs} → {rhs} − 1/100", _set(call, 2, "rhs", str(rhs - sp.Rational(1, 100))))
    assume = call.kwargs.get("assume") or {}
    for k, (lo, hi) in assume.items():
        wide = {**assume, k: (2 * lo - 1, 2 * hi + 1)}
        yield Mutant("bound", f"assumed range of {k} widened to {wide[k]}", replace(call, kwargs={**call.kwargs, "assume": wide}))


def _identity_mutants(call):
    lhs, rhs = as_expr(_arg(call, 0, "lhs"), argument="lhs"), as_expr(_arg(call, 1, "rhs"), argument="rhs")
    yield Mutant("rhs", "rhs + 1", _set(call, 1, "rhs", rhs + 1))
    yield Mutant("rhs", "rhs × 2", _set(call, 1, "rhs", 2 * rhs))
    syms = sorted(rhs.free_symbols, key=lambda s: s.name)
    for s in syms:
        yield Mutant("off_by_one", f"rhs with {s} → {s} + 1", _set(call, 1, "rhs", rhs.xreplace({s: s + 1})))
        hidden = sp.Mul(*[(s - k) for k in range(1, 5)])
        yield Mutant("off_by_one", f"lhs + ({s}−1)({s}−2)({s}−3)({s}−4): zero on 1..4", _set(call, 0, "lhs", lhs + hidden))
    if not syms and rhs.is_number:
        yield Mutant("constant", "rhs + 1/1000", _set(call, 1, "rhs", rhs + sp.Rational(1, 1000)))


def _sequence_mutants(call):
    from . import sequences as q

    swaps = {"fst": "snd", "snd": "fst", "first": "last", "last": "first"}

    def variants(t):
        if t.op in swaps:
            yield "sequence", f"{t.op} → {swaps[t.op]}", q.Seq(swaps[t.op], t.args)
        if t.op == "rev":
            yield "sequence", "rev dropped", t.args[0]
        if t.op == "bi":
            f, b, s = t.args
            yield "sequence", f"bi({f}, {b}) → bi({b}, {f})", q.Seq("bi", (b, f, s))
        if t.op == "scan":
            yield "sequence", f"scan({t.args[0]}, s) → scan({t.args[0]}, rev(s))", q.Seq("scan", (t.args[0], q.rev(t.args[1])))
        if t.op == "var":
            yield "sequence", f"{t} → rev({t})", q.rev(t)
        for k, a in enumerate(t.args):
            if isinstance(a, q.Seq):
                for op, text, new in variants(a):
                    yield op, text, q.Seq(t.op, t.args[:k] + (new,) + t.args[k + 1:])

    for i, side in ((1, "rhs"), (0, "lhs")):
        for op, text, new in variants(_arg(call, i, side)):
            yield Mutant(op, f"{side}: {text}", _set(call, i, side, new))


def _matrix_mutants(call):
    for i, side in ((1, "rhs"), (0, "lhs")):
        yield from _matrix_side(call, i, side)


def _matrix_side(call, i, side):
    rhs = sp.sympify(_arg(call, i, side))
    put = lambda value: _set(call, i, side, value)  # noqa: E731
    terms = list(rhs.args) if isinstance(rhs, sp.MatAdd) else [rhs]
    for j, t in enumerate(terms):
        rest = terms[:j] + [-t] + terms[j + 1:]
        yield Mutant("sign", f"{side}: term {j} negated", put(sp.MatAdd(*rest)))
        if len(terms) > 1:
            yield Mutant("drop", f"{side}: term {j} dropped", put(sp.MatAdd(*(terms[:j] + terms[j + 1:]))))
    yield Mutant("constant", f"{side} × 2", put(2 * rhs))
    if not isinstance(rhs, sp.ZeroMatrix):
        yield Mutant("constant", f"{side} → 0", put(sp.ZeroMatrix(*rhs.shape)))
    if rhs.shape[0] == rhs.shape[1]:
        yield Mutant("drop", f"{side} + I (a spurious term)", put(rhs + sp.Identity(rhs.shape[0])))
    for M in sorted(rhs.atoms(MatrixSymbol), key=lambda m: m.name):
        if M.shape[0] == M.shape[1]:
            yield Mutant("transpose", f"{side}: {M} → {M}ᵀ", put(rhs.xreplace({M: M.T})))
        if M.shape == rhs.shape:
            yield Mutant("drop", f"{side} + {M} (a spurious term)", put(rhs + M))
    for mm in rhs.atoms(sp.MatMul):
        where = [k for k, a in enumerate(mm.args) if getattr(a, "is_Matrix", False)]
        for ia, ib in zip(where, where[1:]):
            a, b = mm.args[ia], mm.args[ib]
            if a.shape == b.shape and a.shape[0] == a.shape[1] and a != b:
                args = list(mm.args)
                args[ia], args[ib] = b, a
                yield Mutant("order", f"{side}: {a}·{b} → {b}·{a}", put(rhs.xreplace({mm: sp.MatMul(*args)})))


_REVERSED = {"scatter_dst": "scatter_src", "mean_in": "mean_in_T", "sum_in": "sum_in_T", "adjacency": "adjacency_T",
             "walk_in": "walk_out"}


def _message_passing_mutants(call):
    """A round fewer; a readout over all nodes added; an aggregation over out-edges; an aggregation applied twice."""
    from .normal_form import as_cell

    cell, rounds = as_cell(call.args[0]), call.kwargs.get("rounds", 1)
    put = lambda c: _with(call, 0, c)  # noqa: E731
    if rounds >= 1:
        yield Mutant("off_by_one", f"rounds {rounds} → {rounds - 1}", replace(call, kwargs={**call.kwargs, "rounds": rounds - 1}))
    eqs = list(cell.equations)
    for k, eq in enumerate(eqs):
        if not eq.is_linear or cell.space(eq.target) != "node":
            continue
        terms = list(linear_terms(eq.expr))
        for j, t in enumerate(terms):
            if t.matrix is None and cell.role(t.vector) == "param":
                continue
            mats = {n: cell.matrix(n) for u in terms for n in (u.vector, u.matrix) if n}
            if cell.space(t.vector) == "node":
                for readout in ("mean_nodes", "sum_nodes"):
                    extra = MatrixSymbol(f"{readout}_{t.vector}", cell.declared[t.vector][1].size, 1)
                    new = terms + [LinearTerm(t.coeff, t.matrix, extra.name, "spread_nodes")]
                    yield Mutant("readout", f"{eq.target}: + {readout} of {t.vector} spread to every node", _try_put(
                        put, cell, eqs[:k] + [Equation(extra.name, Apply(readout, mats[t.vector]), extra.shape[0]),
                                              _terms_equation(eq, new, {**mats, extra.name: extra})] + eqs[k + 1:]))
            if t.operator in _REVERSED:
                new = terms[:j] + [replace(t, operator=_REVERSED[t.operator])] + terms[j + 1:]
                yield Mutant("direction", f"{eq.target}: {t.operator} → {_REVERSED[t.operator]}",
                             _try_put(put, cell, eqs[:k] + [_terms_equation(eq, new, mats)] + eqs[k + 1:]))
            if t.operator is not None and t.operator in _REVERSED and t.operator != "scatter_dst":
                once = MatrixSymbol(f"{t.operator}_{t.vector}", cell.declared[t.vector][1].size, 1)
                new = terms[:j] + [replace(t, vector=once.name)] + terms[j + 1:]
                yield Mutant("hop", f"{eq.target}: {t.operator} applied twice", _try_put(
                    put, cell, eqs[:k] + [Equation(once.name, Apply(t.operator, mats[t.vector]), once.shape[0]),
                                          _terms_equation(eq, new, {**mats, once.name: once})] + eqs[k + 1:]))


def _terms_equation(eq, terms, mats):
    return Equation(eq.target, rebuild_linear(terms, mats, eq.size), eq.size, eq.anonymous, eq.latex)


def _try_put(put, cell, equations):
    try:
        return put(_rebuild(cell, equations))
    except Exception:  # an invalid mutant is no mutant: its call fails and the harness sets it aside
        return put(cell)


def _equivariance_mutants(call):
    yield Mutant("rhs", "invariant instead of equivariant", replace(call, kwargs={**call.kwargs, "invariant": True}))


_SPECIFIC = {"permutation_equivariant": _equivariance_mutants, "message_passing": _message_passing_mutants,
             "equivalent": _rename_mutants, "state_identity": _state_identity_mutants,
             "diagonal_jacobian": _diagonal_mutants, "independent_of": _independent_mutants,
             "depends_only_on": _depends_mutants,
             "inequality": _inequality_mutants, "identity": _identity_mutants,
             "same_sequences": _sequence_mutants, "matrix_identity": _matrix_mutants}
