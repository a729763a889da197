"""One message-passing form (MPNN, Gilmer et al. 2017), recognised in a graph description for every graph.

A round of message passing computes, at every node i,

    m_i = ⊕_{j ∈ N(i)} M(h_i, h_j, e_ji),        h_i' = U(h_i, m_i),

N(i) the sources of the edges j → i entering i, ⊕ a sum (Gilmer et al.) or a
maximum (GraphSAGE's max aggregator), e_ji the edge's inputs and structural
coefficient (its weight, the degrees of its ends — Gilmer et al. write GCN so).
:func:`message_passing` decides, from the description alone, that a layer is
``rounds`` such rounds.  Every vector gets a kind and a round k:

* node inputs and previous states are node values of round 0; a per-row map or
  per-unit stage of node values of rounds ≤ k is a node value of round k (U may
  read the node's own earlier values);
* ``gather_src`` / ``gather_dst`` of a node value of round k, edge inputs
  (round 0), and per-row or per-unit stages of them are messages of round k;
* a neighbourhood softmax of messages (:meth:`GraphBuilder.softmax`) is an
  attention α; a stage linear in one α times messages is a weighted message
  (Σ_j α_ji M_ji = Σ_j exp(e_ji) M_ji / Σ_j exp(e_ji), a ratio of two sums of messages);
* ``scatter_dst`` of a (weighted) message of round k, and a node-to-node
  operator of :data:`AGGREGATIONS` applied to a node value of round k (each is
  S_dstᵀ diag(c) S_src, plus a self term U reads, by its definition), are node
  values of round k + 1.

Anything else — a readout over all nodes, a sum over out-edges, a pair space —
is outside the form.  When every output is a node value of round ≤ ``rounds``,
the layer is an instance, for every graph and size (induction over the stages);
the conclusion is cross-examined numerically: on random graphs, the features of
every node more than ``rounds`` in-hops from i (and the inputs of edges farther
than that) are redrawn and the output at i must not move.  A description
outside the form is refuted when that search finds such a move (re-checked at 60
digits), else left undecided.

References
----------
J. Gilmer, S. S. Schoenholz, P. F. Riley, O. Vinyals and G. E. Dahl, "Neural
Message Passing for Quantum Chemistry", ICML 2017 (eqs. 1–2, §2).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..errors import SpecError
from ..spec.cell import PREV
from .context import claim, cross_examining
from .context import rng as seeded_rng
from .normal_form import as_cell
from .verdict import Result, inconsistent

__all__ = ["message_passing", "AGGREGATIONS"]

AGGREGATIONS = {
    "adjacency": "Σ, c_ji = w_ji", "sum_in": "Σ, c_ji = 1", "mean_in": "Σ, c_ji = 1/deg_in(i)",
    "max_in": "max, c_ji = 1", "walk_in": "Σ, c_ji = w_ji / Σ_k w_ki",
    "gcn_norm": "Σ, c_ji = w_ji/√(d̃_i d̃_j), self term c_ii h_i", "gcn_norm_T": "Σ (symmetric), as gcn_norm",
    "cheb_lt": "Σ, c_ji = −(2/λ) w_ji/√(d_i d_j), self term (2/λ − 1) h_i", "cheb_lt_T": "Σ (symmetric), as cheb_lt",
    "laplacian": "Σ, c_ji = −w_ji/√(d_i d_j), self term h_i", "laplacian_T": "Σ (symmetric), as laplacian",
}
"""Node-to-node operators that are one aggregation over the in-edges: ⊕ and the message coefficient."""


class _Outside(Exception):
    """A stage outside the form (the message says which and why)."""


def _join(cell, target, kinds):
    """The kind of a stage from the kinds of what it reads: ``(kind, round)``."""
    space = {k for k, _ in kinds}
    level = max((r for _, r in kinds), default=0)
    if space <= {"node"}:
        return "node", level
    for kind in ("message", "weighted", "attention"):
        if space == {kind}:
            return kind, level
    raise _Outside(f"{target}: combines {sorted(space)} values outside the form")


def _pointwise(cell, eq, kinds):
    read = {s: kinds[s.name] for s in eq.expr.free_symbols if cell.role(s.name) != "param"}
    att = [s for s, (k, _) in read.items() if k == "attention"]
    if not att:
        return _join(cell, eq.target, read.values())
    rest = [v for s, v in read.items() if s not in att]
    if len(att) != 1 or any(k != "message" for k, _ in rest):
        raise _Outside(f"{eq.target}: reads an attention together with values that are not messages")
    a = att[0]
    if sp.diff(eq.expr, a, 2) != 0 or sp.simplify(eq.expr.subs(a, 0)) != 0:
        raise _Outside(f"{eq.target}: not linear in the attention {a.name} (Σ_j f(α_ji) is no ratio of sums)")
    return "weighted", max(r for _, r in read.values())


def _term_kind(cell, target, t, kinds):
    kind, level = kinds[t.vector]
    op = t.operator
    if op is None or op == "sum_units":
        return kind, level
    if op in ("gather_src", "gather_dst"):
        if kind != "node":
            raise _Outside(f"{target}: {op} of {t.vector}, which is not a node value")
        return "message", level
    if op == "scatter_dst":
        if kind not in ("message", "weighted"):
            raise _Outside(f"{target}: scatter_dst of {t.vector}, which is not a message")
        return "node", level + 1
    if op in AGGREGATIONS:
        if kind != "node":
            raise _Outside(f"{target}: {op} of {t.vector}, which is not a node value")
        return "node", level + 1
    raise _Outside(f"{target}: {op} reads beyond the in-edges of each node")


def _analyse(cell, rounds):
    """The stages' kinds and rounds, as proof steps; raises :class:`_Outside`."""
    from ..codegen.layer_stages import _softmaxes

    soft = _softmaxes(cell)
    inner = {n for _, names in soft.values() for n in names}
    kinds = {}
    for d in cell.inputs:
        if cell.space(d.name) not in ("node", "edge"):
            raise _Outside(f"input {d.name} is per-{cell.space(d.name)}, neither a node nor an edge")
        kinds[d.name] = ("node" if cell.space(d.name) == "node" else "message", 0)
    kinds.update({d.name + PREV: ("node", 0) for d in cell.states})
    steps = [f"Inputs and previous states of {cell.name}: " + ", ".join(f"{n} ({k} of round {r})"
                                                                       for n, (k, r) in kinds.items())]
    for eq in cell.equations:
        t = eq.target
        if t in inner:
            continue
        if t in soft:
            e = soft[t][0]
            if kinds[e][0] != "message":
                raise _Outside(f"{t}: a softmax of {e}, which is not a message")
            kinds[t] = ("attention", kinds[e][1])
        elif eq.is_linear:
            parts = [_term_kind(cell, t, term, kinds) for term in cell.terms(t)
                     if not (term.matrix is None and cell.role(term.vector) == "param")]
            kinds[t] = _join(cell, t, parts)
        else:
            kinds[t] = _pointwise(cell, eq, kinds)
        steps.append(f"  {t}: {kinds[t][0]} of round {kinds[t][1]}")
    for s in cell.state_names:
        kind, level = kinds[s]
        if kind != "node" or level > rounds:
            raise _Outside(f"output {s} is a {kind} value of round {level}, not a node value of round ≤ {rounds}")
    used = sorted({t.operator for eq in cell.equations if eq.is_linear and eq.target not in inner
                   for t in cell.terms(eq.target) if t.operator in AGGREGATIONS})
    steps += [f"  {op} = S_dstᵀ diag(c) S_src by its definition: ⊕ = {AGGREGATIONS[op]}" for op in used]
    return steps


