"""Generate the forward and backward pass of one step of a graph description (a graph layer).

A graph layer (:class:`~symrnn.spec.graph_builder.GraphBuilder`) is a cell
over index spaces: every vector is a (rows, units) array whose rows are the
nodes or the edges of the graph.  The generated code runs the equations in
order, once:

* a linear stage ``a = Σ k · P @ Op(v) + b`` is one product per term with
  the operator applied by the graph's :class:`~symrnn.graphs.operators.GraphOperators`
  (``_O.apply``); terms under one operator share a single application, and
  ``P`` is applied before the operator when it narrows the rows' width
  (``Op(v Pᵀ)``), after it otherwise (``Op(v) Pᵀ``) — the two are equal, the
  cheaper one is chosen at generation time;
* a pointwise stage is its per-unit SymPy expression printed as NumPy code
  (:mod:`symrnn.codegen.printer`).

Reverse mode reads the same description backwards, with the fixed rules of
:mod:`symrnn.spec.partials`: a pointwise stage hands ``ȳ · ∂y/∂u`` to each
``u`` (partials written through forward values); a linear stage hands
``k · Opᵀ(ā) @ P`` to ``v`` and ``k · Opᵀ(ā)ᵀ v`` to ``P`` (``Opᵀ`` is the
operator's adjoint in the table, applied once per operator), and the column
sum of ``Opᵀ(ā)`` to a bias; a size-1 vector broadcast over a stage's units
(an attention coefficient times a message) gets the sum over the units; the
one non-linear operator (``segmax_dst``, a softmax's shift) passes nothing back.  Previous states are inputs of the step, so a
graph-recurrent cell (GConvGRU) runs this step T times and its backward
step by step.  Every identifier of the generated source carries a leading
underscore (:mod:`symrnn.codegen.naming`).
"""

from __future__ import annotations

from collections import OrderedDict

import sympy as sp

from ..spec.cell import PREV
from ..spec.operators import OPERATORS
from ..spec.partials import pointwise_partials
from .forward import Writer
from .printer import _num, to_source

__all__ = ["layer_forward_source", "layer_backward_source"]


def _val(name: str) -> str:
    return f"_v_{name}"


def _coef(k) -> str:
    return "" if k == 1 else f"{_num(sp.sympify(k))} * "


def _roles(cell):
    return {n: r for n, (r, _) in cell.declared.items()}


def _rows(cell, name) -> str:
    space = cell.space(name)
    return f"_O.rows({space!r})" if space is not None else "_B"


def _narrows(shapes, matrix) -> bool:
    rows, cols = shapes[matrix]
    return rows <= cols


def _groups(cell, target, shapes):
    """Terms of a linear stage grouped by operator: ``[(op, before, after, bias)]``.

    ``before`` are the matrix terms applied before the operator (their sum goes
    through one application), ``after`` the terms applied after it, ``bias`` the
    bare parameter vectors (no operator).
    """
    roles = _roles(cell)
    groups: OrderedDict = OrderedDict()
    bias = []
    for t in cell.terms(target):
        if t.matrix is None and roles[t.vector] == "param":
            bias.append(t)
            continue
        g = groups.setdefault(t.operator, ([], []))
        if t.operator is not None and t.matrix is not None and not _narrows(shapes, t.matrix):
            g[1].append(t)
        else:
            g[0].append(t)
    return [(op, before, after) for op, (before, after) in groups.items()], bias


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


def _useful(cell) -> set:
    """Names whose adjoint reaches a gradient (an input, a previous state or a parameter)."""
    roles = _roles(cell)
    useful = {d.name for d in cell.inputs} | {d.name + PREV for d in cell.states}
    for eq in cell.equations:
        if eq.is_linear:
            hit = any(t.matrix or roles.get(t.vector) == "param" or
                      ((t.operator is None or OPERATORS[t.operator].linear) and t.vector in useful)
                      for t in cell.terms(eq.target))
        else:
            hit = any(roles.get(d) == "param" or d in useful for d in eq.dependencies())
        if hit:
            useful.add(eq.target)
    return useful


