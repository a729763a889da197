"""Recursive networks on trees (networkx)."""
