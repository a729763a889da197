"""The oracle of ``symrnn.torch_module``: a naive torch loop of a description's equations, differentiated by autograd.

It reads the description as :func:`symrnn.numeric.run` does — linear stages as
``Σ k · v @ Pᵀ``, pointwise stages through ``sympy.lambdify`` (here with torch's
functions), one equation and one step at a time — and shares nothing with the
code generator: no plan, no fused products, no tape, no derived partials.  Its
gradients are autograd's.  Ragged sequences follow PyTorch's packed sequences,
written out directly: past its length a sequence keeps its state and its
outputs are zero; a reverse direction starts at the sequence's own last step
(each sequence flipped on its own, in a Python loop).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
import torch

from symrnn.spec.cell import PREV

FUNCTIONS = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "exp": torch.exp, "log": torch.log,
    "sqrt": torch.sqrt, "softplus": lambda a: torch.logaddexp(a, torch.zeros_like(a)),
    "leaky_relu": lambda a, s: torch.where(a > 0, a, s * a),
}


@lru_cache(maxsize=None)
def _lambdified(expr):
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    return [s.name for s in syms], sp.lambdify(syms, expr, modules=[FUNCTIONS])


def step(cell, params, inputs, prev, B, sizes):
    """Every value of one step (B rows), by name."""
    values = {**params, **inputs, **{s + PREV: v for s, v in prev.items()}}
    like = next(iter(params.values()))
    for eq in cell.equations:
        size = sp.sympify(eq.size)
        n = int(size.xreplace({s: sizes[s.name] for s in size.free_symbols}))
        if eq.is_linear:
            acc = torch.zeros((B, n), dtype=like.dtype)
            for t in cell.terms(eq.target):
                v = values[t.vector]
                acc = acc + float(t.coeff) * (v @ values[t.matrix].T if t.matrix is not None else v)
            values[eq.target] = acc
        else:
            names, fn = _lambdified(eq.expr)
            values[eq.target] = torch.zeros((B, n), dtype=like.dtype) + fn(*(values[k] for k in names))
    return values


def run(cell, params, x, initial, lengths=None, sizes=None):
    """Outputs (T, B, n_out) and final states of ``cell`` over ``x`` (T, B, D) from ``initial``."""
    T, B = x.shape[:2]
    state, outs = dict(initial), []
    for t in range(T):
        vals = step(cell, params, {cell.inputs[0].name: x[t]}, state, B, sizes)
        valid = torch.ones((B, 1), dtype=torch.bool) if lengths is None else (t < torch.as_tensor(lengths))[:, None]
        state = {s: torch.where(valid, vals[s], state[s]) for s in cell.state_names}
        outs.append(torch.where(valid, vals[cell.output], torch.zeros_like(vals[cell.output])))
    return torch.stack(outs), state


def flip_each(seq, lengths):
    """Each sequence of ``seq`` (T, B, n) reversed within its own length (padding left where it is)."""
    T, B = seq.shape[:2]
    lengths = [T] * B if lengths is None else [int(v) for v in lengths]
    cols = [torch.cat([seq[:L, b].flip(0), seq[L:, b]]) for b, L in enumerate(lengths)]
    return torch.stack(cols, dim=1)


def run_bidirectional(fw, bw, params, x, initial, lengths, sizes):
    """A bidirectional layer: ``fw`` over x, ``bw`` over each sequence reversed, outputs concatenated."""
    out_f, fin_f = run(fw, params, x, {s: initial[s] for s in fw.state_names}, lengths, sizes)
    out_b, fin_b = run(bw, params, flip_each(x, lengths), {s: initial[s] for s in bw.state_names}, lengths, sizes)
    return torch.cat([out_f, flip_each(out_b, lengths)], dim=2), {**fin_f, **fin_b}
