"""The reverse mode a graph derivation document prints is the gradient: checked against torch autograd.

For every registered graph layer and graph-recurrent cell (new ones are picked
up from :mod:`symrnn.registry`), the contributions of
:func:`symrnn.derive.graph_document.reverse_rules` — the very data the
document typesets — are evaluated with NumPy and compared with torch's
autograd of the description run by a small interpreter written here.  The
rules hold for any linear operator whose adjoint is its transpose, so every
operator is a random dense matrix (its adjoint the transpose; an operator held
constant is applied outside the graph of autograd, as the description says).
Plus: the printed rules of GCN against a derivation by hand, and every graph
and tree document compiles through ``symrnn derive --format pdf``.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from pdf_text import runs
from symrnn import registry
from symrnn._latex_engine import tex_engine
from symrnn.cli import main
from symrnn.derive.graph_document import graph_document, reverse_rules
from symrnn.spec import symbols
from symrnn.spec.cell import PREV
from symrnn.spec.operators import ANY, OPERATORS, SPACES

torch = pytest.importorskip("torch")

GRAPH_NAMES = registry.names("graph") + registry.names("graph_recurrent")
N = 6
ROWS = {"node": N, "edge": 9, "pair": 7, "graph": 1, "spectrum": N}
"""Rows of each index space (any numbers do: the rules hold for every size)."""
TORCH_FUNCTIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp, "relu": torch.relu,
                   "log": torch.log, "sqrt": torch.sqrt, "softplus": torch.nn.functional.softplus,
                   "leaky_relu": lambda a, s: torch.where(a > 0, a, float(s) * a)}
NUMPY_FUNCTIONS = {"sigmoid": lambda a: 1 / (1 + np.exp(-a)), "relu": lambda a: np.maximum(a, 0),
                   "softplus": lambda a: np.logaddexp(0, a), "Heaviside": lambda a, h0=0.5: np.heaviside(a, float(h0)),
                   "leaky_relu": lambda a, s: np.where(a > 0, a, float(s) * a)}


def test_the_oracle_knows_every_function_and_space():
    assert {row.name for row in symbols.FUNCTIONS.values()} <= set(TORCH_FUNCTIONS)
    assert set(SPACES) <= set(ROWS)


def _operators(rng) -> dict[str, np.ndarray]:
    """A random matrix per operator across rows, its adjoint the transpose (``sum_units`` acts on units instead)."""
    out = {}
    for name, op in OPERATORS.items():
        if name in out or op.source == ANY:
            continue
        out[name] = rng.standard_normal((ROWS[op.target], ROWS[op.source]))
        if op.adjoint:
            out[op.adjoint] = out[name].T
    return out


def _sizes(cell) -> dict:
    return {s: 2 + k for k, s in enumerate(cell.sizes)}


def _shape(decl, sizes):
    return tuple(int(sp.sympify(n).xreplace(sizes)) for n in decl.shape)


def _forward(cell, ops, leaves):
    """Every vector of one step, run in torch (rows = nodes or edges, columns = units)."""
    values = dict(leaves)
    params = {p.name for p in cell.params}
    for eq in cell.equations:
        if eq.is_linear:
            total = 0
            for t in cell.terms(eq.target):
                v = values[t.vector]
                if t.operator is not None and OPERATORS[t.operator].source == ANY:
                    v = v.sum(dim=1, keepdim=True)  # sum_units: 1ᵀ v in every row
                elif t.operator is not None:
                    v = torch.from_numpy(ops[t.operator]) @ v
                    if not OPERATORS[t.operator].linear:
                        v = v.detach()  # held constant in reverse mode
                if t.matrix is not None:
                    v = v @ values[t.matrix].T
                total = total + float(t.coeff) * v
            values[eq.target] = total
        else:
            syms = sorted(eq.expr.free_symbols, key=lambda s: s.name)
            f = sp.lambdify(syms, eq.expr, modules=[TORCH_FUNCTIONS, "math"])
            args = [values[s.name] for s in syms]
            out = f(*args)
            if not torch.is_tensor(out):
                out = torch.full((N, 1), float(out), dtype=torch.float64)
            values[eq.target] = out
        assert eq.target in values and values[eq.target].ndim == 2 or eq.target in params
    return values


def _value(c, d, arr, ops):
    """One contribution's value, from the rule as the document states it (δ = d, forward values arr)."""
    if c.rule in ("vector", "matrix") and c.operator is not None and OPERATORS[c.operator].source == ANY:
        if c.rule == "vector":  # (δ P) 1ᵀ: the row's adjoint to every unit of v
            return (d if c.matrix is None else d @ arr[c.matrix]) @ np.ones((1, arr[c.vector].shape[1]))
        return d.T @ arr[c.vector].sum(axis=1, keepdims=True)  # δᵀ v 1
    if c.rule in ("vector", "matrix", "bias"):
        back = d if c.operator is None else ops[OPERATORS[c.operator].adjoint] @ d  # Opᵀ(δ)
        if c.rule == "bias":
            return back.sum(axis=0)  # 1ᵀ δ
        if c.rule == "matrix":
            return back.T @ arr[c.vector]  # Opᵀ(δ)ᵀ v
        return back if c.matrix is None else back @ arr[c.matrix]  # Opᵀ(δ) P
    syms = sorted(sp.sympify(c.partial).free_symbols, key=lambda s: s.name)
    part = d * sp.lambdify(syms, c.partial, modules=[NUMPY_FUNCTIONS, "numpy"])(*[arr[s.name] for s in syms])
    return {"pointwise": part, "shared": part.sum(axis=0), "shared_broadcast": part.sum(),
            "broadcast": part.sum(axis=1, keepdims=True)}[c.rule]


