"""Oracle: PyTorch autograd (``torch.func.jacrev`` and ``backward``) on the PyTorch twins, float64."""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from symrnn.derive import backprop, evaluate_jacobian, forward_values
from test_derive_support import point, rel_err

torch = pytest.importorskip("torch")
from torch.func import jacrev  # noqa: E402

GATES = {"rnn": ("",), "lstm": ("i", "f", "g", "o"), "gru_reset_after": ("r", "z", "n")}


def _t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def torch_cell(name, params, rng):
    """The nn.*Cell twin with symrnn's parameters; merged biases split at random into b_ih + b_hh."""
    p = {k: _t(v) for k, v in params.items()}
    if name == "rnn":
        D, H = p["W"].shape[1], p["W"].shape[0]
        mod = torch.nn.RNNCell(D, H, dtype=torch.float64)
        w_ih, w_hh, bias = p["W"], p["U"], p["b"]
    else:
        ks = GATES[name]
        H, D = p[f"W_{ks[0]}"].shape
        mod = (torch.nn.LSTMCell if name == "lstm" else torch.nn.GRUCell)(D, H, dtype=torch.float64)
        w_ih = torch.cat([p[f"W_{k}"] for k in ks])
        w_hh = torch.cat([p[f"U_{k}"] for k in ks])
        if name == "lstm":
            bias = torch.cat([p[f"b_{k}"] for k in ks])
    b_hh = _t(rng.normal(size=w_hh.shape[0]))
    if name == "gru_reset_after":  # b_r, b_z merge; b_in and b_hn stay apart
        bias = torch.cat([p["b_r"], p["b_z"], p["b_in"]])
        b_hh[2 * H:] = p["b_hn"]
        b_ih = bias - torch.cat([b_hh[:2 * H], torch.zeros(H, dtype=torch.float64)])
    else:
        b_ih = bias - b_hh
    with torch.no_grad():
        mod.weight_ih.copy_(w_ih), mod.weight_hh.copy_(w_hh), mod.bias_ih.copy_(b_ih), mod.bias_hh.copy_(b_hh)
    return mod


def _step(name, mod):
    if name == "lstm":
        return lambda h, c, x: torch.stack(mod(x[None], (h[None], c[None])))[:, 0]  # (2, H): h, c
    return lambda h, c, x: mod(x[None], h[None])[0][None]


@pytest.mark.parametrize("name", list(GATES))
def test_local_jacobians_agree_with_jacrev(name):
    cell = symrnn.cell(name)
    params, xs, prev = point(cell, seed=4, hidden=4, inputs=3)
    mod = torch_cell(name, params, np.random.default_rng(0))
    step = _step(name, mod)
    h, x = _t(prev["h"]), _t(xs["x"])
    c = _t(prev.get("c", np.zeros_like(prev["h"])))
    Jh, Jc, Jx = (J.detach().numpy() for J in jacrev(step, argnums=(0, 1, 2))(h, c, x))
    values = forward_values(cell, params, xs, prev)
    torch_by_wrt = {"h_prev": Jh, "c_prev": Jc, "x": Jx}
    for k, of in enumerate(cell.state_names):
        for wrt in [s + "_prev" for s in cell.state_names] + ["x"]:
            assert rel_err(evaluate_jacobian(cell, of, wrt, values), torch_by_wrt[wrt][k]) <= 1e-8, (of, wrt)


@pytest.mark.parametrize("name", list(GATES))
def test_bptt_gradients_agree_with_autograd(name):
    cell = symrnn.cell(name)
    T = 4
    params, xs, init = point(cell, seed=9, hidden=3, inputs=2, T=T)
    rng = np.random.default_rng(1)
    g = {s: rng.normal(size=(T, len(init[s]))) for s in cell.state_names}
    mod = torch_cell(name, params, rng)
    h = _t(init["h"])[None]
    c = _t(init["c"])[None] if "c" in init else None
    loss = 0
    for t in range(T):
        x = _t(xs["x"][t])[None]
        if name == "lstm":
            h, c = mod(x, (h, c))
            loss = loss + (h[0] * _t(g["h"][t])).sum() + (c[0] * _t(g["c"][t])).sum()
        else:
            h = mod(x, h)
            loss = loss + (h[0] * _t(g["h"][t])).sum()
    loss.backward()
    got = backprop(cell, params, xs, g, init)["params"]
    ks = GATES[name]
    H = len(init["h"])
    for k, gate in enumerate(ks):
        rows = slice(k * H, (k + 1) * H)
        suffix = f"_{gate}" if gate else ""
        assert rel_err(got["W" + suffix], mod.weight_ih.grad[rows].numpy()) <= 1e-8
        assert rel_err(got["U" + suffix], mod.weight_hh.grad[rows].numpy()) <= 1e-8
        bias = {"n": "b_in"}.get(gate, "b" + suffix) if name == "gru_reset_after" else "b" + suffix
        assert rel_err(got[bias], mod.bias_ih.grad[rows].numpy()) <= 1e-8
    if name == "gru_reset_after":
        assert rel_err(got["b_hn"], mod.bias_hh.grad[2 * H:].numpy()) <= 1e-8
