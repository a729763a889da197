"""Generated kernels against PyTorch forward and autograd (float64, nonzero biases, random sizes)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from symrnn.interop.torch import final_to_torch, from_torch, initial_from_torch, torch_arrays  # noqa: E402

TOL = 1e-10
CASES = [
    ("LSTM", {}, 1, False, True),
    ("GRU", {}, 1, False, True),
    ("RNN", {"nonlinearity": "tanh"}, 1, False, True),
    ("RNN", {"nonlinearity": "relu"}, 1, False, True),
    ("LSTM", {}, 2, True, True),
    ("GRU", {}, 3, False, True),
    ("GRU", {}, 2, True, False),
    ("RNN", {"nonlinearity": "tanh"}, 2, True, True),
    ("LSTM", {}, 1, True, False),
]


def _module(kind, options, layers, bi, bias, D, H, seed):
    torch.manual_seed(seed)
    m = getattr(torch.nn, kind)(D, H, num_layers=layers, bidirectional=bi, bias=bias, **options).double()
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.8, 0.8)  # biases clearly nonzero
    return m


def _run_torch(m, x, h0, c0, lengths):
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    c0t = torch.tensor(c0, requires_grad=True) if c0 is not None else None
    state = (h0t, c0t) if c0 is not None else h0t
    if lengths is None:
        out, fin = m(xt, state)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths), enforce_sorted=False)
        out, fin = m(packed, state)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
    h_n, c_n = fin if c0 is not None else (fin, None)
    return xt, h0t, c0t, out, h_n, c_n


@pytest.mark.parametrize("kind,options,layers,bi,bias", CASES)
@pytest.mark.parametrize("ragged", [False, True])
def test_forward_and_gradients_equal_torch(kind, options, layers, bi, bias, ragged, backend):
    rng = np.random.default_rng(zlib.crc32(repr((kind, options, layers, bi, bias, ragged)).encode()))
    D, H, T, B = (int(v) for v in (rng.integers(1, 6), rng.integers(1, 6), rng.integers(2, 7), rng.integers(1, 4)))
    m = _module(kind, options, layers, bi, bias, D, H, seed=int(rng.integers(1000)))
    net = from_torch(m, backend=backend)
    lstm = kind == "LSTM"
    dirs = layers * (2 if bi else 1)
    x = rng.standard_normal((T, B, D))
    h0 = rng.standard_normal((dirs, B, H))
    c0 = rng.standard_normal((dirs, B, H)) if lstm else None
    lengths = rng.integers(1, T + 1, size=B) if ragged else None
    if ragged:
        lengths[0] = T  # pad_packed_sequence's length is the longest sequence
        x[np.arange(T)[:, None] >= lengths[None, :]] = 0.0  # padding, as a torch user has it

    out, final, tape = net.forward(x, initial_from_torch(net, h0, c0), lengths=lengths)
    xt, h0t, c0t, ref, h_n, c_n = _run_torch(m, x, h0, c0, lengths)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(final_to_torch(net, final, "h"), h_n.detach().numpy(), rtol=0, atol=TOL)
    if lstm:
        np.testing.assert_allclose(final_to_torch(net, final, "c"), c_n.detach().numpy(), rtol=0, atol=TOL)

    d_out = rng.standard_normal(out.shape)
    if ragged:
        d_out[np.arange(T)[:, None] >= lengths[None, :]] = 0.0
    d_h = rng.standard_normal(h0.shape)
    d_c = rng.standard_normal(h0.shape) if lstm else None
    loss = (ref * torch.tensor(d_out)).sum() + (h_n * torch.tensor(d_h)).sum()
    if lstm:
        loss = loss + (c_n * torch.tensor(d_c)).sum()
    loss.backward()
    grads = net.backward(tape, d_out, initial_from_torch(net, d_h, d_c))

    mask = np.ones((T, B, 1), bool) if lengths is None else (np.arange(T)[:, None] < lengths)[:, :, None]
    np.testing.assert_allclose(grads["x"] * mask, xt.grad.numpy() * mask, rtol=0, atol=TOL)
    np.testing.assert_allclose(final_to_torch(net, grads, "h"), h0t.grad.numpy(), rtol=0, atol=TOL)
    if lstm:
        np.testing.assert_allclose(final_to_torch(net, grads, "c"), c0t.grad.numpy(), rtol=0, atol=TOL)
    ours = torch_arrays(grads, m, gradients=True)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(ours[name], p.grad.numpy(), rtol=0, atol=TOL, err_msg=name)


def test_single_layer_gives_a_kernel_with_the_cells_own_names():
    m = _module("GRU", {}, 1, False, True, 3, 4, seed=1)
    k = from_torch(m)
    assert sorted(k.params) == sorted(["W_r", "W_z", "W_n", "U_r", "U_z", "U_n", "b_r", "b_z", "b_in", "b_hn"])
    # b_hn sits inside r * (U_n h + b_hn): moving it into b_in changes the function
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    out, _, _ = k.forward(x)
    p = dict(k.params)
    p["b_in"], p["b_hn"] = p["b_in"] + p["b_hn"], 0 * p["b_hn"]
    k.params = p
    moved, _, _ = k.forward(x)
    assert np.abs(out - moved).max() > 1e-3


def test_float32_kernel_matches_torch_float32(backend):
    m = _module("LSTM", {}, 2, True, True, 3, 5, seed=3).float()
    net = from_torch(m, dtype=np.float32, backend=backend)
    x = np.random.default_rng(1).standard_normal((6, 2, 3)).astype(np.float32)
    out, _, _ = net.forward(x)
    ref, _ = m(torch.from_numpy(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=0, atol=1e-5)
