"""Interoperability: weights from PyTorch and Keras, PyG ``edge_index`` and networkx.

The oracles (torch, keras, torch_geometric) are optional: each function imports
them when called, so importing this package costs nothing.

* PyTorch (:mod:`symrnn.interop.torch`): :func:`from_torch` builds a kernel or
  network from ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (layers, bidirectional,
  bias off, ``batch_first``; ``proj_size`` refused), :func:`to_torch` writes weights back.
* Keras 3 (:mod:`symrnn.interop.keras`): :func:`from_keras` for ``LSTM`` and
  ``GRU`` (``reset_after`` True or False, ``go_backwards`` True or False).
* :class:`SequenceLayout` (:mod:`symrnn.interop.layout`): a kernel read and
  written batch-first and/or backwards, as the loaded module was.
* PyG (:mod:`symrnn.interop.pyg`): ``edge_index`` ↔ networkx ↔
  :class:`symrnn.graphs.Graph`, and GCN/Cheb/GAT weights.
"""

from .keras import from_keras, params_from_keras
from .layout import SequenceLayout
from .pyg import (cheb_params, edge_index_to_graph, edge_index_to_networkx, gat_params, gcn_params,
                  networkx_to_edge_index)
from .torch import (final_to_torch, from_torch, initial_from_torch, params_from_torch, to_torch, torch_arrays,
                    torch_cell)

__all__ = [
    "from_torch", "to_torch", "params_from_torch", "initial_from_torch", "final_to_torch", "torch_arrays",
    "torch_cell", "from_keras", "params_from_keras", "edge_index_to_graph", "edge_index_to_networkx",
    "networkx_to_edge_index", "gcn_params", "cheb_params", "gat_params", "SequenceLayout",
]
