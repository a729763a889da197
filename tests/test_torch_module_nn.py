"""``symrnn.torch_module`` against ``torch.nn.LSTM / GRU / RNN`` with copied weights (float64, to 1e-10).

Layers, bidirectional, no bias, nonzero biases, ragged lengths (as packed
sequences); outputs, ``h_n`` / ``c_n`` and the gradients of every torch
parameter (through :func:`symrnn.interop.torch_arrays`), of the input and of
``h0`` / ``c0``.  Weights go in (``torch_module(nn_module)``, ``load_torch``) and
out (``to_torch``) through :mod:`symrnn.interop`'s layouts.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import symrnn  # noqa: E402
from symrnn.errors import InputError  # noqa: E402
from symrnn.interop.torch import torch_arrays  # noqa: E402

from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

TOL = 1e-10
F64 = torch.float64
# the torch.nn configurations the NumPy kernels are checked against (kinds, layers, directions, biases)
from test_kernel_torch import CASES  # noqa: E402


def rnn_module(kind, options, layers, bi, bias, D, H, seed):
    torch.manual_seed(seed)
    m = getattr(torch.nn, kind)(D, H, num_layers=layers, bidirectional=bi, bias=bias, dtype=F64, **options)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.8, 0.8)  # biases clearly nonzero
    return m


def state_names(m, state):
    """Our final-state names in PyTorch's h_n order (layer-major, forward direction first)."""
    if m.num_layers == 1 and not m.bidirectional:
        return [state]
    dirs = ("fw_", "bw_") if m.bidirectional else ("",)
    return [f"l{k + 1}_{d}{state}" for k in range(m.num_layers) for d in dirs]


def close(a, b, what):
    err = (a - b).abs().max().item()
    assert err <= TOL * max(1.0, b.abs().max().item()), f"{what}: {err:.3g}"


@pytest.mark.parametrize("kind,options,layers,bi,bias", CASES)
@pytest.mark.parametrize("ragged", [False, True])
def test_outputs_finals_and_gradients_equal_torch_nn(kind, options, layers, bi, bias, ragged):
    rng = np.random.default_rng(zlib.crc32(repr((kind, options, layers, bi, bias, ragged)).encode()))
    D, H, T, B = (int(v) for v in (rng.integers(1, 6), rng.integers(1, 6), rng.integers(2, 7), rng.integers(1, 4)))
    m = rnn_module(kind, options, layers, bi, bias, D, H, seed=int(rng.integers(1000)))
    ours = symrnn.torch_module(m)  # weights in, through symrnn.interop
    lstm, dirs = kind == "LSTM", layers * (2 if bi else 1)
    x = torch.tensor(rng.standard_normal((T, B, D)))
    lengths = torch.tensor(rng.integers(1, T + 1, size=B)) if ragged else None
    if ragged:
        lengths[0] = T  # pad_packed_sequence's length is the longest sequence
    h0, c0 = torch.tensor(rng.standard_normal((dirs, B, H))), torch.tensor(rng.standard_normal((dirs, B, H)))
    R, R_h, R_c = (torch.tensor(rng.standard_normal(s)) for s in ((T, B, H * (2 if bi else 1)), h0.shape, h0.shape))

    # torch.nn, on a packed sequence when ragged
    xt, h0t, c0t = (v.clone().requires_grad_() for v in (x, h0, c0))
    inp = pack_padded_sequence(xt, lengths, enforce_sorted=False) if ragged else xt
    ref, fin = m(inp, (h0t, c0t) if lstm else h0t)
    ref = pad_packed_sequence(ref, total_length=T)[0] if ragged else ref
    h_n, c_n = fin if lstm else (fin, None)
    loss = (ref * R).sum() + (h_n * R_h).sum() + ((c_n * R_c).sum() if lstm else 0)
    loss.backward()

    # symrnn.torch_module, initial states by name
    xs, h0s, c0s = (v.clone().requires_grad_() for v in (x, h0, c0))
    initial = dict(zip(state_names(m, "h"), h0s))
    if lstm:
        initial |= dict(zip(state_names(m, "c"), c0s))
    out, final = ours(xs, initial, lengths)
    got_h = torch.stack([final[s] for s in state_names(m, "h")])
    got_c = torch.stack([final[s] for s in state_names(m, "c")]) if lstm else None
    (((out * R).sum() + (got_h * R_h).sum() + ((got_c * R_c).sum() if lstm else 0))).backward()

    close(out, ref, "outputs")
    close(got_h, h_n, "h_n")
    close(xs.grad, xt.grad, "d/dx")
    close(h0s.grad, h0t.grad, "d/dh0")
    if lstm:
        close(got_c, c_n, "c_n")
        close(c0s.grad, c0t.grad, "d/dc0")
    grads = {n: p.grad.numpy() for n, p in ours.named_parameters()}
    for name, g in torch_arrays(grads, m, gradients=True).items():
        close(torch.from_numpy(g), dict(m.named_parameters())[name].grad, f"d/d{name}")


