"""Issue 20, item 10: ``final_to_torch`` returns what the torch module returns — ``(h_n, c_n)`` for an LSTM.

Oracle: ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` themselves (float64), their final
states and, through autograd, the gradients with respect to ``h0`` and ``c0``.
"""

from __future__ import annotations

import numpy as np
import pytest

from symrnn.errors import InputError

torch = pytest.importorskip("torch")
from symrnn.interop.torch import final_to_torch, from_torch, initial_from_torch  # noqa: E402

T, B, D, H = 5, 3, 2, 4


def _module(kind, layers, bidirectional, batch_first=False):
    torch.manual_seed(11)
    return getattr(torch.nn, kind)(D, H, num_layers=layers, bidirectional=bidirectional,
                                   batch_first=batch_first).double()


@pytest.mark.parametrize("layers, bidirectional, batch_first", [(1, False, False), (2, True, False), (2, False, True)])
def test_lstm_gives_h_n_and_c_n_like_nn_lstm(layers, bidirectional, batch_first):
    m = _module("LSTM", layers, bidirectional, batch_first)
    net = from_torch(m)
    rng = np.random.default_rng(layers)
    x = rng.standard_normal((B, T, D) if batch_first else (T, B, D))
    dirs = layers * (2 if bidirectional else 1)
    h0, c0 = rng.standard_normal((dirs, B, H)), rng.standard_normal((dirs, B, H))
    _, final, tape = net.forward(x, initial_from_torch(net, h0, c0))
    h0t, c0t = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    out, (h_n, c_n) = m(torch.tensor(x), (h0t, c0t))
    got = final_to_torch(net, final)
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_allclose(got[0], h_n.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[1], c_n.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(final_to_torch(net, final, "h"), got[0])
    np.testing.assert_array_equal(final_to_torch(net, final, "c"), got[1])
    # the same pair for gradients: ∂L/∂h0 and ∂L/∂c0 of L = Σ h_n·g_h + Σ c_n·g_c
    g_h, g_c = rng.standard_normal(h_n.shape), rng.standard_normal(c_n.shape)
    ((h_n * torch.tensor(g_h)).sum() + (c_n * torch.tensor(g_c)).sum()).backward()
    grads = net.backward(tape, np.zeros(out.shape), initial_from_torch(net, g_h, g_c))
    d_h0, d_c0 = final_to_torch(net, grads)
    np.testing.assert_allclose(d_h0, h0t.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(d_c0, c0t.grad.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["GRU", "RNN"])
def test_gru_and_rnn_give_h_n_alone(kind):
    m = _module(kind, 2, True)
    net = from_torch(m)
    x = np.random.default_rng(0).standard_normal((T, B, D))
    _, final, _ = net.forward(x)
    _, h_n = m(torch.tensor(x))
    got = final_to_torch(net, final)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, h_n.detach().numpy(), rtol=0, atol=1e-12)
    with pytest.raises(InputError, match="state='c' needs an LSTM"):
        final_to_torch(net, final, "c")


def test_a_bad_state_names_the_argument():
    net = from_torch(_module("LSTM", 1, False))
    _, final, _ = net.forward(np.zeros((T, B, D)))
    with pytest.raises(InputError, match=r"final_to_torch: state must be None .* got 'x'"):
        final_to_torch(net, final, "x")
