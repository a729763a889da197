"""Claims about whole sequences, proved by rewriting over sequence operators.

Terms are built from a sequence variable and four operators, for sequences
of any length T:

* ``rev(s)`` — time reversal; ``pair(a, b)`` — the per-step concatenation
  [a_t ; b_t]; ``swap(p)`` — exchange the two halves of a pair;
* ``scan(θ, s)`` — run the cell with parameters θ over s from t = 1 to T;
* ``bi(θf, θb, s)`` — the bidirectional layer (Schuster & Paliwal 1997);
* ``first(s)``, ``last(s)`` — the step t = 1 or t = T (PyTorch's
  ``output[0]``, ``output[-1]``); ``fst(p)``, ``snd(p)`` — the halves of a pair.

Rewrite rules, each a lemma valid for every T:

====================================  ===========================================
``bi(θf, θb, s) → pair(scan(θf, s), rev(scan(θb, rev(s))))``  definition
``rev(rev(s)) → s``                    reversal is an involution
``rev(pair(a, b)) → pair(rev(a), rev(b))``  reversal acts on each half
``swap(pair(a, b)) → pair(b, a)``      definition of swap
``last(rev(s)) → first(s)``            and ``first(rev(s)) → last(s)``
``last(pair(a, b)) → pair(last(a), last(b))``  steps act on each half (same for first)
``fst(pair(a, b)) → a``                and ``snd(pair(a, b)) → b``
====================================  ===========================================

Both sides are rewritten to normal form (the system terminates: every rule
shrinks the term or pushes ``rev`` inward); syntactically equal normal
forms prove the claim for every T and every cell (cross-examined by
evaluating both sides at two sizes).  Otherwise both sides are evaluated
with :func:`symrnn.numeric.run` to find a counterexample, re-checked at 60
digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..numeric import run
from ..numeric.params import param_shapes, vector_sizes
from . import exact
from .context import claim, cross_examining
from .context import rng as seeded_rng
from .normal_form import as_cell
from .numeric import CANDIDATE, _text, draw_values
from .verdict import Result, inconsistent

__all__ = ["Seq", "seq", "rev", "pair", "swap", "scan", "bi", "first", "last", "fst", "snd", "same_sequences"]


@dataclass(frozen=True)
class Seq:
    """A sequence term (see the module docstring)."""

    op: str
    args: tuple

    def __str__(self):
        if self.op == "var":
            return self.args[0]
        return f"{self.op}(" + ", ".join(str(a) for a in self.args) + ")"


def seq(name: str = "x") -> Seq:
    """A sequence variable."""
    return Seq("var", (name,))


def _seq(s, what):
    if not isinstance(s, Seq):
        raise SpecError(f"{what}: expected a sequence term, got {s!r}")
    return s


def rev(s: Seq) -> Seq:
    """Time reversal."""
    return Seq("rev", (_seq(s, "rev"),))


def pair(a: Seq, b: Seq) -> Seq:
    """Per-step concatenation [a_t ; b_t]."""
    return Seq("pair", (_seq(a, "pair"), _seq(b, "pair")))


def swap(p: Seq) -> Seq:
    """Exchange the halves of a pair."""
    return Seq("swap", (_seq(p, "swap"),))


def scan(theta: str, s: Seq) -> Seq:
    """Run the cell with parameter set ``theta`` over ``s``."""
    return Seq("scan", (str(theta), _seq(s, "scan")))


def bi(theta_f: str, theta_b: str, s: Seq) -> Seq:
    """Bidirectional layer with forward parameters ``theta_f`` and backward ``theta_b``."""
    return Seq("bi", (str(theta_f), str(theta_b), _seq(s, "bi")))


def first(s: Seq) -> Seq:
    """The first step (t = 1) of a sequence."""
    return Seq("first", (_seq(s, "first"),))


def last(s: Seq) -> Seq:
    """The last step (t = T) of a sequence; a scan's last step is its final state."""
    return Seq("last", (_seq(s, "last"),))


def fst(p: Seq) -> Seq:
    """The first half of a pair (the forward direction of a bidirectional output)."""
    return Seq("fst", (_seq(p, "fst"),))


