"""Recursive networks on trees (networkx): recursive NN, Child-Sum and N-ary Tree-LSTM.

* :mod:`~symrnn.trees.tree` — networkx trees (edges parent → child, or an
  undirected tree with its root), validation naming the offending node,
  each graph read in one pass into a parent array;
* :mod:`~symrnn.trees.parents` — :func:`forest_from_parents`: a forest
  given as arrays (a parent index per node, ``-1`` for roots, and (N, D)
  features, optional N-ary positions), as PyG users hold ``edge_index``;
  checked at array speed, naming the argument and the node;
* :mod:`~symrnn.trees.forest` and :mod:`~symrnn.trees.layout` — every input
  as one parent array, laid out level by level with array operations (no
  loop over nodes): :class:`Forest`;
* :mod:`~symrnn.trees.models` — the models as symbolic descriptions (real
  :class:`symrnn.Cell` s for the node and per-child computations, plus how
  children are gathered), LaTeX, :func:`expand` / :func:`one_child`;
* :mod:`~symrnn.trees.derivatives` — Jacobians of a node's states with
  respect to a child's states, through the gathers;
  :func:`~symrnn.trees.document.tree_document` typesets equations, counts,
  the chain cell and these Jacobians (LaTeX or Markdown);
* :mod:`~symrnn.trees.kernel` — level-batched forward and backward passes
  over a forest (one GEMM per block of a level and source vector);
  :mod:`~symrnn.trees.schedule` cuts the levels into blocks,
  :mod:`~symrnn.trees.inputs` reads a block's inputs from the children;
* :mod:`~symrnn.trees.reference` — plain per-node recursion (the oracle);
* :mod:`~symrnn.trees.theorems` — the checks behind ``proofs/trees.py``.

Design (the issue's hint, kept and made concrete): a node's update is a step
whose "previous state" is read from its children.  Each model is real
:class:`symrnn.Cell` s — the node step with the gathered child vectors as
inputs, and for Child-Sum Tree-LSTM a per-child cell (the forget gate
f_jk with its W_f x_j term, and the message f_jk ⊙ c_k) — plus a table of
gathers (sum over children, or N-ary slot ℓ).  So LaTeX, Jacobians and the
prover's per-unit normal forms apply to the cells unchanged; :func:`expand`
writes the node with K children as one plain cell (a sum over K, filled or
empty slots), and :func:`one_child` is the chain cell used by the theorems.
The kernel runs each cell once per block of a level (networkx topological
generations of the child → parent graph = node heights, cut into cache-sized
blocks), one GEMM per source vector, segment sums as sparse 0/1 incidence
products.

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

The same tree as a parent array (nodes in breadth-first order, as
``balanced_tree`` numbers them) gives the same layout and states:

>>> import numpy as np
>>> f = trees.forest_from_parents(np.array([-1, 0, 0, 1, 1, 2, 2]), np.tile([1.0, -1.0], (7, 1)))
>>> f.node.tolist() == run.forest.node.tolist()
True
>>> bool(abs(k.forward(p, f).states["h"] - run.states["h"]).max() == 0)
True

References
----------
Socher et al. (2011), ICML; Socher et al. (2013), EMNLP;
Tai, Socher & Manning (2015), ACL.
"""

from . import reference
from .derivatives import child_jacobian
from .document import tree_document
from .kernel import TreeKernel, TreeRun, compile_tree
from .expand import expand, one_child
from .models import (Gather, TreeModel, child_sum_recursive_nn, child_sum_tree_lstm, model, names, nary_tree_lstm,
                     recursive_nn)
from .forest import Forest, forest
from .parents import forest_from_parents
from .tree import POSITION, RootedTree, TreeError, rooted_tree

__all__ = [
    "TreeModel", "Gather", "recursive_nn", "child_sum_recursive_nn", "child_sum_tree_lstm", "nary_tree_lstm",
    "model", "names", "expand", "one_child", "child_jacobian", "tree_document",
    "TreeError", "RootedTree", "Forest", "rooted_tree", "forest", "forest_from_parents", "POSITION",
    "TreeKernel", "TreeRun", "compile_tree", "reference",
]
