"""Level-batched forward and backward passes of a tree model over a forest.

Schedule (see :class:`~symrnn.trees.forest.Forest` and
:mod:`~symrnn.trees.schedule`): rows are sorted by level (height; leaves
first) and each level is cut into blocks of at most ``block_rows`` rows
(rows of one level are independent, so every block is a batch).  Forward
runs the blocks level by level.  On a block it copies the children's
states, which the forest's row order keeps in a few runs of consecutive
rows (``S[rows]`` as slices); reads its rows' features from the input
order (``features[node[r0:r1]]``: the layout never copies them); runs the
per-child cell on all the block's edges at once (its x terms once per
parent, then repeated per edge);
reduces per parent (Child-Sum: a 0/1 CSR matrix, built once per block,
times the children's rows — a segment sum; N-ary: a scatter into slot ℓ,
zero when absent); computes every linear term of the node cell with one
GEMM, ``[x | 1 | child vectors] @ [W | b | U]ᵀ`` (``[x | 1]`` alone where
every child vector is zero: the leaves); and runs the node cell's pointwise
stages, writing the states straight into the forest's rows.  So a block
costs one GEMM per cell, whatever the number of trees.  The tape keeps only
the values the partials read, less the children's states, which backward
copies again (slices are cheaper than the memory they would hold).
Backward runs the blocks in reverse with the transposed gathers (a child's
adjoint is added to its rows as slices); per block, ``dA @ [W | b | U]``
gives ∂L/∂x and the child vectors' adjoints and ``dAᵀ [x | 1 | child
vectors]`` every matrix and bias gradient of the node cell, two GEMMs.

Blocks of about a thousand rows keep a block's temporaries in cache while
each GEMM still multiplies a thousand rows; whole levels of a 1e5-node
forest (tens of MB per vector) ran at memory speed.  The cost is linear in
the number of nodes (each node and edge is touched a constant number of
times) plus a per-block overhead: about ``N / block_rows`` blocks plus one
per level of the tallest tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import InputError
from ..numeric.params import as_rng, float_dtype, param_shapes, positive_number, real_array, resolve_sizes
from .models import TreeModel
from .stage import STATIC, Stage
from .forest import Forest, forest as make_forest
from .inputs import NodeInputs, with_bias
from .schedule import BLOCK_ROWS, blocks, check_rows
from .tree import TreeError

__all__ = ["TreeKernel", "TreeRun", "compile_tree"]


@dataclass
class TreeRun:
    """Result of :meth:`TreeKernel.forward`: states ``(N, H)`` per name, in ``forest`` row order.

    ``forest.roots`` are the roots' rows; ``forest.values(states["h"], tree)``
    gives ``{node: h}`` for one tree.  ``tape`` is what the backward pass
    reads, per block, besides ``states`` (it copies the children's states
    from there again, so they must not be changed in between); ``None``
    after ``forward(..., tape=False)``.
    """

    forest: Forest
    states: dict
    tape: list | None
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
    block_rows : int
        At most this many rows of a level run at once
        (:mod:`~symrnn.trees.schedule`; the default suits H of a few tens).
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

    def __init__(self, model: TreeModel, *, dtype=np.float64, block_rows: int = BLOCK_ROWS, **sizes):
        if not isinstance(model, TreeModel):
            raise InputError(f"model must be a symrnn.trees TreeModel, got {type(model).__name__}")
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
        self.block_rows = check_rows(block_rows)
        self.node_inputs = NodeInputs(model, self.node, self.edge, self.D, self.dtype)

    def init_params(self, *, rng=None, scale: float | None = None) -> dict:
        """Random parameters, uniform in (-1/sqrt(H), 1/sqrt(H)) (or ``scale``), in the kernel's dtype."""
        rng = as_rng(rng)
        k = positive_number(scale, "scale") if scale is not None else 1.0 / np.sqrt(max(self.H.values()))
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
        return {n: real_array(params[n], f"params: {n!r}", s, dtype=self.dtype) for n, s in self.shapes.items()}

    def _forest(self, trees) -> Forest:
        f = trees if isinstance(trees, Forest) else make_forest(trees)
        if f.features.shape[1] != self.D:
            k, v = f.name(0)
            raise TreeError(f"node {v!r}: feature has shape ({f.features.shape[1]},), expected ({self.D},) (D={self.D})",
                            node=v, tree=k)
        N = self.model.arity
        if N is not None:
            bad = np.flatnonzero(f.n_children > N)
            if bad.size:
                k, v = f.name(bad[0])
                raise TreeError(f"node {v!r} has {f.n_children[bad[0]]} children; the {N}-ary model "
                                f"{self.model.name!r} accepts at most {N}", node=v, tree=k)
            bad = np.flatnonzero(f.slot >= N)
            if bad.size:
                k, v = f.name(f.parent_rows[bad[0]])
                raise TreeError(f"node {v!r}: a child has position {f.slot[bad[0]]}; the {N}-ary model "
                                f"{self.model.name!r} has positions 0..{N - 1}", node=v, tree=k)
        return f

    # ------------------------------------------------------------- forward
    def forward(self, params: Mapping, trees, *, tape: bool = True) -> TreeRun:
        """States of every node.

        Parameters
        ----------
        params : dict
            Parameter arrays by name (shapes as declared; see :meth:`init_params`).
        trees : Forest, networkx graph, or a sequence of graphs
            Validated (and laid out) with :func:`symrnn.trees.forest` if not a Forest.
        tape : bool
            Keep what :meth:`backward` reads (default).  ``False`` is inference
            (as under ``torch.no_grad()``): each block's intermediate values are
            dropped as soon as its states are written, so memory is the states
            plus one block (measured peak at 1e5 nodes, D = H = 32, Child-Sum:
            153 MB with the tape, 57 MB without; the time is about the same).

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
        X, dt, io = f.features, self.dtype, self.node_inputs  # input order: each block gathers its rows
        Wz = io.weights(params)
        if self.edge is not None:
            We = with_bias(*self.edge.static_weights(params, self.D, dt))
            eG = self.edge.group_weights(params, dt)
        S = {s: np.empty((f.size, n), dt) for s, n in self.H.items()}  # every row is written by its block
        kept = [] if tape else None
        for blk in blocks(f, self.block_rows):
            Z = io.stack(X[f.node[blk.r0:blk.r1]], blk.edges)
            kids = {st: blk.gather(S[st]) for st in io.kids} if blk.edges else {}
            EV = None
            if self.edge is not None and blk.edges:
                Ae = Z[:, :self.D + 1] @ We.T  # the per-child cell's terms in the parent's x, once per parent
                EV = self.edge.forward(params, blk.per_edge(Ae), {f"{st}_k": kids[st] for st in io.edge_kids}, eG)
            inputs, zero = io.gather(blk, kids, EV)
            k = io.fill(Z, inputs, zero)
            A = Z[:, :k] @ Wz[:, :k].T  # every linear term of the node cell: one GEMM
            V = self.node.forward(params, A, inputs, {}, zero, into={s: S[s][blk.r0:blk.r1] for s in S})
            if tape:
                kept.append((blk, io.taped(self.node, V), None if EV is None else io.taped(self.edge, EV)))
        return TreeRun(f, S, kept, params)

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
        if not isinstance(run, TreeRun) or run.tape is None:
            raise InputError("run must be the TreeRun of this kernel's forward() with tape=True (the default)")
        if not isinstance(grads, Mapping):
            raise InputError(f"grads must be a dict of state name -> (N, H) array, got {type(grads).__name__}")
        unknown = [k for k in grads if k not in self.H]
        if unknown:
            raise InputError(f"grads: unknown states {unknown}; states are {list(self.H)}")
        f, params, dt, io = run.forest, run.params, self.dtype, self.node_inputs
        N = f.size
        dS = {s: np.zeros((N, n), dt) if grads.get(s) is None else
              real_array(grads[s], f"grads[{s!r}]", (N, n), dtype=dt).copy() for s, n in self.H.items()}
        out, egw = {}, {}
        X = f.features
        Wz = io.weights(params)
        dWz, dX = np.zeros_like(Wz), np.empty((N, self.D), dt)
        if self.edge is not None:
            We = with_bias(*self.edge.static_weights(params, self.D, dt))
            eG = self.edge.group_weights(params, dt)
            dWe = np.zeros_like(We)
        for blk, V, EV in reversed(run.tape):
            r0, r1 = blk.r0, blk.r1
            kids = {st: blk.gather(run.states[st]) for st in io.kids} if blk.edges else {}
            V = dict(V, **io.gather(blk, kids, None, edge=False)[0])
            Z = io.stack(X[f.node[r0:r1]], blk.edges)
            k = io.fill(Z, V, V["_zero"])
            if EV is not None:
                EV = dict(EV, **{f"{st}_k": kids[st] for st in io.edge_kids})
            dA = np.zeros((blk.n, self.node.width), dt)  # adjoint of the node cell's pre-activations
            adj_in, _ = self.node.backward(params, V, {s: dS[s][r0:r1] for s in dS}, {}, out, {}, dA)
            dWz[:, :k] += dA.T @ Z[:, :k]
            dZ = dA @ Wz[:, :k]
            dX[r0:r1] = dZ[:, :self.D]
            for v, cols in io.cols.items():
                if k > cols.start:
                    adj_in[v] = adj_in[v] + dZ[:, cols] if v in adj_in else dZ[:, cols]
            if not blk.edges:
                continue
            kid_adj, edge_adj = io.scatter(blk, adj_in)
            if self.edge is not None and edge_adj:
                e_in, e_static = self.edge.backward(params, EV, edge_adj, eG, out, egw)
                for s in io.edge_kids:
                    if f"{s}_k" in e_in:
                        kid_adj[s] = kid_adj[s] + e_in[f"{s}_k"] if s in kid_adj else e_in[f"{s}_k"]
                dAe = np.asarray(blk.sum_matrix(dt) @ e_static)  # per parent: the x terms are the parent's
                dWe += dAe.T @ Z[:, :self.D + 1]
                dX[r0:r1] += dAe @ We[:, :self.D]
            for s, a in kid_adj.items():
                blk.scatter_add(dS[s], a)
        self.node.split_static(dWz[:, :self.D], dWz[:, self.D], out)
        self.node.split_groups({v: dWz[:, cols] for v, cols in io.cols.items()}, out)
        if self.edge is not None:
            self.edge.split_static(dWe[:, :self.D], dWe[:, self.D], out)
            self.edge.split_groups(egw, out)
        grads_out = {n: np.asarray(out.get(n, np.zeros(s)), dtype=dt).reshape(s) for n, s in self.shapes.items()}
        grads_out["x"] = dX
        return grads_out


def compile_tree(model: TreeModel, *, dtype=np.float64, block_rows: int = BLOCK_ROWS, **sizes) -> TreeKernel:
    """A :class:`TreeKernel` for ``model`` at sizes ``D=…, H=…`` (``dtype`` float64 or float32).

    ``block_rows`` caps the rows run at once (see :mod:`symrnn.trees.schedule`).

    Examples
    --------
    >>> from symrnn import trees
    >>> compile_tree(trees.nary_tree_lstm(2), D=4, H=8).shapes["U_f1_2"]
    (8, 8)
    """
    return TreeKernel(model, dtype=dtype, block_rows=block_rows, **sizes)
