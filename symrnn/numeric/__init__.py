"""Numeric helpers: sizes, parameter arrays and the plain reference evaluator."""

from .params import init_params, param_shapes, resolve_sizes, vector_sizes
from .reference import run, stable_sigmoid, step

__all__ = ["init_params", "param_shapes", "resolve_sizes", "vector_sizes", "run", "step", "stable_sigmoid"]
