"""Hypothesis strategies for tree models: random rooted networkx trees with node features.

In the style of :mod:`hypothesis.extra.numpy`: plain functions with
keyword-only options returning strategies; invalid options raise
:class:`~symrnn.errors.InputError` naming the option, before any drawing.
Trees follow :mod:`symrnn.trees`' convention: ``nx.DiGraph`` with edges
parent → child, nodes ``0..n-1`` with root ``0``, features on the ``"x"``
node attribute (float64 arrays of shape (D,)), and optionally the child slot
on the ``"position"`` edge attribute.

Typical use, testing your own Tree-LSTM against the per-node reference::

    from hypothesis import given
    from symrnn import trees
    from symrnn.testing.trees import tree_examples

    @given(tree_examples(trees.child_sum_tree_lstm(), max_nodes=8))
    def test_my_tree_lstm(ex):
        ref = trees.reference.run_forest(ex.model, ex.params, ex.trees)
        ...
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..errors import InputError
from ..numeric.params import boolean
from ._strategies import _bound, _hyp, _int, public

__all__ = ["rooted_trees", "forests", "tree_examples", "TreeExample"]


def _optional_int(value, arg):
    return None if value is None else _int(value, arg)


def _capacity(max_depth, max_children):
    if max_depth is None or max_children is None:
        return None
    return sum(max_children ** d for d in range(max_depth + 1))


def _check(min_nodes, max_nodes, max_depth, max_children, features, bound):
    min_nodes = _int(min_nodes, "min_nodes")
    max_nodes = _int(max_nodes, "max_nodes")
    if max_nodes < min_nodes:
        raise InputError(f"max_nodes={max_nodes} must be >= min_nodes={min_nodes}")
    max_depth = None if max_depth is None else _int(max_depth, "max_depth", low=0)
    max_children = _optional_int(max_children, "max_children")
    cap = _capacity(max_depth, max_children)
    if cap is not None and cap < min_nodes:
        raise InputError(f"min_nodes={min_nodes} cannot be reached with max_depth={max_depth} and "
                         f"max_children={max_children} (at most {cap} nodes)")
    return min_nodes, max_nodes, max_depth, max_children, _int(features, "features"), _bound(bound, "bound")


@public
def rooted_trees(*, min_nodes: int = 1, max_nodes: int = 10, max_depth: int | None = None,
                 max_children: int | None = None, features: int = 3, bound: float = 2.0,
                 positions: bool = False):
    """Strategy of rooted trees: ``nx.DiGraph`` (edges parent → child) with features ``"x"``.

    Parameters
    ----------
    min_nodes, max_nodes : int
        Range of the number of nodes.
    max_depth : int, optional
        Longest root-to-leaf path (edges); 0 is a single node.
    max_children : int, optional
        Largest number of children of a node.
    features : int
        D, the feature length.
    bound : float
        Features are drawn in [-bound, bound].
    positions : bool
        Put a ``"position"`` edge attribute (a random free slot in
        ``0..max_children-1``) on every edge; needs ``max_children``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(rooted_trees(max_nodes=6, max_children=2, features=2))
    ... def check(G):
    ...     assert nx.is_arborescence(G) and all(G.out_degree(v) <= 2 for v in G)
    >>> check()
    """
    st, hnp = _hyp()
    min_nodes, max_nodes, max_depth, max_children, D, bound = _check(
        min_nodes, max_nodes, max_depth, max_children, features, bound)
    if boolean(positions, "positions") and max_children is None:
        raise InputError("positions=True needs max_children (the number of slots)")
    floats = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)

    @st.composite
    def build(draw):
        n = draw(st.integers(min_nodes, max_nodes))
        G = nx.DiGraph()
        G.add_node(0)
        depth = {0: 0}
        for v in range(1, n):
            open_ = [u for u in G.nodes if (max_depth is None or depth[u] < max_depth)
                     and (max_children is None or G.out_degree(u) < max_children)]
            u = open_[draw(st.integers(0, len(open_) - 1))]
            attrs = {}
            if positions:
                free = sorted(set(range(max_children)) - {G.edges[u, c]["position"] for c in G.successors(u)})
                attrs["position"] = free[draw(st.integers(0, len(free) - 1))]
            G.add_edge(u, v, **attrs)
            depth[v] = depth[u] + 1
        X = draw(hnp.arrays(np.float64, (n, D), elements=floats))
        nx.set_node_attributes(G, {v: X[v] for v in G}, "x")
        return G

    return build()


@public
def forests(*, min_trees: int = 1, max_trees: int = 3, min_nodes: int = 1, max_nodes: int = 10,
            max_depth: int | None = None, max_children: int | None = None, features: int = 3, bound: float = 2.0,
            positions: bool = False):
    """Strategy of lists of ``min_trees..max_trees`` trees from :func:`rooted_trees` (the other options are its).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=3)
    ... @given(forests(max_trees=2, max_nodes=4))
    ... def check(ts):
    ...     assert 1 <= len(ts) <= 2
    >>> check()
    """
    st, _ = _hyp()
    lo, hi = _int(min_trees, "min_trees"), _int(max_trees, "max_trees")
    if hi < lo:
        raise InputError(f"max_trees={hi} must be >= min_trees={lo}")
    trees = rooted_trees(min_nodes=min_nodes, max_nodes=max_nodes, max_depth=max_depth, max_children=max_children,
                         features=features, bound=bound, positions=positions)
    return st.lists(trees, min_size=lo, max_size=hi)


@dataclass(frozen=True)
class TreeExample:
    """A drawn example: ``model``, ``sizes``, ``params`` (by name) and ``trees`` (a list of DiGraphs)."""

    model: object
    sizes: dict
    params: dict
    trees: list


@public
def tree_examples(model, *, max_size: int = 3, max_nodes: int = 8, max_trees: int = 2, max_depth: int | None = None,
                  max_children: int | None = 3, bound: float = 1.0):
    """Strategy of :class:`TreeExample` for a :class:`symrnn.trees.TreeModel`.

    Sizes D, H are drawn in ``1..max_size``, parameters in [-bound, bound];
    N-ary models get at most N children per node and random ``position`` slots.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from symrnn import trees
    >>> @settings(max_examples=3, deadline=None)
    ... @given(tree_examples(trees.nary_tree_lstm(2), max_nodes=5))
    ... def check(ex):
    ...     k = trees.compile_tree(ex.model, **ex.sizes)
    ...     ref = trees.reference.run_forest(ex.model, ex.params, ex.trees)
    ...     assert np.allclose(k.forward(ex.params, ex.trees).states["h"], ref["h"], atol=1e-12)
    >>> check()
    """
    from ..trees.models import TreeModel

    st, hnp = _hyp()
    if not isinstance(model, TreeModel):
        raise InputError(f"model must be a symrnn.trees TreeModel, got {type(model).__name__}")
    max_size = _int(max_size, "max_size")
    bound = _bound(bound, "bound")
    arity = model.arity
    children = arity if arity is not None else max_children
    floats = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)
    forests(max_trees=max_trees, max_nodes=max_nodes, max_depth=max_depth, max_children=children,
            positions=arity is not None)  # checks these options now, before any drawing

    @st.composite
    def build(draw):
        from ..trees.kernel import TreeKernel

        D, H = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
        shapes = TreeKernel(model, D=D, H=H).shapes
        params = {n: draw(hnp.arrays(np.float64, s, elements=floats)) for n, s in shapes.items()}
        ts = draw(forests(max_trees=max_trees, max_nodes=max_nodes, max_depth=max_depth, max_children=children,
                          features=D, positions=arity is not None))
        return TreeExample(model, {"D": D, "H": H}, params, ts)

    return build()
