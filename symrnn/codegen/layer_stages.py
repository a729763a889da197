"""Which stages of a graph layer run fused, which adjoints are wanted, and what its tape keeps.

Read from a graph description (:class:`~symrnn.spec.graph_builder.GraphBuilder`)
by the layer generator (:mod:`symrnn.codegen.layer`), forward and backward alike:

* message passing ``scatter(α ⊙ gather(z))`` as one weighted sparse product
  (:func:`_fusions`), a neighbourhood softmax as one stage (:func:`_softmaxes`),
  projections of one vector as one GEMM (:func:`_projections`);
* the values whose adjoint reaches a gradient (:func:`_useful`);
* the values reverse mode reads (:func:`tape_keys`), some only through their
  sign (:func:`sign_only`).
"""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from ..spec.cell import PREV
from ..spec.operators import OPERATORS
from ..spec.partials import pointwise_partials

__all__ = ["tape_keys", "sign_only", "routed"]


def _roles(cell):
    return {n: r for n, (r, _) in cell.declared.items()}


def _consumers(cell) -> dict:
    out: dict = {}
    for eq in cell.equations:
        for d in eq.dependencies():
            out.setdefault(d, []).append(eq.target)
    return out


def _fusions(cell) -> dict:
    """Message-passing stages computed without per-edge messages.

    ``out = k · scatter(m)`` with ``m = α ⊙ a``, ``a = gather(z)``, α a size-1 edge
    vector, ``m`` and ``a`` read nowhere else, is (S_scatterᵀ diag(α) S_gather) z:
    one sparse product forward, its transpose and a per-edge dot product in
    reverse mode (GAT's aggregation).  Returns ``out -> (k, scatter, gather, α, z, m, a)``.
    """
    roles, uses, states = _roles(cell), _consumers(cell), set(cell.state_names)
    found = {}
    for eq in cell.equations:
        if not eq.is_linear:
            continue
        terms = cell.terms(eq.target)
        if len(terms) != 1 or terms[0].matrix or terms[0].operator not in ("scatter_dst", "scatter_src"):
            continue
        t = terms[0]
        m = t.vector
        if roles.get(m) != "intermediate" or m in states or uses.get(m) != [eq.target]:
            continue
        meq = cell.equation(m)
        if meq.is_linear or not isinstance(meq.expr, sp.Mul) or len(meq.expr.args) != 2:
            continue
        u, v = meq.expr.args
        if not (isinstance(u, sp.Symbol) and isinstance(v, sp.Symbol)):
            continue
        for alpha, a in ((u, v), (v, u)):
            if roles.get(a.name) != "intermediate" or a.name in states or uses.get(a.name) != [m]:
                continue
            aeq = cell.equation(a.name)
            if not aeq.is_linear:
                continue
            at = cell.terms(a.name)
            if len(at) != 1 or at[0].matrix or at[0].coeff != 1 or at[0].operator not in ("gather_src", "gather_dst"):
                continue
            if cell.declared[alpha.name][1].size != 1 or cell.space(alpha.name) != "edge":
                continue
            found[eq.target] = (t.coeff, t.operator, at[0].operator, alpha.name, at[0].vector, m, a.name)
            break
    return found


def _one_term(cell, name, operator):
    """The vector of ``name = operator(v)`` (one term, no matrix, coefficient 1), else None."""
    if cell.role(name) != "intermediate" or not cell.equation(name).is_linear:
        return None
    terms = cell.terms(name)
    if len(terms) == 1 and terms[0].matrix is None and terms[0].coeff == 1 and terms[0].operator == operator:
        return terms[0].vector
    return None


