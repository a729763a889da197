"""Training on the generated kernels: loss gradients against finite differences and torch autograd,
whole Adam trajectories against PyTorch, and learning a trivially learnable task."""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from symrnn.errors import InputError
from symrnn.experiments import Adam, Model, task, train
from symrnn.experiments.optim import clip_by_global_norm


def _fd_check(model, xs, targets, rng, per_param=6, h=1e-6):
    _, grads = model.loss_and_grads(xs, targets)
    for name, p in model.params.items():
        for flat in rng.choice(p.size, size=min(per_param, p.size), replace=False):
            idx = np.unravel_index(flat, p.shape)
            old = p[idx]
            p[idx] = old + h
            up = model.loss_and_grads(xs, targets)[0]
            p[idx] = old - h
            down = model.loss_and_grads(xs, targets)[0]
            p[idx] = old
            assert grads[name][idx] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-8), (name, idx)


@pytest.mark.parametrize("cell", ["lstm", "gru_reset_before", "lstm_peephole"])
@pytest.mark.parametrize("name,length", [("adding", 6), ("temporal_order", 10), ("copy", 13)])
def test_loss_gradient_equals_finite_differences(rng, cell, name, length):
    t = task(name, length=length)
    model = Model(symrnn.cell(cell), t, hidden=3, seed=1)
    xs, targets = t.batch(rng, 4)
    _fd_check(model, xs, targets, rng)


def _torch_model(kind, model):
    import torch

    from symrnn.interop.torch import to_torch

    D, H = model.task.input_size, model.kernel.output_size
    rnn = getattr(torch.nn, kind)(D, H).double()
    to_torch({k: v for k, v in model.params.items() if k not in ("W_y", "b_y")}, rnn)
    # symrnn trains one merged bias per gate (the GRU keeps b_hn apart): torch's second copy must not move
    keep = torch.zeros(rnn.bias_hh_l0.shape, dtype=torch.float64)
    if kind == "GRU":
        keep[2 * H:] = 1.0
    rnn.bias_hh_l0.register_hook(lambda g: g * keep)
    lin = torch.nn.Linear(H, model.task.output_size).double()
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(model.params["W_y"]))
        lin.bias.copy_(torch.from_numpy(model.params["b_y"]))
    return rnn, lin, keep.numpy()


def _torch_loss(t, rnn, lin, xs, targets):
    import torch

    out, _ = rnn(torch.from_numpy(xs))
    if t.readout == "last":
        out = out[-1]
    y = lin(out)
    if t.loss == "mse":
        return torch.nn.functional.mse_loss(y, torch.from_numpy(targets))
    return torch.nn.functional.cross_entropy(y.reshape(-1, y.shape[-1]), torch.from_numpy(targets).reshape(-1),
                                             ignore_index=-1)


@pytest.mark.parametrize("kind,cell", [("LSTM", "lstm"), ("GRU", "gru_reset_after")])
@pytest.mark.parametrize("name,length", [("adding", 7), ("copy", 13)])
def test_adam_training_follows_pytorch(rng, kind, cell, name, length):
    """Loss, gradients and eight clipped Adam steps agree with nn.LSTM/nn.GRU + nn.Linear + torch.optim.Adam."""
    torch = pytest.importorskip("torch")
    from symrnn.interop.torch import torch_arrays

    t = task(name, length=length)
    model = Model(symrnn.cell(cell), t, hidden=4, seed=2)
    rnn, lin, keep = _torch_model(kind, model)
    tparams = list(rnn.parameters()) + list(lin.parameters())
    opt, topt = Adam(model.params, lr=0.05), torch.optim.Adam(tparams, lr=0.05)
    for step in range(8):
        xs, targets = t.batch(rng, 5)
        loss, grads = model.loss_and_grads(xs, targets)
        topt.zero_grad()
        tloss = _torch_loss(t, rnn, lin, xs, targets)
        tloss.backward()
        assert loss == pytest.approx(tloss.item(), rel=1e-12)
        if step == 0:
            ref = torch_arrays({k: v for k, v in grads.items() if k not in ("W_y", "b_y")}, rnn, gradients=True)
            ref["bias_hh_l0"] = ref["bias_hh_l0"] * keep
            for k, p in rnn.named_parameters():
                np.testing.assert_allclose(ref[k], p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
            np.testing.assert_allclose(grads["W_y"], lin.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
        clip_by_global_norm(grads, 0.5)
        torch.nn.utils.clip_grad_norm_(tparams, 0.5)
        opt.step(grads)
        topt.step()
    ours = torch_arrays({k: v for k, v in model.params.items() if k not in ("W_y", "b_y")}, rnn)
    for k, p in rnn.named_parameters():
        if k != "bias_hh_l0" or kind == "GRU":
            np.testing.assert_allclose(ours[k], p.detach().numpy(), rtol=1e-9, atol=1e-11, err_msg=k)
    np.testing.assert_allclose(model.params["W_y"], lin.weight.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_training_learns_a_trivially_learnable_task():
    """Adding problem of length 2: both steps are marked, the target is x_0 + x_1 — an RNN learns it quickly."""
    t = task("adding", length=2)
    history = train(Model(symrnn.cell("rnn"), t, hidden=8, seed=0), steps=300, batch_size=32, lr=0.02)
    assert history.initial["loss"] > 0.05
    assert history.final["loss"] < 0.1 * history.initial["loss"]
    assert np.all(np.diff(history.seconds) >= 0)


def test_same_seed_same_run_and_kernel_reuse():
    t = task("adding", length=5)
    cell = symrnn.cell("gru_reset_after")
    a = train(Model(cell, t, hidden=4, seed=3), steps=10, seed=7)
    kernel = symrnn.compile(cell, input_size=2, hidden_size=4)
    b = train(Model(cell, t, hidden=4, seed=3, kernel=kernel), steps=10, seed=7)
    np.testing.assert_array_equal(a.losses, b.losses)


def test_bad_arguments():
    t = task("adding", length=5)
    with pytest.raises(InputError, match="hidden"):
        Model(symrnn.cell("lstm"), t, hidden=0)
    with pytest.raises(InputError, match="task"):
        Model(symrnn.cell("lstm"), "adding", hidden=2)
    with pytest.raises(InputError, match="steps"):
        train(Model(symrnn.cell("lstm"), t, hidden=2), steps=0)
