"""The simple (Elman) recurrent network."""

from __future__ import annotations

from ..errors import SpecError
from ..spec import CellBuilder
from ..spec.symbols import activations

ACTIVATIONS = activations("tanh", "relu")  # from the one function table


def rnn(activation: str = "tanh"):
    """Simple recurrent network: h_t = f(W x_t + U h_{t-1} + b).

    Parameters
    ----------
    activation : {"tanh", "relu"}
        The nonlinearity (PyTorch's ``nonlinearity``).

    References
    ----------
    Elman, J. L. (1990). Finding structure in time. Cognitive Science 14(2).

    Examples
    --------
    >>> rnn().parameter_count("torch")
    D*H + H**2 + 2*H
    """
    if activation not in ACTIVATIONS:
        raise SpecError(f"rnn: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    b = CellBuilder("rnn", family="rnn", reference="Elman 1990, Finding structure in time",
                    summary=f"simple recurrent network ({activation})")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    W, U, bias = b.param("W", H, D), b.param("U", H, H), b.param("b", H)
    b.update("h", ACTIVATIONS[activation](W @ x + U @ h + bias))
    return b.build()


ENTRIES = {"rnn": (rnn, {})}
"""Catalogue names this family contributes: ``name -> (factory, options)`` (collected by :mod:`symrnn.cells`)."""
