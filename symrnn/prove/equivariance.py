"""Permutation equivariance of a graph description, proved for every graph by its structure.

Relabel the nodes of a graph by a permutation (P) and list its edges in any
other order (Q); per-edge inputs (an edge weight) move with their edges.  A description built from

* per-row linear maps ``W @ v`` and biases (they act on each row alone),
* per-unit pointwise stages (they act on each row alone), and
* graph operators that are *covariant* — Op(πG) = Π_target Op(G) Π_sourceᵀ,
  each proved by :func:`symrnn.graphs.covariance.covariance`,

computes, on the relabelled graph and the relabelled inputs, the relabelled
values: by induction over the stages, every vector of the step is Π times
the original one (a per-row map commutes with a row permutation; a covariant
operator turns Π_source v into Π_target Op v).  Hence every output is
permutation equivariant, for every graph and every size.  A graph-recurrent
cell inherits it at every step (induction over time).

:func:`permutation_equivariant` checks that every stage is of these kinds,
proves each operator's covariance, and cross-examines the conclusion with the
reference evaluator (:func:`symrnn.numeric.step`) on random graphs with
random relabellings of nodes and edges.  ``invariant=True`` claims the
stronger (and, for node outputs, false) statement that outputs do not move.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from .context import claim, cross_examining
from .context import rng as seeded_rng
from .normal_form import as_cell
from .verdict import Result, all_of, inconsistent

__all__ = ["permutation_equivariant", "UNDIRECTED"]

UNDIRECTED = {"gcn_norm", "gcn_norm_T", "cheb_lt", "cheb_lt_T", "laplacian", "laplacian_T", "eig", "eig_T"}
"""Operators defined on undirected graphs only (their checks draw undirected graphs)."""


def _relabel(G, perm, edge_perm_seed):
    """G with node i renamed perm[i] and its edges inserted in a shuffled order."""
    import networkx as nx

    H = G.__class__()
    H.add_nodes_from(range(len(perm)))  # rows follow the new labels 0..N−1
    edges = list(G.edges(data=True))
    order = np.random.default_rng(edge_perm_seed).permutation(len(edges))
    H.add_edges_from((int(perm[edges[k][0]]), int(perm[edges[k][1]]), edges[k][2]) for k in order)
    assert isinstance(H, nx.Graph)
    return H


def _check(cell, invariant, rng, examples):
    from ..graphs.operators import GraphOperators
    from ..numeric import step
    from ..numeric.params import param_shapes, vector_sizes
    from ..testing.graphs import random_graph

    worst = 0.0
    for _ in range(examples):
        directed = bool(rng.random() < 0.5) and not _needs_undirected(cell)
        G = random_graph(rng, min_nodes=2, max_nodes=8, directed=directed)
        N = G.number_of_nodes()
        perm = rng.permutation(N)
        H = _relabel(G, perm, int(rng.integers(1 << 30)))
        sizes = {s.name: int(rng.integers(1, 4)) for s in cell.sizes}
        params = {k: rng.normal(size=v) for k, v in param_shapes(cell, sizes).items()}
        n = vector_sizes(cell, sizes)
        ops, ops_h = GraphOperators(G, **dict(cell.graph)), GraphOperators(H, **dict(cell.graph))
        rows = {"node": N, "edge": ops.rows("edge")}
        xs = {d.name: rng.normal(size=(rows[cell.space(d.name)], n[d.name])) for d in cell.inputs
              if cell.space(d.name) in rows}
        prev = {d.name: rng.normal(size=(N, n[d.name])) for d in cell.states}
        moves = {"node": perm, "edge": _edge_move(ops, ops_h, perm)}
        moved = lambda d: {k: _move(v, moves[cell.space(k)]) for k, v in d.items()}  # noqa: E731
        with np.errstate(all="ignore"):
            a = step(cell, params, xs, prev, operators=ops)
            b = step(cell, params, moved(xs), moved(prev), operators=ops_h)
        for s in cell.state_names:
            want = a[s] if invariant else _move(a[s], moves[cell.space(s)])
            d = float(np.max(np.abs(b[s] - want))) if want.size else 0.0
            if not d <= 1e-9 * (1 + float(np.max(np.abs(want)))):
                exact = _recheck(cell, params, xs, prev, ops, ops_h, moved, moves[cell.space(s)], s, invariant)
                if exact is not None:  # only a difference that survives 60 digits
                    return {"nodes": N, "edges": [list(e) for e in G.edges()], "perm": perm.tolist(), "output": s,
                            "difference": exact}, worst
            worst = max(worst, d)
    return None, worst


def _recheck(cell, params, xs, prev, ops, ops_h, moved, perm, s, invariant):
    """The same comparison at 60 digits (operators' entries exactly, as dense matrices); the difference or None."""
    from ..numeric import step
    from . import exact
    from .numeric import _text

    with exact.precision():
        mp = lambda d: {k: exact.mp_array(v) for k, v in d.items()}  # noqa: E731
        a = step(cell, mp(params), mp(xs), mp(prev), operators=ops)[s]
        b = step(cell, mp(params), mp(moved(xs)), mp(moved(prev)), operators=ops_h)[s]
        absolute, relative = exact.max_difference(b, a if invariant else _move(a, perm))
    return _text(absolute) if relative > exact.TIE else None


def _move(v, perm):
    out = np.empty_like(v)
    out[perm] = v
    return out


def _edge_move(ops, ops_h, perm):
    """Where each row of G's edge space lands in the relabelled graph's (edge (j, i) ↦ (π j, π i); copies in order)."""
    N = len(perm)
    key = np.asarray(perm)[ops.src] * N + np.asarray(perm)[ops.dst]
    key_h = np.asarray(ops_h.src) * N + np.asarray(ops_h.dst)
    out = np.empty(len(key), dtype=np.int64)
    out[np.argsort(key, kind="stable")] = np.argsort(key_h, kind="stable")
    return out


def _needs_undirected(cell):
    return bool(_operators(cell) & UNDIRECTED)


def _operators(cell):
    return {t.operator for eq in cell.equations if eq.is_linear for t in cell.terms(eq.target) if t.operator}


@claim("permutation_equivariant")
def permutation_equivariant(description, *, invariant: bool = False, examples: int = 12) -> Result:
    """Prove that relabelling a graph's nodes (and reordering its edges) relabels the description's outputs.

    Parameters
    ----------
    description : Cell
        A graph layer or graph-recurrent cell (node and edge vectors).
    invariant : bool
        Claim instead that the outputs do not move at all (false for per-node
        outputs; kept so that the claim can be attacked and refuted).
    examples : int
        Random graphs of the cross-examination (or of the search for a counterexample).

    Examples
    --------
    >>> from symrnn.graphs import layers
    >>> permutation_equivariant(layers.gat(2)).status
    'proved'
    >>> permutation_equivariant(layers.gcn(), invariant=True).status
    'refuted'

    References
    ----------
    Z. Wu et al., "A Comprehensive Survey on Graph Neural Networks", IEEE TNNLS 2021;
    J. Gilmer et al., "Neural Message Passing for Quantum Chemistry", ICML 2017.
    """
    from ..graphs.covariance import covariance

    cell = as_cell(description)
    if not cell.is_graph:
        raise SpecError(f"permutation_equivariant: {cell.name!r} has no node or edge vectors")
    purpose = ("permutation_equivariant", cell.name, invariant)
    if invariant:
        found, _ = _check(cell, True, seeded_rng(*purpose), examples)
        if found is not None:
            return Result("refuted", "relabelling on random graphs (reference evaluator)",
                          [f"Claim: relabelling the graph leaves the outputs of {cell.name} unchanged.",
                           f"A random graph on {found['nodes']} nodes and a relabelling move output {found['output']}."],
                          counterexample=found)
        return Result("checked", "relabelling on random graphs", ["no output moved"], examples=examples)
    steps = [f"Structure of {cell.name}: every stage is a per-row linear map, a per-unit pointwise stage or a graph "
             "operator; per-row and per-unit stages commute with any permutation of the rows."]
    for eq in cell.equations:
        kind = "linear" if eq.is_linear else "pointwise"
        ops = sorted({t.operator for t in cell.terms(eq.target) if t.operator}) if eq.is_linear else []
        steps.append(f"  {eq.target}: {kind}" + (f", operators {', '.join(ops)}" if ops else "") + f" (per-{cell.space(eq.target)})")
    lemmas = [covariance(op).with_steps(f"Lemma: {op} is covariant.") for op in sorted(_operators(cell))]
    steps.append("Induction over the stages: each vector of πG is Π times the vector of G, so every output is; "
                 "a graph-recurrent cell keeps this at every step (induction over time).")
    structural = Result("proved", "structure", steps)
    result = all_of(*lemmas, structural, method="structural induction over the stages + covariant operators")
    if result.status != "proved":
        return result
    with cross_examining():
        found, worst = _check(cell, False, seeded_rng("cross", *purpose), examples)
    if found is not None:
        return inconsistent(result.steps, found, "the reference evaluator on a relabelled random graph")
    line = (f"cross-examined with the reference evaluator (symrnn.numeric.step): {examples} random graphs (directed "
            f"and undirected), random relabellings of nodes and edges: outputs moved with the nodes (largest "
            f"difference {worst:.1e})")
    return Result("proved", result.method, result.steps, cross_examination="; ".join(
        [c for c in (result.cross_examination, line) if c]))