def _in_hops(ops, i):
    """Directed distance from every node to i over the operator's edges (j → i is one hop)."""
    dist, frontier = {i: 0}, [i]
    while frontier:
        nxt = []
        for v in frontier:
            for u in ops.src[ops.dst == v]:
                if int(u) not in dist:
                    dist[int(u)] = dist[v] + 1
                    nxt.append(int(u))
        frontier = nxt
    return dist


def _locality(cell, rounds, rng, examples):
    """Redraw far-away inputs on random graphs: ``(counterexample or None, largest move)`` of the output at a node."""
    from ..graphs.operators import GraphOperators
    from ..numeric import step
    from ..numeric.params import param_shapes, vector_sizes
    from ..testing.graphs import random_graph
    from .equivariance import _needs_undirected

    worst = 0.0
    for _ in range(examples):
        G = random_graph(rng, min_nodes=3, max_nodes=8, directed=not _needs_undirected(cell))
        ops = GraphOperators(G, **dict(cell.graph))
        N, i = G.number_of_nodes(), int(rng.integers(G.number_of_nodes()))
        dist = _in_hops(ops, i)
        far = [j for j in range(N) if dist.get(j, N + 1) > rounds]
        far_edges = [e for e in range(len(ops.dst)) if dist.get(int(ops.dst[e]), N + 1) > rounds - 1]
        sizes = {s.name: int(rng.integers(1, 4)) for s in cell.sizes}
        params = {k: rng.normal(size=v) for k, v in param_shapes(cell, sizes).items()}
        n = vector_sizes(cell, sizes)
        xs = {d.name: rng.normal(size=(ops.rows(cell.space(d.name)), n[d.name])) for d in cell.inputs}
        prev = {d.name: rng.normal(size=(N, n[d.name])) for d in cell.states}
        xs2 = {k: v.copy() for k, v in xs.items()}
        prev2 = {k: v.copy() for k, v in prev.items()}
        for k, v in list(xs2.items()) + list(prev2.items()):
            rows = far_edges if k in xs and cell.space(k) == "edge" else far
            v[rows] = rng.normal(size=(len(rows), v.shape[1]))
        with np.errstate(all="ignore"):
            a, b = step(cell, params, xs, prev, operators=ops), step(cell, params, xs2, prev2, operators=ops)
        for s in cell.state_names:
            d = float(np.max(np.abs(a[s][i] - b[s][i])))
            if not d <= 1e-9 * (1 + float(np.max(np.abs(a[s][i])))):
                exact = _recheck(cell, params, (xs, prev), (xs2, prev2), ops, i, s)
                if exact is not None:
                    return {"nodes": N, "edges": [list(map(int, e)) for e in G.edges()], "node": i, "redrawn": far,
                            "output": s, "difference": exact}, worst
            worst = max(worst, d)
    return None, worst


