"""Graph neural networks on networkx graphs and scipy.sparse.

Layers: GCN, ChebNet, spectral filters, GAT; models built on them: graph
autoencoders (GAE/VGAE held as descriptions in :mod:`.autoencoders`, run in the
paper's layout by :mod:`.autoencoder`, the KL derived in :mod:`.kl`),
GraphRNN-style generation (:mod:`.generation`, its readout a description) and
spatial-temporal recurrent networks (GConvGRU, GConvLSTM, DCRNN as
descriptions in :mod:`.recurrent`, with ``recurrent.run`` / ``recurrent.backward``
over time; the stacked-filter layout in :mod:`.temporal`).

Each graph layer is one description (:mod:`.layers`, built with
:class:`symrnn.GraphBuilder`): its LaTeX, parameter count, kernel
(:func:`symrnn.compile`) and reverse mode are derived from it.  The layer
functions take the papers' layouts: ``*_forward(graph, X, params…) -> (Y, call)``
runs the generated kernel, and the one :func:`backward` ``(call, dY) ->
{name: gradient}`` runs its generated reverse mode — float64, matching PyTorch
Geometric's ``GCNConv``, ``ChebConv`` and ``GATConv`` (see each module for the
exact conventions: self-loops, λ_max, heads).  A graph is a networkx graph or a
validated :class:`Graph` (:func:`as_graph`, :func:`from_edges`).

The paper's matrix notation (Y = Â X Wᵀ + 1bᵀ) is read from the same
description by :func:`matrix_form`, with SymPy gradients for every size; the
theorems about the layers live in ``proofs/graphs.py`` (checks in
:mod:`symrnn.graphs.claims` and :mod:`symrnn.graphs.theorems`).

Example
-------
>>> import networkx as nx, numpy as np
>>> Y, call = gcn_forward(nx.cycle_graph(4), np.eye(4), np.ones((4, 2)))
>>> np.round(backward(call, np.ones_like(Y))["W"], 12).tolist()
[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]

References
----------
Z. Wu, S. Pan, F. Chen, G. Long, C. Zhang and P. S. Yu, "A Comprehensive
Survey on Graph Neural Networks", IEEE TNNLS 32(1), 2021.
"""

from .calls import LayerCall, backward
from .cheb import cheb, cheb_forward, chebyshev_terms
from .gat import attention_pattern, closed_neighbourhoods, gat, gat_forward
from .gcn import gcn, gcn_forward
from .graph import Graph, as_graph, check_features, from_edges
from . import layers
from .matrix_form import MatrixForm, matrix_form
from .normalize import NORMALIZATIONS, GCNOperator, gcn_adjacency, gcn_operator, laplacian, scaled_laplacian
from .spectral import polynomial_filter, spectral_filter, spectral_forward, spectrum

from .autoencoder import (edge_probabilities, gae_forward, gae_params, inner_product_decoder, kl_loss,
                          link_prediction_scores, negative_edges, recon_loss)
from . import autoencoders
from .generation import (GraphRNN, bandwidth, bfs_levels, bfs_order, decode_bfs, degree_distance, degree_histogram,
                         encode_bfs, erdos_renyi_like, graph_rnn, graphrnn_loss, graphrnn_readout, level_bound,
                         sample_graphs, train_graphrnn)
from .kl import kl_divergence, kl_expression, kl_gradient, kl_logstd_expression
from .recurrent import dcrnn, gconv_gru, gconv_lstm, graph_recurrent
from .temporal import (GraphFilter, GraphGRUTape, GraphRecurrentTape, cheb_filter, dcgru_forward, diffusion_conv,
                       diffusion_filter, diffusion_supports, gconv_gru_forward, gconv_lstm_forward, graph_cell_params,
                       graph_gru_forward, graph_gru_params, graph_recurrent_backward,
                       graph_recurrent_forward)

__all__ = [
    "Graph", "as_graph", "from_edges", "check_features",
    "gcn_adjacency", "gcn_operator", "GCNOperator", "laplacian", "scaled_laplacian", "NORMALIZATIONS",
    "backward", "LayerCall",
    "gcn", "gcn_forward",
    "cheb", "cheb_forward", "chebyshev_terms",
    "gat", "gat_forward", "closed_neighbourhoods", "attention_pattern",
    "spectrum", "spectral_filter", "spectral_forward", "polynomial_filter",
    "layers", "matrix_form", "MatrixForm",
    "gae_params", "gae_forward", "inner_product_decoder", "edge_probabilities",
    "recon_loss", "kl_loss", "negative_edges", "link_prediction_scores",
    "kl_expression", "kl_logstd_expression", "kl_divergence", "kl_gradient",
    "gconv_gru", "gconv_lstm", "dcrnn", "graph_recurrent",
    "GraphFilter", "GraphGRUTape", "GraphRecurrentTape", "cheb_filter", "diffusion_filter", "diffusion_supports",
    "diffusion_conv",
    "graph_gru_params", "graph_gru_forward", "gconv_gru_forward", "dcgru_forward",
    "graph_cell_params", "graph_recurrent_forward", "graph_recurrent_backward", "gconv_lstm_forward",
    "bfs_order", "bfs_levels", "bandwidth", "level_bound", "encode_bfs", "decode_bfs", "GraphRNN", "graph_rnn",
    "graphrnn_readout", "graphrnn_loss", "train_graphrnn", "sample_graphs", "degree_histogram", "degree_distance",
    "erdos_renyi_like",
]
