"""The tree kernel's schedule: a forest's levels cut into blocks, with the index arrays of each block.

Rows of one level are independent of each other, so a level can be cut
anywhere: a block is at most ``rows`` consecutive rows of one level and the
edges to their children (edges are sorted by parent row, so a block's edges
are consecutive too).  Blocks of about a thousand rows keep the temporaries
of a block (pre-activations, gates, gathered children) in cache while each
GEMM still multiplies a thousand rows; a whole level of a 1e5-node forest
is tens of megabytes per vector and runs at memory speed instead.

The index arrays are built once per forest and block size and kept on the
:class:`~symrnn.trees.forest.Forest`, so repeated forward and backward
passes over the same forest build nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps

from ..errors import InputError

__all__ = ["Block", "blocks", "check_rows", "BLOCK_ROWS"]

BLOCK_ROWS = 1024
"""Default rows per block: the fastest forward + backward in a sweep of 384 … 2048 rows on the 1e5-node
workloads of ``benchmarks/bench_trees.py`` (float64, H = 32; within 10 % across that range)."""


@dataclass(frozen=True)
class Block:
    """Rows ``r0:r1`` of one level and the edges to their children.

    A block's edges are ordered by child row: ``children[e]`` is the child's
    row of edge ``e``, ``parent[e]`` its parent's position in the block
    (0 … n-1), ``slots[ℓ]`` the edges whose child sits at position ℓ (N-ary
    gathers).  With the forest's row order the children are a few runs of
    consecutive rows (one per lower level), listed in ``runs`` as
    ``(first row, end row)``; ``runs`` is ``None`` when the runs are short
    (another row order) and rows are then gathered one by one.
    """

    r0: int
    r1: int
    children: np.ndarray
    parent: np.ndarray
    slots: dict
    runs: tuple | None
    _sums: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n(self) -> int:
        return self.r1 - self.r0

    @property
    def edges(self) -> int:
        return len(self.children)

    def sum_matrix(self, dtype) -> sps.csr_matrix:
        """The (n, edges) 0/1 matrix summing each row's children: ``sum_matrix @ V`` is a segment sum.

        Built once per dtype (a float64 matrix would promote float32 data).
        """
        key = np.dtype(dtype)
        m = self._sums.get(key)
        if m is None:
            m = sps.csr_matrix((np.ones(self.edges, key), (self.parent, np.arange(self.edges))),
                               shape=(self.n, self.edges))
            self._sums[key] = m
        return m

    def per_edge(self, rows: np.ndarray) -> np.ndarray:
        """Row ``parent[e]`` of ``rows`` (n, k) for each edge ``e``: the transpose of :meth:`sum_matrix`."""
        return rows.take(self.parent, axis=0)

    def gather(self, array: np.ndarray) -> np.ndarray:
        """The children's rows of a per-node array (N, k), in edge order: (edges, k)."""
        if self.runs is None:
            return array.take(self.children, axis=0)
        if len(self.runs) == 1:
            lo, hi = self.runs[0]
            return array[lo:hi].copy()
        return np.concatenate([array[lo:hi] for lo, hi in self.runs])

    def scatter_add(self, array: np.ndarray, values: np.ndarray) -> None:
        """``array[children[e]] += values[e]`` (each child has one parent: no row repeats)."""
        if self.runs is None:
            array[self.children] += values
            return
        e = 0
        for lo, hi in self.runs:
            array[lo:hi] += values[e:e + hi - lo]
            e += hi - lo


def _runs(rows: np.ndarray, shortest: int = 16) -> tuple | None:
    """``rows`` (sorted) as ``(first, end)`` ranges of consecutive rows; ``None`` if they average under ``shortest``."""
    if rows.size == 0:
        return None
    cut = np.flatnonzero(np.diff(rows) != 1) + 1
    if (cut.size + 1) * shortest > rows.size:
        return None
    first = rows[np.concatenate(([0], cut))]
    last = rows[np.concatenate((cut - 1, [rows.size - 1]))] + 1
    return tuple(zip(first.tolist(), last.tolist()))


def check_rows(rows) -> int:
    """``rows`` as an int, or :class:`~symrnn.errors.InputError` unless it is an integer >= 1."""
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
        raise InputError(f"block_rows must be an integer >= 1, got {rows!r}")
    return int(rows)


def blocks(forest, rows: int = BLOCK_ROWS) -> tuple:
    """The forest's levels cut into :class:`Block` s of at most ``rows`` rows (cached on the forest).

    Examples
    --------
    >>> import networkx as nx
    >>> from symrnn import trees
    >>> G = nx.balanced_tree(2, 2, create_using=nx.DiGraph)
    >>> nx.set_node_attributes(G, {v: [0.0] for v in G}, "x")
    >>> [(b.r0, b.r1, b.edges) for b in blocks(trees.forest(G), rows=3)]
    [(0, 2, 0), (2, 4, 0), (4, 6, 4), (6, 7, 2)]
    """
    rows = check_rows(rows)
    key = ("blocks", rows)
    cached = forest.cache.get(key)
    if cached is not None:
        return cached
    cuts = []
    for lvl in range(forest.levels):
        lo, hi = int(forest.offsets[lvl]), int(forest.offsets[lvl + 1])
        k = -(-(hi - lo) // rows)  # blocks of near-equal size
        cuts.extend(lo + (hi - lo) * j // k for j in range(k))
    cuts.append(forest.size)
    cuts = np.asarray(cuts, dtype=np.int64)
    edge_cuts = np.searchsorted(forest.parent_rows, cuts)
    out = []
    for r0, r1, e0, e1 in zip(cuts[:-1], cuts[1:], edge_cuts[:-1], edge_cuts[1:]):
        r0, r1, e0, e1 = int(r0), int(r1), int(e0), int(e1)
        order = np.argsort(forest.child_rows[e0:e1], kind="stable")
        children = forest.child_rows[e0:e1][order]
        parent = forest.parent_rows[e0:e1][order] - r0
        slot = forest.slot[e0:e1][order]
        slots = {int(s): np.flatnonzero(slot == s) for s in np.unique(slot)}
        out.append(Block(r0, r1, children, parent, slots, _runs(children)))
    out = tuple(out)
    forest.cache[key] = out
    return out
