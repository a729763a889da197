"""The exceptions symrnn raises.

Every error a user can trigger is a :class:`SymrnnError`; each subclass also
derives from the built-in exception a Python user would expect (``ValueError``
for bad values, ``LookupError`` for unknown names), so ``except ValueError``
keeps working.  Messages name the argument, the value and what was expected.
"""

from __future__ import annotations

__all__ = [
    "SymrnnError",
    "SpecError",
    "InvalidNameError",
    "UndeclaredError",
    "ShapeError",
    "CyclicDefinitionError",
    "UnknownNameError",
    "CompileError",
    "InputError",
]


class SymrnnError(Exception):
    """Base class of every error raised by symrnn."""


class SpecError(SymrnnError, ValueError):
    """A model description is malformed."""


class InvalidNameError(SpecError):
    """A name is not a plain Python identifier, or is a keyword or dunder."""


class UndeclaredError(SpecError):
    """An equation uses a symbol that the description does not declare."""


class ShapeError(SpecError):
    """Sizes do not fit: an affine map, a per-unit operation or an array."""


class CyclicDefinitionError(SpecError):
    """Equations define a quantity in terms of itself."""


class UnknownNameError(SymrnnError, LookupError):
    """A name looked up in a catalogue or a description does not exist.

    The message lists the names that do exist.
    """

    def __str__(self) -> str:  # LookupError would repr() the message
        return str(self.args[0]) if self.args else ""


class CompileError(SymrnnError, ValueError):
    """A description cannot be turned into a numeric kernel."""


class InputError(SymrnnError, ValueError):
    """Numeric input (arrays, sizes, lengths, graphs, trees) is invalid."""
