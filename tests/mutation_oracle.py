"""Independent judge of the mutation harness: is a mutated claim false?

Written for the tests, sharing nothing with the provers' normal forms, searches
or 60-digit re-checks: plain float64 evaluation with ``symrnn.numeric.run`` /
``step`` (the reference interpreter), central differences, exact integer
evaluation of polynomials, and float instances of matrix expressions.  A claim
is judged false when some random case violates it by a wide margin (1e-6
relative or more), far above float round-off, so a "false" judgement is safe;
a mutant that no case violates is an equivalent mutant and is set aside.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from symrnn.numeric import run, step
from symrnn.numeric.params import param_shapes, vector_sizes
from symrnn.numeric.reference import evaluate_pointwise
from symrnn.prove.normal_form import as_cell
from symrnn.spec.cell import PREV
from symrnn.spec.parse import as_expr

MARGIN = 1e-6
TRIES = 60


def _wide(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    return float(np.max(np.abs(a - b))) > MARGIN * (1 + float(np.max(np.abs(b))))


def _arg(call, i, name, default=None):
    return call.args[i] if len(call.args) > i else call.kwargs.get(name, default)


def _step_case(cell, rng, size, assume=None):
    assume = assume or {}
    sizes = {s.name: size for s in cell.sizes}
    scale = rng.choice([1.0, 3.0, 10.0])
    params = {k: rng.uniform(-scale, scale, v) for k, v in param_shapes(cell, sizes).items()}
    n = vector_sizes(cell, sizes)
    vec = lambda name, k: rng.uniform(*assume.get(name, (-3, 3)), (4, n[k]))  # noqa: E731
    return (params, {d.name: vec(d.name, d.name) for d in cell.inputs},
            {d.name: vec(d.name + PREV, d.name) for d in cell.states})


def _equivalent(call, rng):
    a, b = as_cell(_arg(call, 0, "a")), as_cell(_arg(call, 1, "b"))
    rename = dict(call.kwargs.get("rename") or {})
    size_map = dict(call.kwargs.get("sizes") or {})
    new = lambda n: rename[n] if isinstance(rename.get(n), str) else n  # noqa: E731
    for _ in range(TRIES // 3):
        sb = {s.name: int(rng.integers(1, 4)) for s in b.sizes}
        sa = {}
        for s in a.sizes:
            e = as_expr(size_map.get(s.name, s.name), argument="size")
            sa[s.name] = int(e.xreplace({f: sb.get(f.name, 1) for f in e.free_symbols}))
        pb = {k: rng.uniform(-2, 2, v) for k, v in param_shapes(b, sb).items()}
        pa = {}
        for k, shape in param_shapes(a, sa).items():
            target = rename.get(k, k)
            if isinstance(target, str):
                pa[k] = pb[target] if target in pb else rng.uniform(-2, 2, shape)
            else:
                e = as_expr(target, argument="rename")
                pa[k] = sum(float(e.coeff(s)) * pb[s.name] for s in e.free_symbols)
        nb = vector_sizes(b, sb)
        xs = {d.name: rng.uniform(-2, 2, (3, 2, nb[d.name])) for d in b.inputs}
        init = {d.name: rng.uniform(-1, 1, (2, nb[d.name])) for d in b.states}
        out_a, _, tr_a = run(a, pa, {d.name: xs[new(d.name)] for d in a.inputs}, {d.name: init[new(d.name)] for d in a.states})
        out_b, _, tr_b = run(b, pb, xs, init)
        if _wide(out_a, out_b):
            return True
        for va, vb in zip(tr_a, tr_b):
            if any(_wide(va[s], vb[new(s)]) for s in a.state_names):
                return True
    return False


def _state_identity(call, rng):
    cell, target, rhs = as_cell(call.args[0]), _arg(call, 1, "target"), as_expr(_arg(call, 2, "rhs"), argument="rhs")
    for _ in range(TRIES // 3):
        params, inputs, prev = _step_case(cell, rng, 3)
        vals = step(cell, params, inputs, prev)
        if _wide(vals[target], evaluate_pointwise(rhs, vals, vals[target])):
            return True
    return False


def _independent(cell, target, names, given, rng):
    given = {k: as_expr(v, argument="given") for k, v in (given or {}).items()}
    for _ in range(TRIES // 3):
        params, inputs, prev = _step_case(cell, rng, 3)
        moved = lambda d, key: {k: v + 1.0 if key(k) in names else v for k, v in d.items()}  # noqa: E731
        v1 = step(cell, params, inputs, prev, given=given)[target]
        v2 = step(cell, moved(params, str), moved(inputs, str), moved(prev, lambda k: k + PREV), given=given)[target]
        if _wide(v1, v2):
            return True
    return False


def _independent_of(call, rng):
    names = _arg(call, 2, "names")
    names = {names} if isinstance(names, str) else set(names)
    return _independent(as_cell(call.args[0]), _arg(call, 1, "target"), names, call.kwargs.get("given"), rng)


def _depends_only_on(call, rng):
    cell = as_cell(call.args[0])
    roles = _arg(call, 2, "roles", ("input", "param"))
    names = {n for n, (r, _) in cell.declared.items() if r in ("input", "param", "previous") and r not in roles}
    return _independent(cell, _arg(call, 1, "target"), names, None, rng)


def _diagonal_jacobian(call, rng):
    cell, of, wrt = as_cell(call.args[0]), _arg(call, 1, "of"), _arg(call, 2, "wrt")
    diag = as_expr(_arg(call, 3, "diag"), argument="diag")
    state = wrt[: -len(PREV)]
    for _ in range(6):
        params, inputs, prev = _step_case(cell, rng, 3)
        base = step(cell, params, inputs, prev)
        want = evaluate_pointwise(diag, base, base[of])
        for j in range(prev[state].shape[1]):
            up, dn = dict(prev), dict(prev)
            up[state], dn[state] = prev[state].copy(), prev[state].copy()
            up[state][:, j] += 1e-6
            dn[state][:, j] -= 1e-6
            col = (step(cell, params, inputs, up)[of] - step(cell, params, inputs, dn)[of]) / 2e-6
            claim = np.zeros_like(col)
            claim[:, j] = want[:, j]
            if float(np.max(np.abs(col - claim))) > 1e-4:
                return True
    return False


def _inequality(call, rng):
    cell = as_cell(call.args[0])
    lhs, rhs = (as_expr(_arg(call, i, n), argument=n) for i, n in ((1, "lhs"), (2, "rhs")))
    assume = {k: tuple(v) for k, v in (call.kwargs.get("assume") or {}).items()}
    for _ in range(TRIES * 3):
        params, inputs, prev = _step_case(cell, rng, 2, assume)
        vals = step(cell, params, inputs, prev)
        names = sorted(lhs.free_symbols | rhs.free_symbols, key=str)
        like = vals[names[0].name]
        left, right = evaluate_pointwise(lhs, vals, like), evaluate_pointwise(rhs, vals, like)
        if float(np.max(left - right)) > MARGIN:
            return True
    return False


def _identity(call, rng):
    lhs, rhs = as_expr(_arg(call, 0, "lhs"), argument="lhs"), as_expr(_arg(call, 1, "rhs"), argument="rhs")
    d = lhs - rhs
    syms = sorted(d.free_symbols, key=str)
    for point in itertools.product(range(1, 7), repeat=len(syms)):
        v = d.xreplace(dict(zip(syms, map(sp.Integer, point))))
        if v.is_number and abs(complex(sp.N(v, 30))) > 1e-12:
            return True
    return False


def _same_sequences(call, rng):
    from symrnn.prove.sequences import _evaluate, _flat, _labels

    lhs, rhs, cell = _arg(call, 0, "lhs"), _arg(call, 1, "rhs"), as_cell(call.kwargs["cell"])
    labels, names = set(), set()
    _labels(lhs, labels, names)
    _labels(rhs, labels, names)
    for _ in range(6):
        sz = {s.name: 2 for s in cell.sizes}
        params = {k: {p: rng.uniform(-1.5, 1.5, s) for p, s in param_shapes(cell, sz).items()} for k in sorted(labels)}
        xs = {k: rng.uniform(-2, 2, (4, 1, vector_sizes(cell, sz)[cell.inputs[0].name])) for k in sorted(names)}
        left, right = _flat(_evaluate(lhs, cell, params, xs)), _flat(_evaluate(rhs, cell, params, xs))
        if left.shape != right.shape or _wide(left, right):
            return True
    return False


def _matrix_identity(call, rng):
    lhs, rhs = _arg(call, 0, "lhs"), _arg(call, 1, "rhs")
    facts = {M: f.kind for f in call.kwargs.get("facts", ()) for M in f.matrices}
    for size in (2, 3):
        for _ in range(3):
            subs = {}
            for e in (lhs, rhs):
                for M in e.atoms(sp.MatrixSymbol):
                    for d in M.shape:
                        for s in sp.sympify(d).free_symbols:
                            subs[s] = size
                for s in e.free_symbols:
                    if not isinstance(s, sp.MatrixSymbol):
                        subs.setdefault(s, int(rng.integers(0, 3)) if s.is_integer else float(rng.uniform(0.5, 2)))
            mats = {}
            for M in set(lhs.atoms(sp.MatrixSymbol)) | set(rhs.atoms(sp.MatrixSymbol)):
                r, c = (int(sp.sympify(d).xreplace(subs)) for d in M.shape)
                kind = facts.get(M)
                if kind == "permutation":
                    v = np.eye(r)[rng.permutation(r)]
                elif kind == "orthogonal":
                    v = np.linalg.qr(rng.normal(size=(r, r)))[0]
                elif kind == "diagonal":
                    v = np.diag(rng.uniform(0.5, 2, r))
                else:
                    v = rng.normal(size=(r, c))
                mats[M.xreplace(subs)] = sp.ImmutableMatrix(v)
            L, R = (np.array(sp.Matrix(e.xreplace(subs).xreplace(mats).doit().as_explicit()).evalf(), dtype=float)
                    for e in (lhs, rhs))
            if _wide(L, R):
                return True
    return False


def _permutation_equivariant(call, rng):
    """Relabel a random graph's nodes: do the outputs move with them (equivariant) or stay (invariant)?"""
    import networkx as nx

    from symrnn.graphs.operators import GraphOperators
    from symrnn.numeric.params import param_shapes as shapes

    cell = as_cell(call.args[0])
    invariant = call.kwargs.get("invariant", False)
    for _ in range(5):
        G = nx.gnm_random_graph(6, 9, seed=int(rng.integers(1 << 30)))
        perm = rng.permutation(6)
        H = nx.relabel_nodes(G, {i: int(perm[i]) for i in range(6)})
        H2 = nx.Graph()
        H2.add_nodes_from(range(6))
        H2.add_edges_from(H.edges())
        sizes = {s.name: 2 for s in cell.sizes}
        p = {k: rng.normal(size=v) for k, v in shapes(cell, sizes).items()}
        n = vector_sizes(cell, sizes)
        ops_g, ops_h = GraphOperators(G, **dict(cell.graph)), GraphOperators(H2, **dict(cell.graph))
        inv = np.argsort(perm)
        row = {(int(u), int(v)): e for e, (u, v) in enumerate(zip(ops_g.src, ops_g.dst))}
        edge_rows = [row[(int(inv[u]), int(inv[v]))] for u, v in zip(ops_h.src, ops_h.dst)]  # H's edge ← G's edge
        per_edge = {d.name for d in cell.inputs if cell.space(d.name) == "edge"}
        xs = {d.name: rng.normal(size=(len(ops_g.src) if d.name in per_edge else 6, n[d.name])) for d in cell.inputs}
        prev = {d.name: np.zeros((6, n[d.name])) for d in cell.states}
        a = step(cell, p, xs, prev, operators=ops_g)
        moved = {k: v[edge_rows] if k in per_edge else v[inv] for k, v in xs.items()}
        b = step(cell, p, moved, prev, operators=ops_h)
        for s in cell.state_names:
            want = a[s] if invariant else a[s][np.argsort(perm)]
            if _wide(b[s], want):
                return True
    return False


