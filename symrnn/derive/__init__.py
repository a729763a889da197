"""Derivations: Jacobians, gradients, BPTT recursions and derivation documents.

Everything here is built from :func:`symrnn.spec.partials.pointwise_partials`
and :func:`symrnn.spec.partials.linear_partials`, so any description —
catalogue entry or user-defined cell — gets its derivations without new code,
in closed form for every size (sums of products of ``Diag(per-unit expr)`` and
parameter matrices; see :mod:`symrnn.derive.structured`).

Comparing results (e.g. in proofs): ``jacobian(lstm, "c", "c_prev") == diag(f, H)``,
``.is_identity()``, ``.is_zero()``, ``.is_diag_of(expr)``, ``.diagonal()``, ``.equals(other)``.

Examples
--------
>>> import symrnn
>>> from symrnn.derive import jacobian
>>> jacobian(symrnn.cell("gru_reset_after"), "h", "h_prev").terms[0]
(Diag(expr=z, size=H),)
"""

from .bptt import BPTT, backprop, bptt
from .document import derivation_document
from .flow import Bound, gradient_norms, jacobian_bound, state_jacobian, vanishing_gradient_figure
from .gradients import Adjoint, GradientTerm, ParameterGradient, adjoint, parameter_gradient
from .jacobian import as_cell, jacobian, local_partials
from .numeric import evaluate_jacobian, forward_values, size_map
from .structured import StructuredMatrix, diag, identity, matrix, zero

__all__ = [
    "jacobian", "local_partials", "parameter_gradient", "adjoint", "bptt", "backprop",
    "evaluate_jacobian", "forward_values", "size_map", "as_cell",
    "StructuredMatrix", "diag", "identity", "matrix", "zero",
    "BPTT", "Adjoint", "GradientTerm", "ParameterGradient",
    "derivation_document", "jacobian_bound", "Bound", "state_jacobian", "gradient_norms", "vanishing_gradient_figure",
]
