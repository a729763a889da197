"""The namespace of generated kernel code: no user name can reach it.

User names (inputs, states, parameters, intermediates, sizes) are plain
identifiers that never start with an underscore
(:func:`~symrnn.spec.symbols.check_name` refuses one).  Every identifier the
generated source binds or reads starts with one, in one of two forms:

* **fixed** names, ``_`` and a word (:data:`FIXED`, the runtime helpers of
  :data:`~symrnn.codegen.runtime.RUNTIME`, NumPy as ``_np``, ``range`` as
  ``_range``), none of which starts with ``_<tag>_`` for a tag below;
* **derived** names, ``_<tag>_<name>`` with a tag from :data:`TAGS` (letters
  and digits only) and ``name`` a user name or a generated one (``_x0``).

So a user name never equals a generated identifier, two derived names are equal
only if tag and name are, and no derived name equals a fixed one: renaming a
gate to ``out``, an input to ``d_out``, ``np`` or ``range`` changes nothing but
the spelling.  Sizes are concrete integers in the source; they never appear as
names.  Dict keys (``_xs['x']``, ``_grads['W']``) are string literals.
:func:`foreign_identifiers` checks a generated source against these rules.
"""

from __future__ import annotations

import ast
import re

from .runtime import RUNTIME

__all__ = ["TAGS", "FIXED", "foreign_identifiers"]

TAGS = {
    "X": "input sequence (T, B, n)",
    "v": "value of step t (an input row, an intermediate)",
    "p": "parameter array",
    "s": "state (or previous state) of step t",
    "S": "state sequence (T + 1, B, n), or two rolling buffers",
    "F": "final state (tape key)",
    "Y": "taped or temporary intermediate",
    "M": "stacked matrix of one source vector",
    "MT": "its transpose",
    "R": "scratch product of one previous state",
    "d": "adjoint view of a slot",
    "g": "adjoint of a value",
    "gp": "gradient of a per-unit parameter",
    "dX": "gradient of an input sequence",
    "k": "masked-out adjoint kept across a step",
}
"""Tags of derived names (letters and digits; ``c<k>`` is the k-th shared factor of a stage)."""

FIXED = ("_np", "_range", "_xs", "_params", "_init", "_mask", "_tape", "_dout", "_dfinal", "_grads",
         "_t", "_T", "_B", "_dt", "_P", "_P2", "_Pt", "_keep", "_dA", "_dA2", "_dAt", "_dY", "_G", "_colsum",
         "_forward", "_backward", "_O")
"""Fixed identifiers of the generated source."""

_TAG = re.compile(r"_(?:" + "|".join(sorted(TAGS, key=len, reverse=True)) + r"|c\d+)_")


_KNOWN = frozenset(FIXED) | frozenset(RUNTIME)


def foreign_identifiers(source: str) -> set[str]:
    """Identifiers of ``source`` that are neither fixed (:data:`FIXED`, the runtime) nor derived.

    Examples
    --------
    >>> sorted(foreign_identifiers("_X_x = _xs[0]; x = _X_x + np.ones(2)"))
    ['np', 'x']
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.FunctionDef):
            found.add(node.name)
    return {n for n in found if n not in _KNOWN and not _TAG.match(n)}


for _name in _KNOWN:  # a fixed name must be reserved and never read as a derived one
    if not _name.startswith("_") or _TAG.match(_name):
        raise ImportError(f"codegen: fixed name {_name!r} is not reserved or starts like a derived name")
