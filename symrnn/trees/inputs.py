"""A block's node-cell inputs: read from the children, stacked for one GEMM, and sent back.

The tree kernel (:mod:`symrnn.trees.kernel`) runs the node cell on a block
of rows.  Its inputs come from the children through the model's gathers
(:class:`~symrnn.trees.models.Gather`): a sum over the children (Child-Sum;
a 0/1 CSR matrix times the children's rows) or the child at slot ℓ (N-ary;
zero when absent).  Every linear term of the node cell is then one GEMM,
``[x | 1 | child vectors] @ [W | b | U]ᵀ``; its transpose in the backward
pass gives ∂L/∂x, the child vectors' adjoints and every matrix and bias
gradient at once.  The backward pass sends the child vectors' adjoints back
along the gathers (:meth:`NodeInputs.scatter`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["NodeInputs", "with_bias"]


def with_bias(W, b):
    """``[W | b]``: the matrix that multiplies ``[x | 1]``."""
    return np.hstack([W, b[:, None]])


class NodeInputs:
    """The gathers of ``model`` for its compiled cells ``node`` and ``edge`` (:class:`~symrnn.trees.stage.Stage`).

    ``kids`` are the child states copied per edge (read by the per-child
    cell or by a gather), ``cols[v]`` the columns of child vector ``v`` in
    ``[x | 1 | child vectors]`` (``K`` columns in all), ``regathered`` the
    values a tape need not keep: the backward pass copies the children's
    states again and recomputes the gathers that read them.
    """

    def __init__(self, model, node, edge, D, dtype):
        self.model, self.node, self.edge, self.D, self.dtype = model, node, edge, D, dtype
        self.edge_kids = tuple(s for s in model.states if edge is not None and f"{s}_k" in edge.inputs)
        self.kids = tuple(s for s in model.states
                          if s in self.edge_kids or any(not g.edge and g.source == s for g in model.gathers))
        self.cols, k = {}, D + 1
        for v in node.groups:
            self.cols[v] = slice(k, k + node.n[v])
            k += node.n[v]
        self.K = k
        self.regathered = frozenset([f"{s}_k" for s in self.edge_kids] + [g.target for g in model.gathers if not g.edge])

    def weights(self, params):
        """The node cell's linear terms as one (width, K) matrix ``[W | b | U]``: x matrices, biases, child-vector matrices."""
        G = self.node.group_weights(params, self.dtype)
        return np.hstack([with_bias(*self.node.static_weights(params, self.D, self.dtype))] + [G[v] for v in self.cols])

    def stack(self, xb, wide):
        """``[x | 1 | ·]`` of a block: the child vectors' columns (only if ``wide``) are left to :meth:`fill`."""
        Z = np.empty((xb.shape[0], self.K if wide else self.D + 1), self.dtype)
        Z[:, :self.D] = xb
        Z[:, self.D] = 1
        return Z

    def fill(self, Z, inputs, zero):
        """The child vectors into their columns of ``Z`` (``inputs`` then hold views); the columns in use."""
        if Z.shape[1] == self.D + 1 or all(v in zero for v in self.cols):
            return self.D + 1
        for v, cols in self.cols.items():
            Z[:, cols] = inputs[v]
            inputs[v] = Z[:, cols]
        return self.K

    def taped(self, stage, V):
        """What the backward pass reads of a stage's values, less what it copies again (:attr:`regathered`)."""
        return {k: v for k, v in stage.taped(V).items() if k not in self.regathered}

    def gather(self, blk, kids, EV, edge=True):
        """The node cell's inputs on a block, and the names that are zero in every row (no GEMM).

        ``kids`` are the children's states in edge order, ``EV`` the per-child
        cell's values; ``edge=False``: only the inputs read from the children's states.
        """
        inputs, zero = {}, set()
        for g in self.model.gathers:
            if g.edge and not edge:
                continue
            src = (EV if g.edge else kids).get(g.source) if blk.edges else None
            if g.op == "sum" and src is not None:
                inputs[g.target] = np.asarray(blk.sum_matrix(self.dtype) @ src)
                continue
            out = np.zeros((blk.n, self.node.n[g.target]), self.dtype)
            e = blk.slots.get(g.slot) if g.op == "slot" and src is not None else None
            if e is None:
                zero.add(g.target)
            else:
                out[blk.parent[e]] = src[e]
            inputs[g.target] = out
        return inputs, frozenset(zero)

    def scatter(self, blk, adj_in):
        """The inputs' adjoints sent back along the gathers, per edge: ``(by child state, by per-child value)``."""
        kid_adj, edge_adj = {}, {}
        for g in self.model.gathers:
            a = adj_in.get(g.target)
            if a is None:
                continue
            if g.op == "sum":
                back = blk.per_edge(a)
            else:
                e = blk.slots.get(g.slot)
                if e is None:
                    continue
                back = np.zeros((blk.edges, a.shape[1]), self.dtype)
                back[e] = a[blk.parent[e]]
            into = edge_adj if g.edge else kid_adj
            into[g.source] = into[g.source] + back if g.source in into else back
        return kid_adj, edge_adj