def _softmaxes(cell) -> dict:
    """Neighbourhood softmaxes (:meth:`GraphBuilder.softmax`) computed and differentiated as one stage.

    ``α = ex / gather_dst(scatter_dst(ex))`` with ``ex = exp(e − gather_dst(segmax_dst(e)))``
    and the inner stages read nowhere else: the forward keeps only α, and reverse
    mode applies the softmax rule ē = α ⊙ (ᾱ − gather_dst(scatter_dst(α ⊙ ᾱ)))
    (the theorem ``gat_softmax_derivatives``) instead of the five stages' partials.
    Returns ``α -> (e, [inner stage names])``.
    """
    uses, states = _consumers(cell), set(cell.state_names)
    found = {}
    for eq in cell.equations:
        if eq.is_linear or eq.target in states:
            continue
        num, den = sp.fraction(eq.expr)
        if not (isinstance(num, sp.Symbol) and isinstance(den, sp.Symbol)):
            continue
        ex, total = num.name, den.name
        total_in = _one_term(cell, total, "gather_dst")
        if total_in is None or _one_term(cell, total_in, "scatter_dst") != ex:
            continue
        exq = cell.equation(ex) if cell.role(ex) == "intermediate" else None
        if exq is None or exq.is_linear or not isinstance(exq.expr, sp.exp):
            continue
        arg = exq.expr.args[0]
        pos = [a for a in sp.Add.make_args(arg) if isinstance(a, sp.Symbol)]
        neg = [(-a) for a in sp.Add.make_args(arg) if a.could_extract_minus_sign() and isinstance(-a, sp.Symbol)]
        if len(pos) != 1 or len(neg) != 1 or len(sp.Add.make_args(arg)) != 2:
            continue
        e, shift = pos[0].name, neg[0].name
        mx = _one_term(cell, shift, "gather_dst")
        if mx is None or _one_term(cell, mx, "segmax_dst") != e:
            continue
        inner = [ex, total, total_in, shift, mx]
        private = {ex: {eq.target, total_in}, total: {eq.target}, total_in: {total}, shift: {ex}, mx: {shift}}
        if all(set(uses.get(n, ())) <= private[n] and n not in states for n in inner):
            found[eq.target] = (e, inner)
    return found


def routed(cell, name):
    """The vector ``v`` of a stage ``name = Op(v)`` whose operator has a reverse rule of its own (``max_in``), else None."""
    if not cell.equation(name).is_linear:
        return None
    terms = cell.terms(name)
    ops = [t.operator for t in terms if t.operator and OPERATORS[t.operator].backward]
    if not ops:
        return None
    if len(terms) != 1 or terms[0].matrix is not None or terms[0].coeff != 1:
        raise SpecError(f"{cell.name!r}: stage {name!r} applies {ops[0]}, which is not linear; write it as a stage "
                        f"of its own, m = {ops[0]}(v), and use m in later stages")
    return terms[0].vector


def _projections(cell, shapes) -> dict:
    """Stages ``z_k = P_k @ v`` (one term, no operator) reading the same vector: one GEMM for all of them.

    Returns ``v -> [(target, matrix, lo, hi)]`` for vectors read by two or more
    such stages (GAT's per-head projections): forward ``v @ [P_1; …; P_K]ᵀ`` split
    into column views, reverse mode one GEMM for every ``P̄_k`` and one for ``v̄``.
    """
    groups: dict = {}
    for eq in cell.equations:
        if not eq.is_linear:
            continue
        terms = cell.terms(eq.target)
        if len(terms) == 1 and terms[0].matrix and terms[0].operator is None and terms[0].coeff == 1:
            groups.setdefault(terms[0].vector, []).append((eq.target, terms[0].matrix))
    out = {}
    for v, members in groups.items():
        if len(members) < 2:
            continue
        lo, rows = 0, []
        for target, matrix in members:
            hi = lo + shapes[matrix][0]
            rows.append((target, matrix, lo, hi))
            lo = hi
        out[v] = rows
    return out


def _useful(cell, without=frozenset()) -> set:
    """Names whose adjoint reaches a gradient (an input, a previous state or a parameter), ``without`` not asked for."""
    roles = _roles(cell)
    useful = ({d.name for d in cell.inputs} | {d.name + PREV for d in cell.states}) - set(without)
    for eq in cell.equations:
        if eq.is_linear:
            hit = any(t.matrix or roles.get(t.vector) == "param" or
                      ((t.operator is None or OPERATORS[t.operator].linear or OPERATORS[t.operator].backward)
                       and t.vector in useful)
                      for t in cell.terms(eq.target))
        else:
            hit = any(roles.get(d) == "param" or d in useful for d in eq.dependencies())
        if hit:
            useful.add(eq.target)
    return useful


