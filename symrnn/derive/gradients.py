"""Adjoints of the stages of one step and the gradient with respect to every parameter.

Notation (also used by :mod:`symrnn.derive.bptt`): ``δ_{s,t}`` is the gradient
of the loss with respect to the new state ``s_t`` through everything *after*
the step that writes it (the loss at t and the later steps); the paths from
``s_t`` to other states of the same step are inside the local Jacobians.  The
adjoint of a stage ``y`` of step t is then

    ε_{y,t} = Σ_s (∂s_t/∂y_t)ᵀ δ_{s,t},

with ∂s_t/∂y_t from :func:`~symrnn.derive.jacobian.jacobian` (``y`` held as
an independent variable).  A parameter used in a linear stage
``a = … + k P v + k' b`` gets ``k ε_a vᵀ`` and ``k' ε_a``; a vector parameter
used in a pointwise stage ``y = f(…, p)`` gets ``ε_y ⊙ ∂f/∂p``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..errors import UnknownNameError
from ..spec.partials import pointwise_partials
from .jacobian import _linear, as_cell, jacobian
from .latexing import adjoint_latex, transpose_latex, unit_latex
from ..spec.latex import vector_latex

__all__ = ["Adjoint", "GradientTerm", "ParameterGradient", "adjoint", "parameter_gradient", "delta_latex", "eps_latex", "transpose_sum_latex"]


def delta_latex(cell, name: str, index: str = "t") -> str:
    """LaTeX of the state adjoint δ^{s}_{t}."""
    return adjoint_latex(cell, name, index)


def eps_latex(cell, name: str, index: str = "t") -> str:
    """LaTeX of the stage adjoint ε^{y}_{t}."""
    return adjoint_latex(cell, name, index, r"\boldsymbol{\varepsilon}")


def transpose_sum_latex(cell, terms, index: str, sep: str = " ") -> str:
    """``Σ (∂s/∂w)ᵀ δ^s_index`` for ``terms = [(s, (∂s/∂w)ᵀ, w)]``."""
    from .latexing import partial_latex

    parts = []
    for s, JT, wrt in terms:
        if len(JT.terms) == 1:
            body = JT.latex(cell)
        else:
            body = rf"\left({partial_latex(cell, s, wrt)}\right)^{{\top}}"
        parts.append(f"{body} \\, {delta_latex(cell, s, index)}")
    return (sep + "+ ").join(parts) if parts else r"\mathbf{0}"


@dataclass(frozen=True)
class Adjoint:
    """``ε_{name,t} = Σ_s (∂s_t/∂name)ᵀ δ_{s,t}``; ``terms`` holds ``(s, (∂s_t/∂name)ᵀ)``."""

    name: str
    terms: tuple

    def latex(self, cell, *, sep: str = " ") -> str:
        """``Σ_s (∂s_t/∂name)ᵀ δ^s_t``, terms joined by ``sep + "+ "``.

        A single-product Jacobian is written out; a sum is named by its
        partial derivative (its closed form is among the local Jacobians).
        """
        return transpose_sum_latex(cell, [(s, JT, self.name) for s, JT in self.terms], "t", sep)

    def evaluate(self, values, deltas, sizes) -> np.ndarray:
        """The adjoint as a vector, given step values and ``{state: δ_s}`` arrays."""
        out = 0.0
        for s, JT in self.terms:
            out = out + JT.evaluate(values, sizes) @ np.asarray(deltas[s], float)
        return np.asarray(out, float)


@dataclass(frozen=True)
class GradientTerm:
    """One use of a parameter: ``outer`` (k ε_stage vᵀ), ``bias`` (k ε_stage) or ``pointwise`` (ε_stage ⊙ d)."""

    kind: str
    stage: str
    coeff: sp.Expr = sp.S.One
    vector: str | None = None
    partial: sp.Expr | None = None

    def latex(self, cell) -> str:
        eps = eps_latex(cell, self.stage)
        k = "" if self.coeff == 1 else ("-" if self.coeff == -1 else unit_latex(cell, self.coeff) + " ")
        if self.kind == "outer":
            return rf"{k}{eps} {transpose_latex(vector_latex(cell, self.vector))}"
        if self.kind == "bias":
            return f"{k}{eps}"
        return rf"{eps} \odot \left({unit_latex(cell, self.partial)}\right)"

    def evaluate(self, values, eps: np.ndarray) -> np.ndarray:
        from ..numeric.reference import evaluate_pointwise

        k = float(self.coeff)
        if self.kind == "outer":
            return k * np.outer(eps, values[self.vector])
        if self.kind == "bias":
            return k * eps
        return eps * evaluate_pointwise(self.partial, values, np.empty(len(eps)))


@dataclass(frozen=True)
class ParameterGradient:
    """∂L/∂param of one step: the sum of its :class:`GradientTerm` s (BPTT sums it over t)."""

    param: str
    terms: tuple

    def stages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.stage for t in self.terms))

    def latex(self, cell) -> str:
        return " + ".join(t.latex(cell) for t in self.terms) if self.terms else r"\mathbf{0}"

    def evaluate(self, values, eps: dict) -> np.ndarray:
        """One step's contribution given the step's values and ``{stage: ε_stage}``."""
        return sum(t.evaluate(values, eps[t.stage]) for t in self.terms)


def adjoint(desc, name: str) -> Adjoint:
    """The adjoint ε of a stage (or input) of one step in terms of the state adjoints δ.

    Parameters
    ----------
    desc : Cell or Stacked
    name : str
        Any name :func:`~symrnn.derive.jacobian.jacobian` accepts as ``wrt``.

    Examples
    --------
    >>> import symrnn
    >>> adjoint(symrnn.cell("lstm"), "a_o").terms
    (('h', Diag(o*(1 - o)*tanh(c))),)
    """
    cell = as_cell(desc)
    terms = []
    for s in cell.state_names:
        J = jacobian(cell, s, name)
        if not J.is_zero():
            terms.append((s, J.T()))
    return Adjoint(name, tuple(terms))


@lru_cache(maxsize=1024)
def _gradient(cell, param: str) -> ParameterGradient:
    terms = []
    for eq in cell.equations:
        if eq.is_linear:
            for coeff, mat, vec in _linear(cell, eq.target):
                if mat == param:
                    terms.append(GradientTerm("outer", eq.target, coeff, vector=vec))
                elif mat is None and vec == param:
                    terms.append(GradientTerm("bias", eq.target, coeff))
        elif param in eq.dependencies():
            terms.append(GradientTerm("pointwise", eq.target, partial=pointwise_partials(cell, eq.target)[param]))
    return ParameterGradient(param, tuple(terms))


def parameter_gradient(desc, param: str) -> ParameterGradient:
    """∂L/∂param contributed by one step, through the adjoints of the stages that use it.

    Parameters
    ----------
    desc : Cell or Stacked
    param : str
        A declared parameter.

    Raises
    ------
    UnknownNameError
        ``param`` is not a parameter; the message lists the parameters.

    Examples
    --------
    >>> import symrnn
    >>> g = parameter_gradient(symrnn.cell("rnn"), "U")
    >>> [(t.kind, t.stage, t.vector) for t in g.terms]
    [('outer', 'a_h', 'h_prev')]
    >>> print(g.latex(symrnn.cell("rnn")))
    \\boldsymbol{\\varepsilon}^{\\mathbf{a}_{h}}_{t} \\mathbf{h}_{t-1}^{\\top}
    """
    cell = as_cell(desc)
    names = [p.name for p in cell.params]
    if param not in names:
        raise UnknownNameError(
            f"parameter_gradient: {param!r} is not a parameter of cell {cell.name!r}; valid names: {', '.join(names)}"
        )
    return _gradient(cell, param)
