"""Public hypothesis strategies for testing recurrent implementations.

In the style of :mod:`hypothesis.extra.numpy`: plain functions with
keyword-only options that return strategies; invalid arguments raise
:class:`~symrnn.errors.InputError` naming the argument, before any drawing.
Arrays follow :mod:`symrnn.numeric`'s layout: a matrix parameter ``(rows,
cols)`` as declared, a vector parameter ``(n,)``, a sequence ``(T, B, n)``, an
initial state ``(B, n)``.

Typical use, testing your own GRU against the reference evaluator::

    import numpy as np
    from hypothesis import given
    from symrnn import cell, numeric, testing

    gru = cell("gru_reset_after")

    @given(testing.examples(gru, max_size=4))
    def test_my_gru(ex):
        ref, _, _ = numeric.run(gru, ex.params, ex.inputs, ex.initial)
        assert np.allclose(my_gru(ex.params, ex.inputs["x"], ex.initial["h"]), ref)

``examples`` draws sizes first, then parameters, sequences and initial
states of those sizes; the other strategies take fixed ``sizes`` and can be
combined with ``flatmap`` as in hypothesis.extra.numpy.  The proof engine's
numeric fallback (:mod:`symrnn.prove.numeric`) draws its examples with these
same strategies.  Graph strategies (random networkx graphs with weights and
node features, node permutations) live in :mod:`symrnn.testing.graphs` and
are re-exported here, and so are the tree strategies of
:mod:`symrnn.testing.trees` (random rooted trees and forests with features).
"""

from ._strategies import Example, examples, initial_states, params_for, sequences, sizes
from .graphs import GraphExample, graph_examples, networkx_graphs, node_permutations
from .trees import TreeExample, forests, rooted_trees, tree_examples

__all__ = ["sizes", "params_for", "sequences", "initial_states", "examples", "Example",
           "networkx_graphs", "graph_examples", "node_permutations", "GraphExample",
           "rooted_trees", "forests", "tree_examples", "TreeExample"]