def test_packed_sequences_in_give_packed_sequences_out_like_torch_nn():
    m = rnn_module("LSTM", {}, 2, True, True, 3, 4, seed=7)
    ours = symrnn.torch_module(m)
    x = torch.randn(6, 4, 3, dtype=F64)
    packed = pack_padded_sequence(x, torch.tensor([3, 6, 1, 6]), enforce_sorted=False)
    ref, (h_n, _) = m(packed)
    out, final = ours(packed)
    assert torch.equal(out.batch_sizes, ref.batch_sizes) and torch.equal(out.sorted_indices, ref.sorted_indices)
    close(out.data, ref.data, "packed outputs")
    close(torch.stack([final[s] for s in state_names(m, "h")]), h_n, "h_n")


@pytest.mark.parametrize("layers,options", [(("lstm", "lstm"), {"hidden_size": 4}), ("gru_reset_after", {"H": 4})])
def test_descriptions_load_and_give_their_weights_to_torch_nn(layers, options):
    desc = symrnn.cell("stacked", layers=layers) if isinstance(layers, tuple) else symrnn.cell(layers)
    ours = symrnn.torch_module(desc, dtype=F64, D=3, **options)
    twin = ours.to_torch()  # a new torch.nn module with our weights
    assert isinstance(twin, torch.nn.LSTM if "lstm" in layers else torch.nn.GRU)
    assert twin.num_layers == (2 if isinstance(layers, tuple) else 1) and twin.weight_ih_l0.dtype == F64
    x = torch.randn(5, 2, 3, dtype=F64)
    close(ours(x)[0], twin(x)[0], "to_torch outputs")
    with torch.no_grad():
        for p in twin.parameters():
            p.uniform_(-0.8, 0.8)
    ours.load_torch(twin)  # and back in
    close(ours(x)[0], twin(x)[0], "load_torch outputs")


def test_a_bidirectional_description_is_a_bidirectional_torch_nn_module():
    ours = symrnn.torch_module(symrnn.cell("bidirectional", cell_name="lstm"), D=3, H=4, dtype=F64)
    twin = ours.to_torch()
    assert twin.bidirectional and twin.num_layers == 1
    x = torch.randn(5, 2, 3, dtype=F64)
    out, final = ours(x)
    ref, (h_n, c_n) = twin(x)
    close(out, ref, "outputs")
    close(torch.stack([final["fw_c"], final["bw_c"]]), c_n, "c_n")


def test_weights_go_only_where_the_function_is_the_same():
    peephole = symrnn.torch_module(symrnn.cell("lstm_peephole"), D=3, H=4)
    with pytest.raises(InputError, match="not the function of a torch.nn"):
        peephole.to_torch()
    lstm = symrnn.torch_module(symrnn.cell("lstm"), D=3, H=4)
    with pytest.raises(InputError, match="expected a torch.nn.LSTM"):
        lstm.load_torch(torch.nn.GRU(3, 4))
    with pytest.raises(InputError, match="hidden_size"):
        lstm.load_torch(torch.nn.LSTM(3, 5))
    with pytest.raises(InputError, match="sizes"):
        symrnn.torch_module(torch.nn.LSTM(3, 4), hidden_size=4)
