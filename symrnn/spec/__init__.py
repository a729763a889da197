"""The symbolic description of a model (cells, equations, LaTeX, substitution)."""

from .builder import CellBuilder
from .cell import PREV, Cell, Decl, Equation
from .graph_builder import GraphBuilder
from .operators import OPERATORS, Apply
from .linear import LinearTerm, linear_terms
from .symbols import FUNCTIONS, Vec, identity, relu, sigmoid, sizes, tanh

__all__ = [
    "CellBuilder", "GraphBuilder", "OPERATORS", "Apply", "Cell", "Decl", "Equation", "PREV", "LinearTerm", "linear_terms",
    "FUNCTIONS", "Vec", "identity", "relu", "sigmoid", "sizes", "tanh",
]
