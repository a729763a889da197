"""symrnn.interop.torch: weights out to PyTorch, refusals."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from symrnn.errors import InputError  # noqa: E402
from symrnn.interop.torch import from_torch, params_from_torch, to_torch  # noqa: E402


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_weights_moved_out_give_the_same_module_function(kind):
    torch.manual_seed(0)
    src = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True).double()
    dst = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True).double()
    net = from_torch(src)
    p = dict(net.params)
    p["l2_bw_U" + ("" if kind == "RNN" else "_z" if kind == "GRU" else "_f")] *= 0.5  # edit in symrnn
    net.params = p
    to_torch(net.params, dst)
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    ours, _, _ = net.forward(x)
    theirs, _ = dst(torch.from_numpy(x))
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=0, atol=1e-12)
    before, _ = src(torch.from_numpy(x))
    assert np.abs(before.detach().numpy() - ours).max() > 1e-6  # the edit mattered


def test_refusals():
    with pytest.raises(InputError, match="proj_size"):
        from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(InputError, match="nn.RNN, nn.LSTM or nn.GRU"):
        from_torch(torch.nn.Linear(3, 4))
    m = torch.nn.GRU(2, 3, bias=False).double()
    p = params_from_torch(m)
    assert not any(p[n].any() for n in ("b_r", "b_z", "b_in", "b_hn"))
    p["b_r"] = p["b_r"] + 1
    with pytest.raises(InputError, match="bias=False"):
        to_torch(p, m)
