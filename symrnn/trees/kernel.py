"""Level-batched forward and backward passes of a tree model over a forest.

Schedule (see :class:`~symrnn.trees.forest.Forest`): rows are sorted by level
(height; leaves first).  Forward runs level 0, 1, …: for the edges whose
parent is in the level it gathers the children's states (``X[rows]``), runs
the edge cell on all of them at once, reduces them per parent (Child-Sum: a
sparse 0/1 incidence matrix times the children's rows — a segment sum; N-ary:
a scatter into slot ℓ, zero when absent), then runs the node cell on the
whole level.  So a level costs one GEMM per child vector, whatever the
number of trees, and the features' terms of every node are one GEMM for the
whole forest; inputs that are zero on a whole level (the leaves' children)
skip their GEMM.  Backward runs
the levels in reverse with the transposed gathers; the gradients of the x
matrices and of x are one GEMM each over the whole forest.

The cost is linear in the number of nodes (each node and edge is touched a
constant number of times) plus a per-level overhead proportional to the
height of the tallest tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from ..numeric.params import param_shapes, resolve_sizes
from .models import TreeModel
from .stage import STATIC, Stage
from .forest import Forest, forest as make_forest
from .tree import TreeError

__all__ = ["TreeKernel", "TreeRun", "compile_tree"]


@dataclass
class TreeRun:
    """Result of :meth:`TreeKernel.forward`: states ``(N, H)`` per name, in ``forest`` row order.

    ``forest.roots`` are the roots' rows; ``forest.values(states["h"], tree)``
    gives ``{node: h}`` for one tree.  ``tape`` is what the backward pass reads.
    """

    forest: Forest
    states: dict
    tape: list
    params: dict

    @property
    def roots(self) -> dict:
        """States of the roots, ``(n_trees, H)`` per name."""
        return {s: v[self.forest.roots] for s, v in self.states.items()}


class TreeKernel:
    """Forward and backward passes of a :class:`~symrnn.trees.models.TreeModel` at concrete sizes.

    Parameters
    ----------
    model : TreeModel
    dtype : numpy dtype
        ``float64`` (default) or ``float32``: parameters, features and every
        buffer are cast to it.
    D, H : int
        Feature and state sizes (the model's size names, given by keyword).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> from symrnn import trees
    >>> k = trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=3)
    >>> G = nx.DiGraph([("r", "a"), ("r", "b")])
    >>> nx.set_node_attributes(G, {"r": [0.0, 1.0], "a": [1.0, 0.0], "b": [0.5, 0.5]}, "x")
    >>> params = k.init_params(rng=0)
    >>> run = k.forward(params, G)
    >>> run.roots["h"].shape
    (1, 3)
    >>> g = k.backward(run, {"h": np.ones((3, 3))})
    >>> g["W_f"].shape, g["x"].shape
    ((3, 2), (3, 2))
    """

    def __init__(self, model: TreeModel, *, dtype=np.float64, **sizes):
        if not isinstance(model, TreeModel):
            raise InputError(f"model must be a symrnn.trees TreeModel, got {type(model).__name__}")
        from ..numeric.params import float_dtype

        self.dtype = float_dtype(dtype)
        resolve_sizes(model.node, sizes)
        self.model = model
        self.sizes = dict(sizes)
        self.node = Stage(model.node, sizes)
        self.edge = Stage(model.edge, sizes) if model.edge is not None else None
        self.shapes = {}
        for c in model.cells:
            self.shapes.update(param_shapes(c, sizes))
        self.D = self.node.n[STATIC]
        self.H = {s: self.node.n[s] for s in model.states}

    def init_params(self, *, rng=None, scale: float | None = None) -> dict:
        """Random parameters, uniform in (-1/sqrt(H), 1/sqrt(H)) (or ``scale``), in the kernel's dtype."""
        rng = np.random.default_rng(rng)
        k = scale if scale is not None else 1.0 / np.sqrt(max(self.H.values()))
        return {n: rng.uniform(-k, k, s).astype(self.dtype) for n, s in self.shapes.items()}

    # -------------------------------------------------------------- checks
    def _params(self, params: Mapping) -> dict:
        if not isinstance(params, Mapping):
            raise InputError(f"params must be a dict of name -> array, got {type(params).__name__}")
        missing = [n for n in self.shapes if n not in params]
        if missing:
            raise InputError(f"params: missing {missing} for {self.model.name!r}; expected {sorted(self.shapes)}")
        extra = [n for n in params if n not in self.shapes]
        if extra:
            raise InputError(f"params: unknown {extra} for {self.model.name!r}; expected {sorted(self.shapes)}")
        out = {}
        for n, s in self.shapes.items():
            a = np.asarray(params[n], dtype=self.dtype)
            if a.shape != s:
                raise InputError(f"params: {n!r} has shape {a.shape}, expected {s}")
            out[n] = a
        return out

    def _forest(self, trees) -> Forest:
        f = trees if isinstance(trees, Forest) else make_forest(trees)
        if f.X.shape[1] != self.D:
            k, v = f.nodes[0]
            raise TreeError(f"node {v!r}: feature has shape ({f.X.shape[1]},), expected ({self.D},) (D={self.D})",
                            node=v, tree=k)
        N = self.model.arity
        if N is not None:
            bad = np.flatnonzero(f.n_children > N)
            if bad.size:
                k, v = f.nodes[bad[0]]
                raise TreeError(f"node {v!r} has {f.n_children[bad[0]]} children; the {N}-ary model "
                                f"{self.model.name!r} accepts at most {N}", node=v, tree=k)
            bad = np.flatnonzero(f.slot >= N)
            if bad.size:
                k, v = f.nodes[f.parent_rows[bad[0]]]
                raise TreeError(f"node {v!r}: a child has position {f.slot[bad[0]]}; the {N}-ary model "
                                f"{self.model.name!r} has positions 0..{N - 1}", node=v, tree=k)
        return f

    # ------------------------------------------------------------- forward
    def forward(self, params: Mapping, trees) -> TreeRun:
        """States of every node.

        Parameters
        ----------
        params : dict
            Parameter arrays by name (shapes as declared; see :meth:`init_params`).
        trees : Forest, networkx graph, or a sequence of graphs
            Validated (and laid out) with :func:`symrnn.trees.forest` if not a Forest.

        Returns
        -------
        TreeRun

        Raises
        ------
        TreeError, InputError
            Before any computation: not a tree, bad features, too many
            children for an N-ary model, wrong parameters.
        """
        params = self._params(params)
        f = self._forest(trees)
        X, N, dt = f.X.astype(self.dtype, copy=False), f.size, self.dtype
        nW, nb = self.node.static_weights(params, self.D, X.dtype)
        A_node = X @ nW.T  # x terms of every node: one GEMM for the forest, completed level by level in place
        A_node += nb
        nG = self.node.group_weights(params, X.dtype)
        if self.edge is not None:
            eW, eb = self.edge.static_weights(params, self.D, X.dtype)
            A_edge = X @ eW.T  # the parent's x terms of the per-child cell, gathered per edge
            A_edge += eb
            eG = self.edge.group_weights(params, X.dtype)
        S = {s: np.zeros((N, n), dt) for s, n in self.H.items()}
        tape = []
        e_lo = np.searchsorted(f.parent_rows, f.offsets)
        for lvl in range(f.levels):
            r0, r1 = f.offsets[lvl], f.offsets[lvl + 1]
            e0, e1 = e_lo[lvl], e_lo[lvl + 1]
            ch, par = f.child_rows[e0:e1], f.parent_rows[e0:e1] - r0
            n, ne = r1 - r0, e1 - e0
            inc = incidence(n, par, np.arange(ne), ne, dt)
            edge_reads = [st for st in S if self.edge is not None and f"{st}_k" in self.edge.inputs]
            kids = {st: S[st][ch] for st in edge_reads}  # the children's rows, gathered once
            EV = None
            if self.edge is not None and ne:
                EV = self.edge.forward(params, A_edge[f.parent_rows[e0:e1]],
                                       {f"{st}_k": kids[st] for st in edge_reads}, eG)
            inputs, zero = {}, set()  # zero: inputs that are 0 in every row of the level (no GEMM)
            for g in self.model.gathers:
                width = self.node.n[g.target]
                if ne == 0:
                    inputs[g.target] = np.zeros((n, width), dt)
                    zero.add(g.target)
                    continue
                if g.op == "sum":
                    src = EV[g.source] if g.edge else kids.get(g.source)
                    inputs[g.target] = np.asarray(inc @ src) if src is not None else \
                        np.asarray(incidence(n, par, ch, N, dt) @ S[g.source])
                    continue
                out = np.zeros((n, width), dt)
                sel = f.slot[e0:e1] == g.slot
                if sel.any():
                    out[par[sel]] = EV[g.source][sel] if g.edge else S[g.source][ch[sel]]
                else:
                    zero.add(g.target)
                inputs[g.target] = out
            V = self.node.forward(params, A_node[r0:r1], inputs, nG, frozenset(zero))
            for s in S:
                S[s][r0:r1] = V[s]
            tape.append((V, EV, inc))
        return TreeRun(f, S, tape, params)

    # ------------------------------------------------------------ backward
    def backward(self, run: TreeRun, grads: Mapping) -> dict:
        """Gradients of a loss L given ∂L/∂(state) for every node.

        Parameters
        ----------
        run : TreeRun
            From :meth:`forward`.
        grads : dict
            ``{"h": (N, H), "c": (N, H)}`` in the run's row order; missing
            states count as zero.

        Returns
        -------
        dict
            ∂L/∂(parameter) for every parameter, and ``"x"``: ∂L/∂x, (N, D).
        """
        f, params = run.forest, run.params
        N = f.size
        dS = {}
        for s, n in self.H.items():
            g = grads.get(s)
            if g is None:
                dS[s] = np.zeros((N, n), self.dtype)
                continue
            g = np.asarray(g, dtype=self.dtype)
            if g.shape != (N, n):
                raise InputError(f"grads[{s!r}] has shape {g.shape}, expected {(N, n)}")
            dS[s] = g.copy()
        unknown = [k for k in grads if k not in self.H]
        if unknown:
            raise InputError(f"grads: unknown states {unknown}; states are {list(self.H)}")
        out: dict = {}
        nG = self.node.group_weights(params, self.dtype)
        dA_node = np.zeros((N, self.node.width), self.dtype)
        ngw: dict = {}
        if self.edge is not None:
            eG = self.edge.group_weights(params, self.dtype)
            dA_edge = np.zeros((N, self.edge.width), self.dtype)
            egw: dict = {}
        e_lo = np.searchsorted(f.parent_rows, f.offsets)
        for lvl in reversed(range(f.levels)):
            r0, r1 = f.offsets[lvl], f.offsets[lvl + 1]
            e0, e1 = e_lo[lvl], e_lo[lvl + 1]
            ch, par = f.child_rows[e0:e1], f.parent_rows[e0:e1] - r0
            V, EV, inc = run.tape[lvl]
            adj_in, adj_static = self.node.backward(params, V, {s: dS[s][r0:r1] for s in dS}, nG, out, ngw)
            dA_node[r0:r1] = adj_static
            if e1 == e0:
                continue
            edge_adj = {}
            for g in self.model.gathers:
                a = adj_in.get(g.target)
                if a is None:
                    continue
                if g.op == "sum":
                    if g.edge:
                        edge_adj[g.source] = edge_adj.get(g.source, 0) + a[par]
                    else:
                        dS[g.source][ch] += a[par]  # each child has one parent: no repeated rows
                    continue
                sel = f.slot[e0:e1] == g.slot
                if g.edge:
                    back = np.zeros((e1 - e0, a.shape[1]), self.dtype)
                    back[sel] = a[par[sel]]
                    edge_adj[g.source] = edge_adj.get(g.source, 0) + back
                else:
                    dS[g.source][ch[sel]] += a[par[sel]]
            if self.edge is not None and edge_adj:
                e_in, e_static = self.edge.backward(params, EV, edge_adj, eG, out, egw)
                for s in dS:
                    if f"{s}_k" in e_in:
                        dS[s][ch] += e_in[f"{s}_k"]
                dA_edge[r0:r1] += np.asarray(inc @ e_static)
        X = f.X.astype(self.dtype, copy=False)
        nW, _ = self.node.static_weights(params, self.D, X.dtype)
        self.node.split_static(dA_node.T @ X, dA_node.sum(0), out)
        self.node.split_groups(ngw, out)
        dX = dA_node @ nW
        if self.edge is not None:
            eW, _ = self.edge.static_weights(params, self.D, X.dtype)
            self.edge.split_static(dA_edge.T @ X, dA_edge.sum(0), out)
            self.edge.split_groups(egw, out)
            dX += dA_edge @ eW
        grads_out = {n: np.asarray(out.get(n, np.zeros(s)), dtype=self.dtype).reshape(s)
                     for n, s in self.shapes.items()}
        grads_out["x"] = dX
        return grads_out


def incidence(n: int, rows, cols, width: int, dtype=np.float64):
    """The 0/1 matrix with a one at (rows[e], cols[e]): ``incidence @ V`` sums V's rows per parent."""
    return sps.csr_matrix((np.ones(len(rows), dtype), (rows, cols)), shape=(n, width))


def compile_tree(model: TreeModel, *, dtype=np.float64, **sizes) -> TreeKernel:
    """A :class:`TreeKernel` for ``model`` at sizes ``D=…, H=…`` (``dtype`` float64 or float32).

    Examples
    --------
    >>> from symrnn import trees
    >>> compile_tree(trees.nary_tree_lstm(2), D=4, H=8).shapes["U_f1_2"]
    (8, 8)
    """
    return TreeKernel(model, dtype=dtype, **sizes)