def tape_keys(cell, shapes) -> set:
    """The values reverse mode reads: partials' symbols, vectors of matrix terms, fused weights and vectors.

    The forward returns these (and the new states) only, and frees every other
    value after its last use, so the tape holds no more than the backward needs.
    """
    fused, soft = _fusions(cell), _softmaxes(cell)
    skipped = {name for f in fused.values() for name in f[5:]} | {n for _, inner in soft.values() for n in inner}
    roles, useful = _roles(cell), _useful(cell)
    keys = set()
    for eq in cell.equations:
        if eq.target in skipped:
            continue
        if eq.target in soft:
            keys.add(eq.target)  # the rule reads α only
        elif eq.target in fused:
            _, _, _, alpha, z, _, _ = fused[eq.target]
            keys |= {alpha, z}
        elif eq.is_linear:
            keys |= {t.vector for t in cell.terms(eq.target) if t.matrix and roles.get(t.vector) != "param"}
        else:
            for u, d in pointwise_partials(cell, eq.target).items():
                if d != 0 and (roles[u] == "param" or u in useful):
                    keys |= {s.name for s in sp.sympify(d).free_symbols if roles.get(s.name) != "param"}
    return keys


def sign_only(cell, shapes) -> set:
    """Taped values that reverse mode reads only through a step H(v) (ReLU, LeakyReLU): kept as ``v > 0``, one byte each."""
    keys, outside = tape_keys(cell, shapes), set()
    roles = _roles(cell)
    for eq in cell.equations:
        if eq.is_linear:
            outside |= {t.vector for t in cell.terms(eq.target) if t.matrix}
            continue
        for d in pointwise_partials(cell, eq.target).values():
            d = sp.sympify(d)
            steps = {h.args[0].name for h in d.atoms(sp.Heaviside) if isinstance(h.args[0], sp.Symbol)}
            rest = d.xreplace({h: sp.Symbol("_step") for h in d.atoms(sp.Heaviside)})
            outside |= {s.name for s in rest.free_symbols} | ({s.name for s in d.free_symbols} - steps)
    mine = {eq.target for eq in cell.equations}  # only the step's own intermediates (inputs stay the caller's)
    return {k for k in keys if k in mine and k not in outside and k not in cell.state_names and roles.get(k) != "param"}


def _last_uses(cell, skipped) -> dict:
    """``name -> target`` of the last equation (in forward order) that reads it."""
    last = {}
    for eq in cell.equations:
        if eq.target in skipped:
            continue
        for d in eq.dependencies():
            last[d] = eq.target
    return last


def _product(t) -> str:
    return f"{_coef(t.coeff)}({_val(t.vector)} @ _p_{t.matrix}.T)" if t.matrix else f"{_coef(t.coeff)}{_val(t.vector)}"


