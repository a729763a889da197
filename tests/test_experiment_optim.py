"""Adam against torch.optim.Adam (float64, to 1e-12), and global-norm clipping against torch's."""

from __future__ import annotations

import numpy as np
import pytest

from symrnn.errors import InputError
from symrnn.experiments import Adam, clip_by_global_norm


@pytest.mark.parametrize("lr,betas,eps", [(1e-3, (0.9, 0.999), 1e-8), (0.3, (0.5, 0.9), 1e-3), (0.05, (0.0, 0.0), 0.0)])
def test_adam_equals_torch(rng, lr, betas, eps):
    torch = pytest.importorskip("torch")
    shapes = {"W": (3, 4), "b": (3,), "s": (1,)}
    ours = {k: rng.standard_normal(s) for k, s in shapes.items()}
    theirs = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in ours.items()}
    opt = Adam(ours, lr=lr, betas=betas, eps=eps)
    topt = torch.optim.Adam(list(theirs.values()), lr=lr, betas=betas, eps=eps)
    for _ in range(25):
        grads = {k: rng.standard_normal(s) * 10.0 ** rng.integers(-3, 3) for k, s in shapes.items()}
        opt.step(grads)
        for k, p in theirs.items():
            p.grad = torch.from_numpy(grads[k].copy())
        topt.step()
    for k in shapes:
        np.testing.assert_allclose(ours[k], theirs[k].detach().numpy(), rtol=1e-12, atol=1e-12)


def test_adam_updates_in_place_and_checks_grads():
    p = {"a": np.zeros(2)}
    alias = p["a"]
    opt = Adam(p, lr=0.1)
    opt.step({"a": np.array([1.0, -1.0])})
    assert alias is p["a"] and np.allclose(alias, [-0.1, 0.1])  # first step moves every coordinate by lr
    with pytest.raises(InputError, match="grads\\['a'\\]"):
        opt.step({"a": np.zeros(3)})
    with pytest.raises(InputError, match="lr"):
        Adam(p, lr=0)
    with pytest.raises(InputError, match="floating"):
        Adam({"a": np.zeros(2, dtype=int)})


def test_clipping_equals_torch(rng):
    torch = pytest.importorskip("torch")
    grads = {"a": rng.standard_normal((3, 2)) * 5, "b": rng.standard_normal(4)}
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.from_numpy(g.copy())
    total = torch.nn.utils.clip_grad_norm_(tensors, 1.0)
    norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(float(total), rel=1e-12)
    for t, g in zip(tensors, grads.values()):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