def _message_passing(call, rng):
    """Redraw the inputs of nodes more than ``rounds`` in-hops from a node: does its output move?"""
    import networkx as nx

    from symrnn.graphs.operators import GraphOperators
    from symrnn.numeric.params import param_shapes as shapes

    cell, rounds = as_cell(call.args[0]), call.kwargs.get("rounds", 1)
    for trial in range(12):
        G = nx.gnm_random_graph(7, 12, seed=int(rng.integers(1 << 30)), directed=trial % 2 == 0)
        ops = GraphOperators(G, **dict(cell.graph))
        i = int(rng.integers(7))
        hops = nx.single_source_shortest_path_length(G.reverse() if G.is_directed() else G, i)
        sizes = {s.name: 2 for s in cell.sizes}
        p = {k: rng.normal(size=v) for k, v in shapes(cell, sizes).items()}
        n = vector_sizes(cell, sizes)
        rows = {d.name: len(ops.src) if cell.space(d.name) == "edge" else 7 for d in cell.inputs}
        xs = {d.name: rng.normal(size=(rows[d.name], n[d.name])) for d in cell.inputs}
        prev = {d.name: rng.normal(size=(7, n[d.name])) for d in cell.states}
        far = [j for j in range(7) if hops.get(j, 99) > rounds]
        far_edges = [e for e in range(len(ops.src)) if hops.get(int(ops.dst[e]), 99) > rounds - 1]
        xs2, prev2 = {k: v.copy() for k, v in xs.items()}, {k: v.copy() for k, v in prev.items()}
        for k, v in list(xs2.items()) + list(prev2.items()):
            picked = far_edges if k in rows and cell.space(k) == "edge" else far
            v[picked] = rng.normal(size=(len(picked), v.shape[1]))
        try:
            a, b = step(cell, p, xs, prev, operators=ops), step(cell, p, xs2, prev2, operators=ops)
        except Exception:  # a directed graph for an undirected operator
            continue
        if any(_wide(b[s][i], a[s][i]) for s in cell.state_names):
            return True
    return False


JUDGES = {"message_passing": _message_passing, "permutation_equivariant": _permutation_equivariant,"equivalent": _equivalent, "state_identity": _state_identity, "independent_of": _independent_of,
          "depends_only_on": _depends_only_on, "diagonal_jacobian": _diagonal_jacobian, "inequality": _inequality,
          "identity": _identity, "same_sequences": _same_sequences, "matrix_identity": _matrix_identity}


def is_false(call, seed: int = 0) -> bool:
    """Whether some random case violates the claim ``call`` makes (by a wide margin)."""
    return JUDGES[call.prover](call, np.random.default_rng(seed))
