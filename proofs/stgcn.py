"""STGCN's ST-Conv block (Yu, Yin & Zhu 2018) is permutation equivariant over the nodes, for every graph and size.

The block is one graph-recurrent description (:func:`symrnn.graphs.stgcn.stgcn`: two gated temporal convolutions
as delay lines, a Chebyshev filter written with gathers and scatters over the entries of L̃ along the edges, an
evaluation-mode BatchNorm over per-node inputs), so :func:`symrnn.prove.permutation_equivariant` proves it by
structural induction; the entries of L̃ move with their edges and the BatchNorm vectors with their nodes.
"""

from __future__ import annotations

from symrnn.graphs.stgcn import YU, stgcn
from symrnn.prove import Theorem, permutation_equivariant

WU = "Wu et al. 2021, A Comprehensive Survey on Graph Neural Networks (IEEE TNNLS), §7"

stgcn_permutation_equivariance = Theorem(
    "stgcn_permutation_equivariance",
    "The ST-Conv block (Kt = 3, K = 3; its description) is permutation equivariant: relabelling the nodes of any "
    "undirected graph (the entries of L̃ moving with their edges, BatchNorm's vectors with their nodes) relabels "
    "every output and delay-line state, at every step, for every graph and every size.",
    lambda: permutation_equivariant(stgcn()), references=(YU, WU),
)
