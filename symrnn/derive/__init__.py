"""Derivations: Jacobians, gradients, BPTT recursions and derivation documents."""

from .jacobian import jacobian, local_partials
from .structured import StructuredMatrix, diag, identity, matrix, zero

__all__ = ["jacobian", "local_partials", "StructuredMatrix", "diag", "identity", "matrix", "zero"]