def _reads(cell):
    """``(by_value, by_partials)``: what reverse mode reads of the forward values.

    ``by_value`` — vectors of matrix terms, a fused message's weight and vector,
    a softmax's α, a routed maximum's vector and result: read as numbers by a
    product or by a stage's own rule; ``by_partials`` — the symbols of the
    pointwise partials (some only through a step H(v)).
    """
    fused, soft = _fusions(cell), _softmaxes(cell)
    skipped = {name for f in fused.values() for name in f[5:]} | {n for _, inner in soft.values() for n in inner}
    roles, useful = _roles(cell), _useful(cell)
    by_value, by_partials = set(), set()
    for eq in cell.equations:
        if eq.target in skipped:
            continue
        if eq.target in soft:
            by_value.add(eq.target)  # the rule reads α only
        elif eq.target in fused:
            _, _, _, alpha, z, _, _ = fused[eq.target]
            by_value |= {alpha, z}
        elif eq.is_linear:
            by_value |= {t.vector for t in cell.terms(eq.target) if t.matrix and roles.get(t.vector) != "param"}
            if routed(cell, eq.target) and routed(cell, eq.target) in useful:
                by_value |= {eq.target, routed(cell, eq.target)}  # the rule compares the vector with its maximum
        else:
            for u, d in pointwise_partials(cell, eq.target).items():
                if d != 0 and (roles[u] == "param" or u in useful):
                    by_partials |= {s.name for s in sp.sympify(d).free_symbols if roles.get(s.name) != "param"}
    return by_value, by_partials


def tape_keys(cell, shapes) -> set:
    """The values reverse mode reads: partials' symbols, vectors of matrix terms, fused weights and vectors.

    The forward returns these (and the new states) only, and frees every other
    value after its last use, so the tape holds no more than the backward needs.
    """
    by_value, by_partials = _reads(cell)
    return by_value | by_partials


def sign_only(cell, shapes) -> set:
    """Taped values that reverse mode reads only through a step H(v) (ReLU, LeakyReLU): kept as ``v > 0``, one byte each.

    Anything a product or a stage's own rule reads (:func:`_reads`' ``by_value``:
    a fused message's vector, a softmax's α, …) keeps its value.
    """
    by_value, by_partials = _reads(cell)
    roles, outside = _roles(cell), set(by_value)
    for eq in cell.equations:
        if eq.is_linear:
            continue
        for d in pointwise_partials(cell, eq.target).values():
            d = sp.sympify(d)
            steps = {h.args[0].name for h in d.atoms(sp.Heaviside) if isinstance(h.args[0], sp.Symbol)}
            rest = d.xreplace({h: sp.Symbol("_step") for h in d.atoms(sp.Heaviside)})
            outside |= {s.name for s in rest.free_symbols} | ({s.name for s in d.free_symbols} - steps)
    mine = {eq.target for eq in cell.equations}  # only the step's own intermediates (inputs stay the caller's)
    return {k for k in by_partials if k in mine and k not in outside and k not in cell.state_names
            and roles.get(k) != "param"}


def owned(cell, shapes) -> set:
    """Values the forward step computes into fresh arrays of its own (never a view or the caller's array).

    A stage whose operand is one of these, read for the last time and not taped, may write its
    result into the operand's memory (no new (rows, n) array): a linear stage with a matrix
    product, a fused message, a softmax, a pointwise stage that is not a bare copy of a symbol.
    Members of a stacked projection are column views of one product, so they are not owned; nor is
    a value another name copies bare (``c = g`` is printed ``_v_c = _v_g``: one array, two names).
    """
    fused, soft = _fusions(cell), _softmaxes(cell)
    views = {t for rows in _projections(cell, shapes).values() for t, *_ in rows}
    out, shared = set(fused) | set(soft), set()
    for eq in cell.equations:
        if eq.is_linear:
            terms = cell.terms(eq.target)
            if len(terms) == 1 and terms[0].matrix is None and terms[0].operator is None and terms[0].coeff == 1:
                shared.add(terms[0].vector)
        elif eq.expr.is_Symbol:
            shared.add(eq.expr.name)
        if eq.target in views or eq.target in out:
            continue
        if eq.is_linear:
            if any(t.matrix for t in cell.terms(eq.target)):
                out.add(eq.target)
        elif not eq.expr.is_Symbol and routed(cell, eq.target) is None:
            out.add(eq.target)
    return out - shared


def _last_uses(cell, skipped) -> dict:
    """``name -> target`` of the last equation (in forward order) that reads it."""
    last = {}
    for eq in cell.equations:
        if eq.target in skipped:
            continue
        for d in eq.dependencies():
            last[d] = eq.target
    return last