def _recheck(cell, params, first, second, ops, i, s):
    from ..numeric import step
    from . import exact
    from .numeric import _text

    with exact.precision():
        mp = lambda d: {k: exact.mp_array(v) for k, v in d.items()}  # noqa: E731
        a = step(cell, mp(params), mp(first[0]), mp(first[1]), operators=ops)[s][i:i + 1]
        b = step(cell, mp(params), mp(second[0]), mp(second[1]), operators=ops)[s][i:i + 1]
        absolute, relative = exact.max_difference(b, a)
    return _text(absolute) if relative > exact.TIE else None


@claim("message_passing")
def message_passing(description, *, rounds: int = 1, examples: int = 10) -> Result:
    """Prove that a graph description is ``rounds`` rounds of one message-passing form (see the module docstring).

    Parameters
    ----------
    description : Cell
        A graph layer or graph-recurrent cell.
    rounds : int
        The rounds claimed (1: one layer m_i = ⊕_j M(h_i, h_j, e_ji), h_i' = U(h_i, m_i)).
    examples : int
        Random graphs of the cross-examination (three times as many in a search for a counterexample).

    Examples
    --------
    >>> from symrnn.graphs import layers
    >>> message_passing(layers.gcn()).status, message_passing(layers.gat(2)).status
    ('proved', 'proved')
    >>> message_passing(layers.cheb(3)).status   # two hops: not one round
    'refuted'

    References
    ----------
    J. Gilmer et al., "Neural Message Passing for Quantum Chemistry", ICML 2017.
    """
    cell = as_cell(description)
    if not cell.is_graph:
        raise SpecError(f"message_passing: {cell.name!r} has no node or edge vectors")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise SpecError(f"message_passing: rounds must be an integer >= 0, got {rounds!r}")
    purpose = ("message_passing", cell.name, rounds)
    claim_text = f"Claim: {cell.name} is {rounds} round(s) of m_i = ⊕_{{j→i}} M(h_i, h_j, e_ji), h_i' = U(h_i, m_i)."
    try:
        steps = [claim_text] + _analyse(cell, rounds)
    except _Outside as why:
        found, _ = _locality(cell, rounds, seeded_rng(*purpose), 3 * examples)
        if found is None:
            return Result("undecided", "structure of the description", [claim_text, f"outside the form: {why}"])
        return Result("refuted", "structure of the description; redrawing far-away inputs (reference evaluator)",
                      [claim_text, f"outside the form: {why}",
                       f"on a graph of {found['nodes']} nodes, redrawing the inputs of nodes more than {rounds} "
                       f"in-hop(s) from node {found['node']} moves {found['output']} there"], counterexample=found)
    steps.append("Induction over the stages: every output is a node value of round ≤ "
                 f"{rounds}, so it is {rounds} round(s) of the form on every graph, for every size.")
    with cross_examining():
        found, worst = _locality(cell, rounds, seeded_rng("cross", *purpose), examples)
    if found is not None:
        return inconsistent(steps, found, "redrawing far-away inputs on a random graph")
    return Result("proved", "structure of the description (kinds and rounds of every stage)", steps,
                  cross_examination=f"{examples} random graphs: redrawing the inputs of nodes more than {rounds} "
                                    f"in-hop(s) away left the output at the node unmoved (largest move {worst:.1e})")
