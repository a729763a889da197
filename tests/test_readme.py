"""The README's Python examples run as written, and its claims match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_readme_example_runs(k, capsys):
    namespace: dict = {}
    exec(compile(BLOCKS[k], f"README block {k}", "exec"), namespace)
    if "print(claim.run().status)" in BLOCKS[k]:
        assert capsys.readouterr().out.strip().endswith("proved")
    if "mgu.parameter_count()" in BLOCKS[k]:
        assert "2*D*H + 2*H**2 + 2*H" in capsys.readouterr().out


def test_readme_graph_layer_equals_pyg_sageconv_and_is_proved_equivariant(capsys):
    import networkx as nx
    import numpy as np
    import torch
    from torch_geometric.nn import SAGEConv

    import symrnn

    block = next(b for b in BLOCKS if "GraphBuilder(" in b)
    assert len(block.strip().splitlines()) <= 20
    namespace: dict = {}
    exec(compile(block, "README graph block", "exec"), namespace)
    out = capsys.readouterr().out
    assert "2*F*G + G" in out and out.strip().endswith("proved")
    sage = namespace["sage"]
    rng = np.random.default_rng(0)
    G = nx.gnm_random_graph(15, 40, seed=3, directed=True)
    k = symrnn.compile(sage, F=4, G=3)
    k.params = {n: rng.normal(size=v.shape) for n, v in k.params.items()}
    conv = SAGEConv(4, 3, aggr="mean").double()
    with torch.no_grad():
        conv.lin_l.weight.copy_(torch.tensor(k.params["W_l"]))
        conv.lin_l.bias.copy_(torch.tensor(k.params["b"]))
        conv.lin_r.weight.copy_(torch.tensor(k.params["W_r"]))
    X, R = rng.normal(size=(15, 4)), rng.normal(size=(15, 3))
    Xt = torch.tensor(X, requires_grad=True)
    ei = torch.tensor(list(G.edges()), dtype=torch.long).T
    y = conv(Xt, ei)
    (y * torch.tensor(R)).sum().backward()
    values, tape = k.forward(G, {"x": X})
    grads = k.backward(tape, {"h": R})
    assert np.abs(values["h"] - y.detach().numpy()).max() < 1e-10
    assert np.abs(grads["x"] - Xt.grad.numpy()).max() < 1e-10
    for ours, theirs in (("W_l", conv.lin_l.weight), ("W_r", conv.lin_r.weight), ("b", conv.lin_l.bias)):
        assert np.abs(grads[ours] - theirs.grad.numpy()).max() < 1e-10
