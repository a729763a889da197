"""Local Jacobians of one step, built only from the spec's partials.

A forward sweep through the equations from the vector ``wrt``: a linear stage
``a = Σ k P v`` gives ∂a/∂wrt = Σ k P ∂v/∂wrt
(:func:`~symrnn.spec.partials.linear_partials`), a pointwise stage
``y = f(u_1, …)`` gives ∂y/∂wrt = Σ_j Diag(∂f/∂u_j) ∂u_j/∂wrt
(:func:`~symrnn.spec.partials.pointwise_partials`, σ' written σ(1−σ), tanh'
written 1−tanh²).  The result is a :class:`~symrnn.derive.structured.StructuredMatrix`
valid for every size; nothing is unrolled.  ``wrt`` may be an intermediate or
a state of the step: it is then held as an independent variable (the partial
derivative along the paths that pass through it).
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import SpecError, UnknownNameError
from ..spec.cell import Cell
from ..spec.partials import linear_partials, pointwise_partials
from .structured import StructuredMatrix, diag, identity, matrix, zero

__all__ = ["jacobian", "as_cell", "targets", "variables", "local_partials"]


def as_cell(desc) -> Cell:
    """The single-step :class:`Cell` of a description (a ``Stacked`` gives its flat cell, a str its catalogue entry).

    Raises
    ------
    SpecError
        For a ``Bidirectional`` (two cells running in opposite directions:
        derive ``.forward`` and ``.backward``) or anything that is not a cell.
    """
    if isinstance(desc, str):
        from ..cells import cell

        desc = cell(desc)
    if isinstance(desc, Cell):
        return desc
    inner = getattr(desc, "cell", None)
    if isinstance(inner, Cell):
        return inner
    if hasattr(desc, "forward") and hasattr(desc, "backward"):
        raise SpecError("a bidirectional layer is two cells, not one step; derive its .forward and .backward cells")
    raise SpecError(f"expected a symrnn cell description, got {type(desc).__name__} {desc!r}")


def targets(cell: Cell) -> tuple[str, ...]:
    """Names a Jacobian can be taken *of*: every equation target (states and intermediates)."""
    return tuple(eq.target for eq in cell.equations)


def variables(cell: Cell) -> tuple[str, ...]:
    """Names a Jacobian can be taken *with respect to*: previous states, inputs, the step's vectors, vector parameters."""
    order = {"previous": 0, "input": 1, "intermediate": 2, "state": 2, "param": 3}
    names = [n for n, (role, d) in cell.declared.items() if not d.is_matrix]
    return tuple(sorted(names, key=lambda n: order[cell.declared[n][0]]))


def _check(cell: Cell, of: str, wrt: str) -> None:
    if of not in targets(cell):
        raise UnknownNameError(
            f"jacobian: of={of!r} is not a state or intermediate of cell {cell.name!r}; "
            f"valid names: {', '.join(targets(cell))}"
        )
    if wrt not in variables(cell):
        extra = ""
        if wrt in cell.declared:
            extra = " (a matrix parameter: use parameter_gradient)"
        raise UnknownNameError(
            f"jacobian: wrt={wrt!r} is not a previous state, input, intermediate or vector parameter of cell "
            f"{cell.name!r}{extra}; valid names: {', '.join(variables(cell))}"
        )


@lru_cache(maxsize=4096)
def _linear(cell: Cell, target: str):
    """``[(coeff, matrix or None, vector)]`` of a linear stage, bias parameters included."""
    return tuple((t.coeff, t.matrix, t.vector) for t in cell.terms(target))


@lru_cache(maxsize=4096)
def _pointwise(cell: Cell, target: str):
    return tuple(pointwise_partials(cell, target).items())


def local_partials(cell: Cell, target: str) -> dict[str, StructuredMatrix]:
    """The chain-rule building blocks: ∂target/∂u for each vector ``u`` its equation reads.

    Examples
    --------
    >>> import symrnn
    >>> local_partials(symrnn.cell("lstm"), "c")
    {'c_prev': Diag(f), 'f': Diag(c_prev), 'g': Diag(i), 'i': Diag(g)}
    >>> local_partials(symrnn.cell("rnn"), "a_h")
    {'h_prev': U, 'x': W}
    """
    eq = cell.equation(target)
    out = {}
    if eq.is_linear:
        for name in linear_partials(cell, target):
            out[name] = _from_linear(cell, target, name)
        return out
    for name, d in _pointwise(cell, target):
        if not cell.declared[name][1].is_matrix:
            out[name] = diag(d, eq.size)
    return out


def _from_linear(cell, target, vector):
    eq = cell.equation(target)
    size = cell.declared[vector][1].size
    acc = zero(eq.size, size)
    for coeff, mat, vec in _linear(cell, target):
        if vec != vector:
            continue
        part = matrix(mat, *cell.declared[mat][1].shape) if mat else identity(eq.size)
        acc = acc + part * coeff
    return acc


@lru_cache(maxsize=1024)
def _sweep(cell: Cell, wrt: str) -> dict:
    size = cell.declared[wrt][1].size
    J = {wrt: identity(size)}
    for eq in cell.equations:
        if eq.target == wrt:
            continue
        acc = None
        if eq.is_linear:
            for coeff, mat, vec in _linear(cell, eq.target):
                if vec not in J:
                    continue
                part = matrix(mat, *cell.declared[mat][1].shape) @ J[vec] if mat else J[vec]
                part = part * coeff if coeff != 1 else part
                acc = part if acc is None else acc + part
        else:
            for name, d in _pointwise(cell, eq.target):
                if name not in J:
                    continue
                part = diag(d, eq.size) @ J[name]
                acc = part if acc is None else acc + part
        if acc is not None:
            J[eq.target] = acc
    return J


def jacobian(desc, of: str, wrt: str) -> StructuredMatrix:
    """The local Jacobian ∂of/∂wrt of one step, in closed form for every size.

    Parameters
    ----------
    desc : Cell, Stacked or str
        The description or a catalogue name (a bidirectional layer: derive
        each direction's cell).
    of : str
        A state (``h``, ``c``) or intermediate (``i``, ``a_i``) of the step.
    wrt : str
        A previous state (``h_prev``), an input (``x``), an intermediate or
        state of the same step (held as an independent variable), or a vector
        parameter (a bias ``b``; matrix parameters: :func:`parameter_gradient`).

    Returns
    -------
    StructuredMatrix
        A sum of products of ``Diag(per-unit expression)`` and parameter
        matrices.  Compare results with ``==`` (canonical form, expanded
        per-unit expressions), ``.equals`` (also simplifies), ``.is_identity()``,
        ``.is_zero()``, ``.is_diag_of(expr)`` or ``.diagonal()``; build
        references with :func:`symrnn.derive.diag`, ``identity``, ``matrix``.

    Raises
    ------
    UnknownNameError
        ``of`` or ``wrt`` is not a valid name; the message lists the valid ones.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.derive import jacobian, diag
    >>> lstm = symrnn.cell("lstm")
    >>> jacobian(lstm, "c", "c_prev") == diag(lstm.unit("f"), lstm.unit("f").size)
    True
    >>> jacobian(symrnn.cell("lstm_no_forget"), "c", "c_prev").is_identity()
    True
    >>> jacobian(symrnn.cell("rnn"), "h", "h_prev")
    Diag(1 - h**2) @ U
    """
    cell = as_cell(desc)
    _check(cell, of, wrt)
    J = _sweep(cell, wrt)
    if of in J:
        return J[of]
    return zero(cell.declared[of][1].size, cell.declared[wrt][1].size)
