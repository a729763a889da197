"""Which implementations the benchmark knows, what each needs, and which cells each covers."""

from __future__ import annotations

import importlib.util

from .configs import HANDWRITTEN, TORCH_TWIN

__all__ = ["IMPLEMENTATIONS", "LIBRARY", "supports", "available"]

IMPLEMENTATIONS = {
    "generated": ("numpy_side", "Generated"),
    "numpy": ("numpy_side", "Handwritten"),
    "gemm": ("numpy_side", "GemmFloor"),
    "torch": ("torch_side", "NNModule"),
    "torch_custom": ("torch_side", "TorchCustom"),
    "jax": ("jax_side", "Jax"),
    "torch_module": ("torch_side", "TorchModule"),
    "numba": ("numba_side", "Compiled"),
}
"""Implementation name -> (module of this package that defines it, class); the parent never imports them."""

LIBRARY = {"numpy_side": None, "torch_side": "torch", "jax_side": "jax", "numba_side": "numba"}
"""Module -> the optional library it imports (None: NumPy only)."""


def supports(impl: str, cell: str) -> bool:
    """Whether implementation ``impl`` exists for benchmark cell ``cell``.

    Examples
    --------
    >>> supports("torch", "mgu"), supports("torch_custom", "mgu"), supports("numpy", "lstm_peephole")
    (False, True, False)
    """
    if impl == "torch":
        return cell in TORCH_TWIN
    if impl == "numpy":
        return cell in HANDWRITTEN
    return impl in IMPLEMENTATIONS


def available(impl: str) -> bool:
    """Whether the library ``impl`` needs is importable here (looked up, not imported).

    Examples
    --------
    >>> available("generated")
    True
    """
    lib = LIBRARY[IMPLEMENTATIONS[impl][0]]
    return lib is None or importlib.util.find_spec(lib) is not None