def layer_forward_source(cell, shapes: dict, n: dict) -> str:
    """Source of ``_forward(_O, _params, _xs, _init)`` → dict of every value of the step.

    ``shapes``: parameter name → concrete shape; ``n``: vector name → length.
    """
    w = Writer()
    roles = _roles(cell)
    w("def _forward(_O, _params, _xs, _init):")
    with w.block():
        w(f'"""One step of {cell.name!r}, generated from its description (values by name)."""')
        for p in shapes:
            w(f"_p_{p} = _params[{p!r}]")
        for d in cell.inputs:
            w(f"{_val(d.name)} = _xs[{d.name!r}]")
        for d in cell.states:
            w(f"{_val(d.name + PREV)} = _init[{d.name!r}]")
        first = cell.inputs[0].name if cell.inputs else cell.states[0].name + PREV
        w(f"_B = {_val(first)}.shape[0]")
        fused, soft = _fusions(cell), _softmaxes(cell)
        skipped = {name for f in fused.values() for name in f[5:]} | {n for _, inner in soft.values() for n in inner}
        projected = {t: (v, rows) for v, rows in _projections(cell, shapes).items() for t, *_ in rows}
        keep = tape_keys(cell, shapes) | set(cell.state_names)
        frees: dict = {}
        for name, at in _last_uses(cell, skipped).items():
            if name not in keep and roles.get(name) in ("intermediate", "input", "previous") and \
                    not any(name == p for p, _ in projected.values()):
                frees.setdefault(at, []).append(name)
        done = set()
        for eq in cell.equations:
            target = _val(eq.target)
            if eq.target in skipped:
                continue
            if eq.target in projected:
                v, rows = projected[eq.target]
                if v not in done:  # the first stage of the group computes every member
                    stack = ", ".join(f"_p_{m}" for _, m, _, _ in rows)
                    w(f"_Y_proj_{v} = {_val(v)} @ _np.concatenate([{stack}]).T")
                    for t, _, lo, hi in rows:
                        w(f"{_val(t)} = _Y_proj_{v}[:, {lo}:{hi}]")
                    done.add(v)
                continue
            if eq.target in fused:
                k, scatter, gather, alpha, z, _, _ = fused[eq.target]
                w(f"{target} = {_coef(k)}_O.weighted({scatter!r}, {gather!r}, {_val(alpha)}, {_val(z)})")
                continue
            if eq.target in soft:
                e = soft[eq.target][0]
                w(f"{target} = _O.softmax({_val(e)})")
                if e not in keep and roles.get(e) == "intermediate" and _consumers(cell).get(e) == [soft[eq.target][1][0]]:
                    w(f"del {_val(e)}")
                continue
            if eq.is_linear:
                groups, bias = _groups(cell, eq.target, shapes)
                parts = []
                for op, before, after in groups:
                    if before:
                        inner = " + ".join(_product(t) for t in before)
                        parts.append(f"_O.apply({op!r}, {inner})" if op else inner)
                    for t in after:
                        parts.append(f"{_coef(t.coeff)}(_O.apply({op!r}, {_val(t.vector)}) @ _p_{t.matrix}.T)")
                parts += [f"{_coef(t.coeff)}_p_{t.vector}" for t in bias]
                if not groups:  # a bias alone: broadcast over the rows
                    parts[0] = f"_np.broadcast_to({parts[0]}, ({_rows(cell, eq.target)}, {n[eq.target]}))"
                src = " + ".join(parts)
                w(f"{target} = {src}" if groups else f"{target} = ({src}).copy()")
            else:
                names = {u.name: (_val(u.name) if roles[u.name] != "param" else f"_p_{u.name}") for u in eq.expr.free_symbols}
                src = to_source(eq.expr, names)
                if not any(roles[u.name] != "param" for u in eq.expr.free_symbols):  # constant per row
                    src = f"_np.broadcast_to({src}, ({_rows(cell, eq.target)}, {n[eq.target]})).copy()"
                w(f"{target} = {src}")
            for name in frees.get(eq.target, ()):  # no later stage and no backward reads it: free it now
                if name in (d.name for d in cell.inputs) or name.endswith(PREV):
                    continue  # the caller's arrays stay the caller's
                w(f"del {_val(name)}")
        kept = [d.name for d in cell.inputs] + [d.name + PREV for d in cell.states] + \
            [eq.target for eq in cell.equations if eq.target not in skipped and eq.target in keep]
        signs = sign_only(cell, shapes)
        w("return {" + ", ".join(f"{k!r}: {_val(k)} > 0" if k in signs else f"{k!r}: {_val(k)}" for k in kept) + "}")
    return w.text()


class _Adj:
    """Adjoint variables: the first contribution assigns, later ones add."""

    def __init__(self, w):
        self.w, self.started = w, set()

    def add(self, name, src):
        if name in self.started:
            self.w(f"_g_{name} = _g_{name} + {src}")
        else:
            self.w(f"_g_{name} = {src}")
            self.started.add(name)