def snd(p: Seq) -> Seq:
    """The second half of a pair (the backward direction)."""
    return Seq("snd", (_seq(p, "snd"),))


_ENDS = {"first": ("last", first, "first(rev(s)) = last(s)"), "last": ("first", last, "last(rev(s)) = first(s)")}


def _rewrite_once(t: Seq):
    """One rewrite at the outermost applicable position; ``(term, rule)`` or ``(t, None)``."""
    if t.op == "bi":
        f, b, s = t.args
        return pair(scan(f, s), rev(scan(b, rev(s)))), "definition of bi"
    if t.op == "rev" and t.args[0].op == "rev":
        return t.args[0].args[0], "rev(rev(s)) = s"
    if t.op == "rev" and t.args[0].op == "pair":
        a, b = t.args[0].args
        return pair(rev(a), rev(b)), "rev(pair(a, b)) = pair(rev a, rev b)"
    if t.op == "swap" and t.args[0].op == "pair":
        a, b = t.args[0].args
        return pair(b, a), "swap(pair(a, b)) = pair(b, a)"
    if t.op in _ENDS and t.args[0].op == "rev":
        other, _, rule = _ENDS[t.op]
        return _ENDS[other][1](t.args[0].args[0]), rule
    if t.op in _ENDS and t.args[0].op == "pair":
        make = _ENDS[t.op][1]
        a, b = t.args[0].args
        return pair(make(a), make(b)), f"{t.op}(pair(a, b)) = pair({t.op}(a), {t.op}(b))"
    if t.op in ("fst", "snd") and t.args[0].op == "pair":
        return t.args[0].args[0 if t.op == "fst" else 1], f"{t.op}(pair(a, b)) = {'a' if t.op == 'fst' else 'b'}"
    for k, arg in enumerate(t.args):
        if isinstance(arg, Seq):
            new, rule = _rewrite_once(arg)
            if rule:
                return Seq(t.op, t.args[:k] + (new,) + t.args[k + 1:]), rule
    return t, None


def normalize(t: Seq, steps: list, side: str, limit: int = 200) -> Seq:
    for _ in range(limit):
        new, rule = _rewrite_once(t)
        if rule is None:
            return t
        steps.append(f"  {side}: {rule}  ⟶  {new}")
        t = new
    raise SpecError(f"rewriting {side} did not terminate in {limit} steps")


def _outputs(cell, params, xs, precise: bool):
    """The output sequence (T, B, n) of one scan, in float64 or at 60 digits."""
    if not precise:
        return run(cell, params, xs)[0]
    return np.stack([step_values[cell.output] for step_values in exact.run_mp(cell, params, {cell.inputs[0].name: xs})])


def _evaluate(t: Seq, cell, params, xs, precise: bool = False):
    ev = lambda u: _evaluate(u, cell, params, xs, precise)  # noqa: E731
    if t.op == "var":
        return xs[t.args[0]]
    if t.op == "rev":
        v = ev(t.args[0])
        return tuple(p[::-1] for p in v) if isinstance(v, tuple) else v[::-1]
    if t.op == "pair":
        return tuple(ev(a) for a in t.args)
    if t.op == "swap":
        a, b = ev(t.args[0])
        return (b, a)
    if t.op in ("first", "last"):
        v = ev(t.args[0])
        k = 0 if t.op == "first" else -1
        return tuple(p[k] for p in v) if isinstance(v, tuple) else v[k]
    if t.op in ("fst", "snd"):
        return ev(t.args[0])[0 if t.op == "fst" else 1]
    if t.op == "scan":
        return _outputs(cell, params[t.args[0]], ev(t.args[1]), precise)
    if t.op == "bi":
        f, b, s = t.args
        v = ev(s)
        return (_outputs(cell, params[f], v, precise), _outputs(cell, params[b], v[::-1], precise)[::-1])
    raise SpecError(f"unknown sequence operator {t.op!r}")


def _flat(v):
    return np.concatenate([_flat(p) for p in v], axis=-1) if isinstance(v, tuple) else v


def _labels(t: Seq, out: set, xs: set):
    if t.op == "var":
        xs.add(t.args[0])
    for a in t.args:
        if isinstance(a, Seq):
            _labels(a, out, xs)
        elif t.op in ("scan", "bi"):
            out.add(a)


