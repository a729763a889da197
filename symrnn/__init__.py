"""symrnn: derive and verify the mathematics of recurrent and graph neural networks.

One SymPy description of a model is the single source of truth; equations,
LaTeX, parameter counts, derivatives, theorems and kernels are derived from it.

Examples
--------
>>> import symrnn
>>> gru = symrnn.cell("gru_reset_before")
>>> gru.parameter_count() * 4 == symrnn.cell("lstm").parameter_count() * 3
True
"""

from . import cells
from .cells import cell
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors
from .spec import Cell, CellBuilder, Decl, Equation, GraphBuilder, Vec, identity, relu, sigmoid, sizes, tanh
from .spec.compose import Bidirectional, Stacked

__version__ = "0.1.0"

_SUBMODULES = ("derive", "prove", "codegen", "interop", "testing", "trees", "graphs", "numeric", "cli")


def __getattr__(name):
    """Heavier parts load on first use: ``symrnn.compile``, ``symrnn.derive`` …"""
    import importlib

    if name == "compile":
        return importlib.import_module(".codegen", __name__).compile
    if name == "torch_module":  # torch is optional: imported here, on first use
        return importlib.import_module(".pytorch", __name__).torch_module
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'symrnn' has no attribute {name!r}")

__all__ = [
    "cell", "cells", "Cell", "CellBuilder", "GraphBuilder", "Decl", "Equation", "Vec", "sizes",
    "sigmoid", "tanh", "relu", "identity", "Stacked", "Bidirectional", "compile", "torch_module", *_errors,
]
