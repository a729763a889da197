"""Shared pieces of the derivation tests: the user-defined cell, every description, oracles.

The user-defined cell lives only here (no catalogue code knows it); the
finite-difference helper is checked against a function with a known Jacobian.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from symrnn import sigmoid, tanh
from symrnn.derive.numeric import forward_values


def user_cell():
    """A minimal gated unit with a per-unit scale ``w`` and a coefficient, written in user code."""
    b = symrnn.CellBuilder("mgu_user", reference="test-only cell after Zhou et al. 2016")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    f = b.let("f", sigmoid(b.param("W_f", H, D) @ x + b.param("U_f", H, H) @ h + b.param("b_f", H)))
    fh = b.let("fh", f * h)
    a = b.linear(b.param("W_h", H, D) @ x - 2 * (b.param("U_h", H, H) @ fh) + b.param("b_h", H), "a")
    hc = b.let("hc", tanh(a), latex=r"\tilde{\mathbf{h}}")
    b.update("h", (1 - f) * h + f * hc * b.param("w", H))
    return b.build()


def all_cells():
    """``[(id, Cell)]``: every catalogue entry (bidirectional: both directions) and the user cell."""
    out = []
    for name in symrnn.cells.names():
        desc = symrnn.cell(name)
        if isinstance(desc, symrnn.Bidirectional):
            out += [(f"{name}.forward", desc.forward), (f"{name}.backward", desc.backward)]
        else:
            out.append((name, getattr(desc, "cell", desc)))
    return out + [("user", user_cell())]


CELLS = all_cells()
CELL_IDS = [c[0] for c in CELLS]


def sizes_of(cell, hidden=3, inputs=2):
    return {s.name: inputs if s.name == "D" else hidden + k % 2 for k, s in enumerate(cell.sizes)}


def point(cell, seed=0, hidden=3, inputs=2, T=None):
    """Parameters (non-zero biases), inputs and previous states at a random point."""
    sz = sizes_of(cell, hidden, inputs)
    params = symrnn.numeric.init_params(cell, sz, rng=seed, scale=0.8)
    n = symrnn.numeric.vector_sizes(cell, sz)
    rng = np.random.default_rng(seed + 1)
    shape = (lambda k: (T, k)) if T else (lambda k: (k,))
    xs = {d.name: rng.normal(size=shape(n[d.name])) for d in cell.inputs}
    prev = {s: rng.normal(scale=0.7, size=n[s]) for s in cell.state_names}
    return params, xs, prev


def fd_jacobian(fn, x0, eps=1e-6):
    """Central finite differences of a vector function, float64."""
    x0 = np.asarray(x0, float)
    cols = []
    for k in range(x0.size):
        e = np.zeros_like(x0)
        e.flat[k] = eps
        cols.append((np.asarray(fn(x0 + e)) - np.asarray(fn(x0 - e))).ravel() / (2 * eps))
    return np.stack(cols, axis=-1)


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def step_fn(cell, params, xs, prev, of, wrt):
    """``v -> value of `of` after one step`` with vector ``wrt`` replaced by ``v`` (an input or previous state)."""
    def fn(v):
        inputs, states = dict(xs), dict(prev)
        if wrt.endswith("_prev"):
            states[wrt[:-5]] = v
        else:
            inputs[wrt] = v
        return forward_values(cell, params, inputs, states)[of]
    return fn


def sequence_loss(cell, params, xs, loss_grads, initial):
    """L = Σ_t Σ_s g_{s,t} · s_t over a sequence, by the reference evaluator."""
    T = len(next(iter(xs.values())))
    state, total = dict(initial), 0.0
    for t in range(T):
        v = forward_values(cell, params, {k: x[t] for k, x in xs.items()}, state)
        state = {s: v[s] for s in cell.state_names}
        total += sum(float(g[t] @ v[s]) for s, g in loss_grads.items())
    return total


def test_fd_jacobian_of_a_known_map():
    A = np.arange(6.0).reshape(2, 3)
    J = fd_jacobian(lambda v: np.tanh(A @ v), np.array([0.1, -0.2, 0.3]))
    exact = np.diag(1 - np.tanh(A @ np.array([0.1, -0.2, 0.3])) ** 2) @ A
    assert rel_err(J, exact) < 1e-8


def test_user_cell_is_not_in_the_catalogue():
    assert "mgu_user" not in symrnn.cells.names()
    with pytest.raises(symrnn.UnknownNameError):
        symrnn.cell("mgu_user")