@claim("same_sequences")
def same_sequences(lhs: Seq, rhs: Seq, *, cell, examples: int = 10) -> Result:
    """Prove ``lhs = rhs`` for every sequence length by rewriting (see module docstring).

    ``cell`` is the cell that ``scan`` runs (it only matters for the numeric
    counterexample search when the rewriting does not close).

    Examples
    --------
    >>> import symrnn
    >>> x = seq("x")
    >>> same_sequences(bi("f", "b", rev(x)), swap(rev(bi("b", "f", x))), cell=symrnn.cell("rnn")).status
    'proved'
    >>> same_sequences(bi("f", "b", rev(x)), rev(bi("f", "b", x)), cell=symrnn.cell("rnn")).status
    'refuted'
    """
    cell = as_cell(cell)
    if len(cell.inputs) != 1:
        raise SpecError(f"same_sequences: cell {cell.name!r} must have exactly one input")
    steps = [f"Claim: {lhs} = {rhs} for every sequence length T."]
    nl, nr = normalize(_seq(lhs, "lhs"), steps, "lhs"), normalize(_seq(rhs, "rhs"), steps, "rhs")
    steps.append(f"Normal forms: lhs = {nl}; rhs = {nr}")
    labels, names = set(), set()
    _labels(lhs, labels, names)
    _labels(rhs, labels, names)
    if nl == nr:
        steps.append("The normal forms coincide; every rule is an identity of sequences valid for every T, so the claim holds for every T.")
        with cross_examining():
            found, line = _compare(lhs, rhs, cell, labels, names, sizes=(2, 5), purpose="cross")
        if found is not None:
            return inconsistent(steps, found)
        return Result("proved", "rewriting over sequence operators", steps, cross_examination=line)
    steps.append("The normal forms differ; evaluate both sides with the reference evaluator.")
    found, _ = _compare(lhs, rhs, cell, labels, names, sizes=(1, 2, 3), count=examples, purpose="search")
    if found is not None:
        steps.append(f"At T = {found['T']}, sizes {found['sizes']}: the two sides differ by {found['difference']} "
                     f"(re-checked at {exact.DIGITS} digits).")
        return Result("refuted", "rewriting, then numeric counterexample", steps, counterexample=found)
    steps.append(f"No difference in {examples} numeric examples: checked, not proved.")
    return Result("checked", "rewriting (inconclusive), then numeric search", steps, examples=examples)


def _compare(lhs, rhs, cell, labels, names, *, sizes, count: int = 2, purpose: str, T: int = 3):
    """Evaluate both sides on seeded draws; ``(difference dict or None, summary)``."""
    rng = seeded_rng("same_sequences", purpose, str(lhs), str(rhs))
    tried = 0
    for size in sizes:
        for _ in range(count if purpose == "cross" else max(1, count // len(sizes))):
            tried += 1
            sz = {s.name: size for s in cell.sizes}
            params = {k: {p: draw_values(rng, shape, 1.5) for p, shape in param_shapes(cell, sz).items()}
                      for k in sorted(labels)}
            n = vector_sizes(cell, sz)[cell.inputs[0].name]
            xs = {k: draw_values(rng, (T, 1, n)) for k in sorted(names)}
            left, right = _flat(_evaluate(lhs, cell, params, xs)), _flat(_evaluate(rhs, cell, params, xs))
            if left.shape == right.shape and np.allclose(left, right, rtol=CANDIDATE, atol=CANDIDATE):
                continue
            left, right = (_flat(_evaluate(side, cell, params, xs, precise=True)) for side in (lhs, rhs))
            absolute, relative = exact.max_difference(left, right)
            if relative > exact.TIE:
                return {"T": T, "sizes": sz, "inputs": xs, "params": params, "lhs": exact.as_float(left),
                        "rhs": exact.as_float(right), "difference": _text(absolute)}, ""
    return None, (f"cross-examined with the reference evaluator (symrnn.numeric.run): both sides agree on {tried} "
                  f"random cases at sizes {' and '.join(map(str, sizes))}, T = {T}")
