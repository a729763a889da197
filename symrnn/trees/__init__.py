"""Recursive networks on trees (networkx): recursive NN, Child-Sum and N-ary Tree-LSTM.

* :mod:`~symrnn.trees.tree` — networkx trees (edges parent → child, or an
  undirected tree with its root), validation naming the offending node,
  levels and forests;
* :mod:`~symrnn.trees.models` — the models as symbolic descriptions (real
  :class:`symrnn.Cell` s for the node and per-child computations, plus how
  children are gathered), LaTeX, :func:`expand` / :func:`one_child`;
* :mod:`~symrnn.trees.derivatives` — Jacobians of a node's states with
  respect to a child's states, through the gathers;
* :mod:`~symrnn.trees.kernel` — level-batched forward and backward passes
  over a forest (one GEMM per level and source vector);
* :mod:`~symrnn.trees.reference` — plain per-node recursion (the oracle).

Examples
--------
>>> import networkx as nx
>>> from symrnn import trees
>>> G = nx.balanced_tree(2, 2, create_using=nx.DiGraph)      # edges parent -> child
>>> nx.set_node_attributes(G, {v: [1.0, -1.0] for v in G}, "x")
>>> k = trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=4)
>>> p = k.init_params(rng=0)
>>> run = k.forward(p, G)
>>> ref = trees.reference.run_forest(k.model, p, G)
>>> bool(abs(run.states["h"] - ref["h"]).max() < 1e-12)
True

References
----------
Socher et al. (2011), ICML; Socher et al. (2013), EMNLP;
Tai, Socher & Manning (2015), ACL.
"""

from . import reference
from .derivatives import child_jacobian
from .kernel import TreeKernel, TreeRun, compile_tree
from .models import (Gather, TreeModel, child_sum_recursive_nn, child_sum_tree_lstm, expand, model, names,
                     nary_tree_lstm, one_child, recursive_nn)
from .tree import POSITION, Forest, RootedTree, TreeError, forest, rooted_tree

__all__ = [
    "TreeModel", "Gather", "recursive_nn", "child_sum_recursive_nn", "child_sum_tree_lstm", "nary_tree_lstm",
    "model", "names", "expand", "one_child", "child_jacobian",
    "TreeError", "RootedTree", "Forest", "rooted_tree", "forest", "POSITION",
    "TreeKernel", "TreeRun", "compile_tree", "reference",
]
