"""Graph neural networks (networkx, scipy.sparse)."""