def layer_backward_source(cell, shapes: dict, n: dict) -> str:
    """Source of ``_backward(_O, _params, _tape, _dout)`` → gradients of every parameter, input and previous state.

    ``_dout`` maps output (state) names to the adjoint of their value; missing ones are zero.
    """
    w = Writer()
    roles = _roles(cell)
    w("def _backward(_O, _params, _tape, _dout):")
    with w.block():
        w(f'"""Reverse mode through one step of {cell.name!r}, from its partials and the operators\' adjoints."""')
        for p in shapes:
            w(f"_p_{p} = _params[{p!r}]")
        fused, soft = _fusions(cell), _softmaxes(cell)
        skipped = {name for f in fused.values() for name in f[5:]} | {n for _, inner in soft.values() for n in inner}
        useful = _useful(cell)
        needed = {d.name for d in cell.inputs} | {d.name + PREV for d in cell.states}
        for eq in cell.equations:
            needed |= set(eq.dependencies())
        available = tape_keys(cell, shapes) | set(cell.state_names) | {d.name for d in cell.inputs} | \
            {d.name + PREV for d in cell.states}
        for name in sorted((needed | {eq.target for eq in cell.equations}) & available - skipped):
            if roles.get(name) != "param":
                w(f"{_val(name)} = _tape[{name!r}]")
        w("_grads = {" + ", ".join(f"{p!r}: _np.zeros_like(_p_{p})" for p in shapes) + "}")
        adj = _Adj(w)
        for d in cell.states:
            w(f"if {d.name!r} in _dout:")
            with w.block():
                w(f"_g_{d.name} = _dout[{d.name!r}]")
            w("else:")
            with w.block():
                w(f"_g_{d.name} = _np.zeros_like({_val(d.name)})")
            adj.started.add(d.name)
        projected = {t: (v, rows) for v, rows in _projections(cell, shapes).items() for t, *_ in rows}
        first = {v: rows[0][0] for v, rows in _projections(cell, shapes).items()}
        for k, eq in enumerate(reversed(cell.equations)):
            if eq.target in projected:
                v, rows = projected[eq.target]
                if eq.target != first[v] or not any(t in adj.started for t, *_ in rows):
                    continue  # the group is handled once, at its first stage (every member's adjoint is complete)
                parts = ", ".join(f"_g_{t}" if t in adj.started else f"_np.zeros_like({_val(t)})" for t, *_ in rows)
                w(f"_Y_gproj_{v} = _np.concatenate([{parts}], axis=1)")
                w(f"_Y_dproj_{v} = _Y_gproj_{v}.T @ {_val(v)}")
                for t, m, lo, hi in rows:
                    w(f"_grads[{m!r}] += _Y_dproj_{v}[{lo}:{hi}]")
                if v in useful:
                    stack = ", ".join(f"_p_{m}" for _, m, _, _ in rows)
                    adj.add(v, f"_Y_gproj_{v} @ _np.concatenate([{stack}])")
                continue
            if eq.target not in adj.started or eq.target in skipped:
                continue  # nothing reads it, or a fused stage: no adjoint flows here
            g = f"_g_{eq.target}"
            if eq.target in soft:
                e = soft[eq.target][0]
                if e in useful:
                    adj.add(e, f"_O.softmax_backward({_val(eq.target)}, {g})")
                w(f"del {g}")
                continue
            if eq.target in fused:
                c, scatter, gather, alpha, z, _, _ = fused[eq.target]
                c = _coef(c)
                if z in useful:
                    adj.add(z, f"{c}_O.weighted({scatter!r}, {gather!r}, {_val(alpha)}, {g}, transpose=True)")
                if alpha in useful:
                    adj.add(alpha, f"{c}_O.edge_dot({scatter!r}, {g}, {gather!r}, {_val(z)})")
                continue
            if eq.is_linear:
                groups, bias = _groups(cell, eq.target, shapes)
                for j, (op, before, after) in enumerate(groups):
                    if op is not None and not OPERATORS[op].linear:
                        continue  # a shift held constant (segmax): nothing flows back through it
                    terms = [t for t in before + after if t.matrix or t.vector in useful]
                    if not terms:
                        continue
                    G = g
                    if op is not None and op != "sum_units":
                        G = f"_Y_{eq.target}_{j}"
                        w(f"{G} = _O.adjoint({op!r}, {g})")
                    for t in terms:
                        c = _coef(t.coeff)
                        if t.operator == "sum_units":  # 1ᵀ v: every unit of v receives the row's adjoint
                            G = f"_np.broadcast_to({g}, ({g}.shape[0], {n[t.vector]}))"
                        if t.matrix:
                            w(f"_grads[{t.matrix!r}] += {c}({G}.T @ {_val(t.vector)})")
                        if t.matrix and t.vector in useful:
                            adj.add(t.vector, f"{c}({G} @ _p_{t.matrix})")
                        elif not t.matrix:
                            adj.add(t.vector, f"{c}{G}" if c else G)
                for t in bias:
                    w(f"_grads[{t.vector!r}] += {_coef(t.coeff)}{g}.sum(axis=0)")
            else:
                parts = pointwise_partials(cell, eq.target)
                names = {u: (_val(u) if roles.get(u) != "param" else f"_p_{u}") for u in cell.declared}
                for u, d in parts.items():
                    if d == 0 or (roles[u] != "param" and u not in useful):
                        continue
                    term = f"{g} * ({to_source(d, names)})" if d != 1 else g
                    if n.get(u, n[eq.target]) == 1 and n[eq.target] != 1:  # a size-1 vector broadcast over the units
                        term = f"({term}).sum(axis=1, keepdims=True)"
                    if roles[u] == "param":
                        w(f"_grads[{u!r}] += ({term}).sum(axis=0)")
                    else:
                        adj.add(u, term)
            if eq.target not in cell.state_names:
                w(f"del _g_{eq.target}")  # its consumers are all done: free the adjoint
        for d in cell.inputs:  # noqa: B007  (adjoints of intermediates were freed as their stages were done)
            w(f"_grads[{d.name!r}] = _g_{d.name}" if d.name in adj.started else
              f"_grads[{d.name!r}] = _np.zeros_like({_val(d.name)})")
        for d in cell.states:
            p = d.name + PREV
            w(f"_grads[{p!r}] = _g_{p}" if p in adj.started else f"_grads[{p!r}] = _np.zeros_like({_val(p)})")
        w("return _grads")
    return w.text()
