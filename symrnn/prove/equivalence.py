"""Equivalence of two step functions, proved per unit for every size.

Method (see :mod:`symrnn.prove.normal_form`): rename ``a`` into ``b``'s
vocabulary, check that declarations correspond with equal shapes, write
every state's new value, and the output, as a per-unit normal form, and
simplify the differences.  Zero for every state and for the output proves
the step functions equal for every size; the lemma :data:`INDUCTION` then
gives equal outputs for every sequence length.  Before ``proved`` is
returned, the claim is cross-examined with the plain reference evaluator
(:func:`~symrnn.prove.numeric.cross_examine_pair`, no shared code with the
normal forms); a disagreement makes the verdict ``error``.  When the normal
forms differ, a numeric search looks for a counterexample, re-checked at 60
digits.
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp

from ..errors import ShapeError, SpecError, UnknownNameError
from ..spec.parse import as_expr, parse_expr
from .normal_form import AtomTable, NormalForm, as_cell, is_zero
from .context import claim, cross_examining
from .exact import DIGITS
from .numeric import PRECISE_DRAWS, PairDraw, cross_examine_pair, search_pair
from .verdict import Result, inconsistent

__all__ = ["equivalent", "INDUCTION", "check_correspondence"]

INDUCTION = (
    "Lemma (induction over time): if two cells have equal step functions "
    "(s_t = F(s_{t-1}, x_t) = G(s_{t-1}, x_t) for every s_{t-1}, x_t) and start from the same s_0, "
    "then s_t, and every output read from it, agree for every t and every sequence length T "
    "(base t = 0: same s_0; step: equal arguments into equal functions)."
)


def _size_map(a, b, sizes: Mapping | None) -> dict:
    out = {}
    b_sizes = {s.name for s in b.sizes}
    for k, v in dict(sizes or {}).items():
        k = getattr(k, "name", k)
        if k not in {s.name for s in a.sizes}:
            raise UnknownNameError(f"sizes: {k!r} is not a size of {a.name!r}; its sizes are {sorted(s.name for s in a.sizes)}")
        e = as_expr(v, argument=f"sizes[{k!r}]")
        extra = {s.name for s in e.free_symbols} - b_sizes
        if extra:
            raise UnknownNameError(f"sizes: {k}={v} uses {sorted(extra)}, not sizes of {b.name!r} ({sorted(b_sizes)})")
        out[k] = str(v)
    return out


def _shape(shape, size_map):
    repl = {}
    for d in shape:
        for s in as_expr(d, argument="shape").free_symbols:
            repl[s] = sp.Symbol(size_map.get(s.name, s.name))
    return tuple(parse_expr(str(as_expr(d, argument="shape").xreplace(repl)), argument="shape") for d in shape)


_ROLE_WORD = {"input": "an input", "state": "a state", "param": "a parameter", "previous": "a previous state",
              "intermediate": "an intermediate"}


def check_correspondence(nf: NormalForm, b, size_map: dict) -> list[str]:
    """Check that ``rename`` is a bijection between declarations of the same role and shape.

    Inputs map to inputs and states to states, one to one (a state's previous
    value follows it); a matrix parameter maps to a matrix parameter of ``b``
    of the same shape, a vector parameter to one vector parameter of ``b`` or
    a sum ``k1 p1 + k2 p2 + …`` of them; a parameter never maps onto an input
    or a state.  No name of ``b`` may serve two names of ``a`` (that would tie
    parameters of ``a`` together and prove only a special case).  Names kept
    unrenamed must also have the same role on both sides.  Raises
    :class:`ShapeError`, :class:`SpecError` or :class:`UnknownNameError`.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.prove.normal_form import NormalForm
    >>> nf = NormalForm(symrnn.cell("gru_reset_before").substitute({"z": 0, "r": 1}), {"W_n": "W", "U_n": "U", "b_n": "b"})
    >>> check_correspondence(nf, symrnn.cell("rnn"), {})
    ['W_n ↦ W', 'U_n ↦ U', 'b_n ↦ b']
    >>> nf = NormalForm(symrnn.cell("rnn"), {"b": "h"})
    >>> check_correspondence(nf, symrnn.cell("rnn"), {})
    Traceback (most recent call last):
    ...
    symrnn.errors.SpecError: rename: parameter 'b' of 'rnn' is mapped to 'h', which is a state of 'rnn'; a parameter maps onto a parameter only
    """
    a = nf.cell
    for what, decls, b_names in (("inputs", a.inputs, [d.name for d in b.inputs]),
                                 ("states", a.states, [d.name for d in b.states])):
        mapped = sorted(nf.name(d.name) for d in decls)
        if mapped != sorted(b_names):
            raise SpecError(f"{a.name!r} and {b.name!r} have different {what}: {mapped} (after renaming) vs {sorted(b_names)}")
    lines, owner = [], {}
    for role, decls in (("input", a.inputs), ("state", a.states), ("param", a.params)):
        for d in decls:
            target = nf.rename.get(d.name, d.name)
            want = _shape(d.shape, size_map)
            names = [target] if isinstance(target, str) else sorted(s.name for s in target.free_symbols)
            for n in names:
                if n not in b.declared or b.declared[n][0] in ("intermediate",):
                    if target == d.name and role == "param":
                        continue  # a parameter only `a` has: it must not matter, the normal form decides
                    raise UnknownNameError(f"{d.name!r} of {a.name!r} is mapped to {n!r}, which {b.name!r} does not declare")
                b_role, b_decl = b.declared[n]
                if b_role != role:
                    raise SpecError(f"rename: {role if role != 'param' else 'parameter'} {d.name!r} of {a.name!r} is mapped "
                                    f"to {n!r}, which is {_ROLE_WORD[b_role]} of {b.name!r}; "
                                    f"{_ROLE_WORD[role]} maps onto {_ROLE_WORD[role]} only")
                if b_decl.is_matrix != d.is_matrix:
                    raise ShapeError(f"rename: {d.name!r} of {a.name!r} is a {'matrix' if d.is_matrix else 'vector'} but "
                                     f"{n!r} of {b.name!r} is a {'matrix' if b_decl.is_matrix else 'vector'}")
                if n in owner:  # two names of `a` tied to one name: a hidden constraint, not an equivalence
                    raise SpecError(f"rename: {owner[n]!r} and {d.name!r} of {a.name!r} both map to {n!r}; "
                                    "every name may be used by one mapping only")
                owner[n] = d.name
                got = tuple(parse_expr(str(s), argument="shape") for s in b_decl.shape)
                if len(got) != len(want) or any(sp.simplify(g - w) != 0 for g, w in zip(got, want)):
                    raise ShapeError(f"shape mismatch: {d.name!r} of {a.name!r} has shape {want} (after size mapping) "
                                     f"but {n!r} of {b.name!r} has shape {got}")
            if target != d.name:
                lines.append(f"{d.name} ↦ {target}")
    return lines


@claim("equivalent")
def equivalent(a, b, *, rename: Mapping | None = None, sizes: Mapping | None = None,
               examples: int = 40, seed: int = 0) -> Result:
    """Prove (or refute) that two cells compute the same step function.

    Parameters
    ----------
    a, b : Cell
        Descriptions, e.g. ``gru.substitute({"z": 0, "r": 1})`` and ``rnn``.
    rename : dict, optional
        Names of ``a`` → names (or, for vector parameters, expressions) of
        ``b``: ``{"W_n": "W", "b_n": "b_in + b_hn"}``.  Unlisted names are
        kept.  A bijection between declarations of the same role and shape:
        states map to states (a state's ``_prev`` follows it and is never
        renamed on its own), inputs to inputs, parameters to parameters
        (:func:`check_correspondence`).
    sizes : dict, optional
        Size names of ``a`` → expressions in ``b``'s sizes (``{"H1": "H"}``).
    examples : int
        Numeric examples tried when the symbolic check does not close.
    seed : int
        Seed of the NumPy fallback (hypothesis is derandomized).

    Returns
    -------
    Result
        ``proved`` (every size, every sequence length), ``refuted`` with a
        counterexample re-checked at 60 digits, or ``checked`` with the
        number of examples.  What is proved: for every size and every value
        of ``b``'s parameters, ``a`` with its parameters set through
        ``rename`` computes the same states and the same output as ``b``; since each name of ``b`` serves one name of ``a`` and
        mappings are names or sums, every parameter value of ``a`` is
        reached too, so the two families of functions coincide.

    Raises
    ------
    SpecError, ShapeError, UnknownNameError
        Unknown names in ``rename``/``sizes``, or declarations that do not
        correspond (the theorem's verdict becomes ``error``).

    References
    ----------
    The study note's degenerate cases; Greff et al. 2017 (LSTM variants).

    Examples
    --------
    >>> import symrnn
    >>> gru = symrnn.cell("gru_reset_before")
    >>> r = equivalent(gru.substitute({"z": 0, "r": 1}), symrnn.cell("rnn"),
    ...                rename={"W_n": "W", "U_n": "U", "b_n": "b"})
    >>> r.status
    'proved'
    >>> equivalent(gru.substitute({"r": 1}), symrnn.cell("rnn"),
    ...            rename={"W_n": "W", "U_n": "U", "b_n": "b"}).status
    'refuted'
    """
    a, b = as_cell(a, "a"), as_cell(b, "b")
    atoms = AtomTable()
    nf_a = NormalForm(a, rename, atoms)
    nf_b = NormalForm(b, None, atoms)
    size_map = _size_map(a, b, sizes)
    renames = check_correspondence(nf_a, b, size_map)
    steps = [f"Compare {a.name} ({a.summary or a.family}) with {b.name} ({b.summary or b.family})."]
    if renames or size_map:
        steps.append("Rename " + ", ".join(renames + [f"size {k} ↦ {v}" for k, v in size_map.items()])
                     + "; declarations correspond with equal shapes.")
    else:
        steps.append("Declarations correspond with equal shapes.")
    steps.append("Per-unit normal forms (each [P·v] is one unit of a matrix-vector product, kept opaque):")
    differing = {}
    fa, fb = nf_a.states(), nf_b.states()
    for s in b.state_names:
        ea, eb = fa[s], fb[s]
        steps.append(f"  {s}_t: {a.name}: {ea};  {b.name}: {eb}")
        if is_zero(ea - eb) is not True:
            differing[s] = sp.factor_terms(sp.expand(ea - eb))
    out_a = nf_a.name(a.output)
    if out_a == b.output:
        steps.append(f"  output: {a.name} reads {a.output}_t (↦ {out_a}), {b.name} reads {b.output}_t: the same state.")
    else:
        steps.append(f"  output: {a.name} reads {a.output}_t (↦ {out_a}), {b.name} reads {b.output}_t.")
        if is_zero(fa[out_a] - fb[b.output]) is not True:
            differing["output"] = sp.factor_terms(sp.expand(fa[out_a] - fb[b.output]))
    draw = PairDraw(nf_a, b, size_map)
    if not differing:
        steps.append("Each difference simplifies to 0: the step functions and the outputs agree unit by unit, for every "
                     "size, because every pointwise stage acts per unit and equal atoms apply the same matrix to the same vector.")
        steps.append(INDUCTION)
        with cross_examining():
            found, line = cross_examine_pair(draw)
        if found is not None:
            return inconsistent(steps, found)
        return Result("proved", "per-unit normal form + induction over time", steps, cross_examination=line)
    for s, d in differing.items():
        steps.append(f"  {s}: the difference is not identically 0 in these symbols: {d}")
    diff, n = search_pair(draw, examples=examples, seed=seed)
    if diff is not None:
        steps.append(f"Numeric search (reference evaluator, sizes {diff['sizes']}, re-checked at {DIGITS} digits): "
                     f"{diff['state']} differs at step {diff['step']} by {diff['difference']}.")
        return Result("refuted", "per-unit normal form, then numeric counterexample", steps, counterexample=diff)
    steps.append(f"No counterexample in {n} numeric examples (float64, and {PRECISE_DRAWS} of them at {DIGITS} digits); "
                 "the claim is checked, not proved.")
    return Result("checked", "per-unit normal form (inconclusive), then numeric search", steps, examples=n)
