"""One cell run on a batch of rows, forward and backward, compiled from its description.

The per-block engine of the tree kernel (:mod:`symrnn.trees.kernel`).  Built
from the same pieces as :mod:`symrnn.codegen`: linear terms
(:meth:`symrnn.Cell.terms`) become fused GEMMs — all terms reading the
feature ``x`` form one stacked matrix, all terms reading one child vector
another, each applied to a whole block of a level at once and written into
one pre-activation buffer — and pointwise stages and their partials
(:func:`symrnn.spec.partials.pointwise_partials`) are printed to NumPy by
:func:`symrnn.codegen.printer.to_source` and compiled once: the partials of
one stage as one function with their common subexpressions computed once
(``sympy.cse``), and each stage also as :func:`~symrnn.codegen.printer.emit_into`
statements, so that states are written straight into caller-given rows.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..codegen.printer import emit_into, to_source
from ..codegen.runtime import RUNTIME
from ..numeric.params import param_shapes, vector_sizes
from ..spec.partials import pointwise_partials

__all__ = ["Stage", "STATIC"]

STATIC = "x"
"""The node feature: its linear terms are computed for all nodes in one GEMM."""


def _compile(expr, what):
    names = {s.name: f"V[{s.name!r}]" for s in expr.free_symbols}
    src = to_source(expr, names)
    return eval(compile(f"lambda V: {src}", f"<{what}>", "eval"), dict(RUNTIME))  # noqa: S307 - our own printer's output


def _compile_into(expr, what):
    """``into(V, out)``: ``expr`` written into the array ``out`` (its outermost operation with ``out=``)."""
    names = {s.name: f"V[{s.name!r}]" for s in expr.free_symbols}
    src = "def into(V, out):\n" + "".join(f"    {line}\n" for line in emit_into(expr, "out", names)) + "    return out\n"
    return _define(src, "into", what)


def _define(src, name, what):
    scope = dict(RUNTIME)
    exec(compile(src, f"<{what}>", "exec"), scope)  # noqa: S102 - our own printer's output
    return scope[name]


def _compile_all(exprs, what):
    """One function returning every expression of ``exprs``, common subexpressions computed once.

    The partials of ``h = o ⊙ tanh(c)`` both read tanh(c): one ``np.tanh`` call, not two.
    """
    temps = (sp.Symbol(f"_t{k}") for k in itertools.count())
    repl, reduced = sp.cse(list(exprs), symbols=temps)
    names = {s.name: f"V[{s.name!r}]" for e in exprs for s in e.free_symbols}
    lines = []
    for sym, e in repl:
        lines.append(f"    {sym.name} = {to_source(e, names)}")
        names[sym.name] = sym.name
    src = "def partials(V):\n" + "".join(line + "\n" for line in lines)
    src += f"    return ({''.join(to_source(e, names) + ', ' for e in reduced)})\n"
    return _define(src, "partials", what)


class Stage:
    """A compiled cell: ``static`` (x terms + biases), ``groups`` (per source vector) and ``steps``.

    Parameters
    ----------
    cell : Cell
    sizes : dict
        ``{"D": 3, "H": 4}``.
    """

    def __init__(self, cell, sizes):
        self.cell = cell
        self.n = vector_sizes(cell, sizes)
        self.shapes = param_shapes(cell, sizes)
        self.static = []          # (target, lo, hi, kind, name, coeff): kind "W" (matrix on x) or "b"
        self.groups = {}          # input vector -> [(target, lo, hi, matrix, coeff)]
        self.late = {}            # linear target -> [(coeff, matrix, vector)] for vectors computed in the cell
        self.slot = {}            # linear target -> (lo, hi) in the static buffer
        self.steps = []           # ("linear", target) | ("pointwise", target, fn(V), [dep], partials(V), into(V, out))
        self.inputs = [d.name for d in cell.inputs if d.name != STATIC]
        width = 0
        gwidth = {}
        reads = set()
        for eq in cell.equations:
            if eq.is_linear:
                lo, hi = width, width + self.n[eq.target]
                self.slot[eq.target] = (lo, hi)
                width = hi
                for t in cell.terms(eq.target):
                    role = cell.role(t.vector)
                    c = float(t.coeff)
                    if t.vector == STATIC:
                        self.static.append((eq.target, lo, hi, "W", t.matrix, c))
                    elif role == "param":
                        self.static.append((eq.target, lo, hi, "b", t.vector, c))
                    elif role == "input" and t.matrix is not None:
                        g0 = gwidth.get(t.vector, 0)
                        self.groups.setdefault(t.vector, []).append((eq.target, g0, g0 + self.n[eq.target], t.matrix, c))
                        gwidth[t.vector] = g0 + self.n[eq.target]
                    else:
                        self.late.setdefault(eq.target, []).append((c, t.matrix, t.vector))
                self.steps.append(("linear", eq.target))
            else:
                fn = _compile(eq.expr, eq.target)
                parts = pointwise_partials(cell, eq.target)
                reads.update(s.name for d in parts.values() for s in d.free_symbols)
                self.steps.append(("pointwise", eq.target, fn, list(parts),
                                   _compile_all(parts.values(), f"d{eq.target}"), _compile_into(eq.expr, eq.target)))
        self.width = width
        reads.update(self.groups)
        reads.update(v for terms in self.late.values() for _, m, v in terms if m)
        self.reads = frozenset(reads)
        """Names the backward pass reads: all a tape keeps (:meth:`taped`)."""

    # ---------------------------------------------------------------- weights
    def static_weights(self, params, D, dtype):
        """Stacked (width, D) matrix of the x terms and the stacked bias (width,)."""
        W = np.zeros((self.width, D), dtype)
        b = np.zeros(self.width, dtype)
        for _, lo, hi, kind, name, c in self.static:
            if kind == "W":
                W[lo:hi] += c * params[name]
            else:
                b[lo:hi] += c * params[name]
        return W, b

    def group_weights(self, params, dtype):
        """Per child vector ``v``: the full-width (width, n_v) matrix, zero rows for stages not reading ``v``.

        Full width lets one GEMM add every stage's term at once into the
        pre-activation buffer; in the shipped models every linear stage reads
        every child vector, so no zero rows are multiplied.
        """
        out = {}
        for v, blocks in self.groups.items():
            M = np.zeros((self.width, self.n[v]), dtype)
            for t, _, _, name, c in blocks:
                lo, hi = self.slot[t]
                M[lo:hi] += c * params[name]
            out[v] = M
        return out

    # ---------------------------------------------------------------- forward
    def forward(self, params, A, inputs, weights, zero=frozenset(), into=None):
        """Values of every vector for a batch of rows.

        ``A`` (B, width) holds the rows' x terms and biases (one GEMM,
        :meth:`static_weights`) and is completed in place; ``inputs`` are the
        gathered child vectors by name, ``weights`` their full-width matrices
        (:meth:`group_weights`); ``zero`` names inputs that are zero in every
        row (leaves), whose GEMM is skipped.  One GEMM per source vector adds
        every linear stage's term at once (``weights={}`` when ``A`` already
        holds them, as in the tree kernel's single GEMM).  ``into`` maps names of pointwise
        values to (B, n) arrays that receive them (the states' rows of the forest).
        """
        for v, M in weights.items():
            if v not in zero:
                A += inputs[v] @ M.T
        V = dict(params)
        V.update(inputs)
        B = A.shape[0]
        for step in self.steps:
            t = step[1]
            if step[0] == "linear":
                lo, hi = self.slot[t]
                for c, m, v in self.late.get(t, ()):
                    A[:, lo:hi] += c * (V[v] @ params[m].T if m else V[v])
                # a contiguous copy: σ and tanh run 2-3x faster on it than on the strided slot
                V[t] = np.ascontiguousarray(A[:, lo:hi])
            elif into and t in into:
                V[t] = step[5](V, into[t])
            else:
                r = step[2](V)
                V[t] = r if getattr(r, "shape", None) == (B, self.n[t]) else np.broadcast_to(r, (B, self.n[t])).copy()
        V["_zero"] = zero
        return V

    def taped(self, V):
        """The part of :meth:`forward`'s values that :meth:`backward` reads (pre-activations, outputs dropped)."""
        out = {k: V[k] for k in self.reads if k in V}
        out["_zero"] = V["_zero"]
        return out

    # --------------------------------------------------------------- backward
    def backward(self, params, V, adj, weights, grads, gweights, adj_static=None):
        """Reverse sweep on one batch.

        ``V`` is :meth:`forward`'s values (or their :meth:`taped` part),
        ``adj`` maps output names to adjoints; returns ``(adj_inputs, adj_static)``
        where ``adj_static`` (B, width) is the adjoint of the pre-activation
        buffer (its x terms and biases are reduced by the caller); pass a
        zeroed (B, width) array, possibly a view, to have it written there.
        Matrix gradients of late terms go to ``grads``, of the full-width
        child-vector matrices to ``gweights``.
        """
        adj = {k: v.copy() for k, v in adj.items()}
        if adj_static is None:
            first = next(iter(adj.values()))
            adj_static = np.zeros((first.shape[0], self.width), first.dtype)

        def add(name, value):
            if name in adj:
                adj[name] += value
            else:
                adj[name] = value

        for step in reversed(self.steps):
            t = step[1]
            g = adj.pop(t, None)
            if g is None:
                continue
            if step[0] == "pointwise":
                for dep, dv in zip(step[3], step[4](V)):
                    d = g * dv
                    if self.cell.role(dep) == "param":
                        grads[dep] = grads.get(dep, 0) + d.sum(0)
                    else:
                        add(dep, d)
                continue
            lo, hi = self.slot[t]
            adj_static[:, lo:hi] = g
            for c, m, v in self.late.get(t, ()):
                if m:
                    grads[m] = grads.get(m, 0) + c * (g.T @ V[v])
                    add(v, c * (g @ params[m]))
                else:
                    add(v, c * g)
        for v, M in weights.items():
            if v in V["_zero"]:
                continue
            add(v, adj_static @ M)
            gweights[v] = gweights.get(v, 0) + adj_static.T @ V[v]
        return {n: adj[n] for n in self.inputs if n in adj}, adj_static

    def split_groups(self, gweights, grads):
        """Per-parameter gradients from the full-width child-vector gradients."""
        for v, G in gweights.items():
            for t, _, _, name, c in self.groups[v]:
                lo, hi = self.slot[t]
                grads[name] = grads.get(name, 0) + c * G[lo:hi]

    def split_static(self, dW, db, grads):
        for _, lo, hi, kind, name, c in self.static:
            grads[name] = grads.get(name, 0) + c * (dW[lo:hi] if kind == "W" else db[lo:hi])
