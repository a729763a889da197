"""One rank of the DistributedDataParallel test (``tests/test_torch_module_ddp.py``).

A module of its own so that ``torch.multiprocessing.spawn`` can import it in
each child process.  Every rank builds the model from its own seed (DDP
broadcasts rank 0's parameters), runs forward and backward on its shard of the
batch, takes one SGD step and saves its gradients and parameters.
"""

from __future__ import annotations

import torch

import symrnn
from symrnn.codegen.bench.configs import mgu

LR = 0.1
WORLD = 2


def model(seed: int):
    """A bidirectional MGU (the README's user cell) in float64, initialised from ``seed``."""
    torch.manual_seed(seed)
    return symrnn.torch_module(symrnn.cells.bidirectional(mgu()), input_size=3, hidden_size=4, dtype=torch.float64)


def batch():
    """The whole batch: x (T, 2B, D), ragged lengths, a regression target (T, 2B, 2H)."""
    g = torch.Generator().manual_seed(11)
    x = torch.randn(5, 2 * WORLD, 3, generator=g, dtype=torch.float64)
    lengths = torch.tensor([5, 2, 4, 3])
    target = torch.randn(5, 2 * WORLD, 8, generator=g, dtype=torch.float64)
    return x, lengths, target


def shard(rank: int):
    x, lengths, target = batch()
    rows = slice(2 * rank, 2 * rank + 2)
    return x[:, rows], lengths[rows], target[:, rows]


def loss(module, x, lengths, target):
    out, final = module(x, lengths=lengths)
    return ((out - target) ** 2).mean() + final["bw_h"].square().mean()


def rank_main(rank: int, port: int, directory: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD)
    try:
        net = model(seed=100 + rank)  # different on each rank: DDP must broadcast rank 0's
        ddp = DistributedDataParallel(net)
        start = {n: p.detach().clone() for n, p in net.named_parameters()}
        loss(ddp, *shard(rank)).backward()
        grads = {n: p.grad.detach().clone() for n, p in net.named_parameters()}
        torch.optim.SGD(net.parameters(), lr=LR).step()
        after = {n: p.detach().clone() for n, p in net.named_parameters()}
        torch.save({"start": start, "grads": grads, "after": after}, f"{directory}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()
