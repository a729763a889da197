"""Derivations: Jacobians, gradients, BPTT recursions and derivation documents."""
