"""Interoperability: weights from PyTorch and Keras, PyG edge_index and networkx."""
