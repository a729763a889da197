"""``symrnn.torch_module`` under DistributedDataParallel: gloo, 2 ranks on 127.0.0.1, one optimiser step.

After the step both ranks hold identical parameters, and each rank's gradient
is the average of the single-process gradients of the two shards (the
generated backward, all-reduced by DDP).
"""

from __future__ import annotations

import socket

import pytest

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():  # pragma: no cover
    pytest.skip("torch.distributed is not available", allow_module_level=True)

import torch_ddp_worker as worker  # noqa: E402  (tests/ helper, importable by the spawned ranks)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_hold_identical_parameters_and_the_average_gradient(tmp_path):
    torch.multiprocessing.spawn(worker.rank_main, args=(_free_port(), str(tmp_path)), nprocs=worker.WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(worker.WORLD)]

    single = worker.model(seed=100)  # rank 0's initialisation, which DDP broadcast
    expected = {}
    for r in range(worker.WORLD):
        single.zero_grad()
        worker.loss(single, *worker.shard(r)).backward()
        for n, p in single.named_parameters():
            expected[n] = expected.get(n, 0) + p.grad / worker.WORLD

    for n, p in single.named_parameters():
        for got in ranks:
            assert torch.equal(got["start"][n], p.detach()), f"{n}: DDP did not start from rank 0's parameters"
            assert (got["grads"][n] - expected[n]).abs().max().item() < 1e-12, n
        assert torch.equal(ranks[0]["after"][n], ranks[1]["after"][n]), f"{n}: ranks differ after the step"
        step = p.detach() - worker.LR * expected[n]
        assert (ranks[0]["after"][n] - step).abs().max().item() < 1e-12, n
    assert any(expected[n].abs().max() > 1e-3 for n in expected)  # the gradients are not trivially zero