def _evaluate_rules(cell, ops, values, seeds) -> dict:
    """The document's contributions, evaluated in NumPy, stage by stage from the last."""
    arr = {k: v.detach().numpy() for k, v in values.items()}
    delta = {k: np.asarray(v, float) for k, v in seeds.items()}
    rules = [c for cs in reverse_rules(cell).values() for c in cs]
    for eq in reversed(cell.equations):
        for c in (c for c in rules if c.stage == eq.target):
            d = delta.get(c.stage, np.zeros_like(arr[c.stage]))
            delta[c.target] = delta.get(c.target, 0) + float(c.coeff) * _value(c, d, arr, ops)
    return delta


@pytest.mark.parametrize("name", GRAPH_NAMES)
def test_printed_reverse_mode_equals_autograd(name):
    cell = registry.model(name)
    rng = np.random.default_rng(sum(map(ord, name)))
    ops, sizes = _operators(rng), _sizes(cell)
    rows = ROWS
    leaves = {}
    for d in cell.params:
        leaves[d.name] = torch.tensor(rng.standard_normal(_shape(d, sizes)) * 0.5, requires_grad=True)
    for d in cell.inputs:
        leaves[d.name] = torch.tensor(rng.standard_normal((rows[cell.space(d.name)], *_shape(d, sizes))), requires_grad=True)
    for d in cell.states:
        if d.name + PREV in {n for eq in cell.equations for n in eq.dependencies()}:
            leaves[d.name + PREV] = torch.tensor(rng.standard_normal((rows[d.space], *_shape(d, sizes))),
                                                 requires_grad=True)
    values = _forward(cell, ops, leaves)
    seeds = {s: rng.standard_normal(tuple(values[s].shape)) for s in cell.state_names}
    loss = sum((values[s] * torch.from_numpy(g)).sum() for s, g in seeds.items())
    loss.backward()
    derived = _evaluate_rules(cell, ops, values, seeds)
    checked = 0
    for leaf, tensor in leaves.items():
        expected = tensor.grad.numpy() if tensor.grad is not None else np.zeros(tuple(tensor.shape))
        assert np.all(np.isfinite(expected)), f"{name}: the oracle's ∂L/∂{leaf} is not finite"
        got = np.broadcast_to(np.asarray(derived.get(leaf, 0.0), float), expected.shape)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=f"{name}: ∂L/∂{leaf}")
        checked += bool(np.any(expected))
    assert checked >= len(cell.params)  # the oracle's gradients are not all zero


def test_gcn_rules_are_the_hand_derivation():
    """h = W Â x + b, rows stacked: H = Â X Wᵀ + 1bᵀ, so δx = Âᵀ δh W, δW = (Âᵀ δh)ᵀ x, δb = 1ᵀ δh."""
    md = graph_document(registry.model("gcn"), "md")
    assert r"\boldsymbol{\delta}^{\mathbf{x}} &= \hat{\mathbf{A}}^{\top} \boldsymbol{\delta}^{\mathbf{h}} \mathbf{W}" in md
    assert (r"\frac{\partial L}{\partial \mathbf{W}} &= \left(\hat{\mathbf{A}}^{\top} "
            r"\boldsymbol{\delta}^{\mathbf{h}}\right)^{\top} \mathbf{x}") in md
    assert r"\frac{\partial L}{\partial \mathbf{b}} &= \mathbf{1}^{\top} \boldsymbol{\delta}^{\mathbf{h}}" in md


def test_sage_rules_sum_both_paths_of_x():
    md = graph_document(registry.model("sage"), "md")
    assert (r"\boldsymbol{\delta}^{\mathbf{x}} &= (\mathbf{D}_{\mathrm{in}}^{-1}\mathbf{A})^{\top} "
            r"\boldsymbol{\delta}^{\mathbf{h}} \mathbf{W}_{l} + \boldsymbol{\delta}^{\mathbf{h}} \mathbf{W}_{r}") in md


@pytest.mark.skipif(tex_engine() is None, reason="no TeX engine (CI installs texlive + latexmk)")
@pytest.mark.parametrize("name", [*GRAPH_NAMES, *registry.names("tree")])
def test_derive_pdf_compiles_and_shows_the_derivation(name, tmp_path):
    out = tmp_path / f"{name}.pdf"
    assert main(["derive", name, "--format", "pdf", "-o", str(out)]) == 0
    text = "".join(r.text for r in runs(out.read_bytes()))
    desc = registry.model(name)
    assert desc.name.replace("_", "") in text.replace("_", "")
    assert ("Reversemode" in text and "Parametergradients" in text) if name in GRAPH_NAMES else "Jacobiansto" in text
