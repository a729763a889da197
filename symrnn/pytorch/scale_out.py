"""The README's "Scale out" example, runnable as ``python -m symrnn.pytorch.scale_out``.

A cell of one's own, a property proved for every size, then training under
DistributedDataParallel on two processes (gloo on 127.0.0.1).  Everything
below this docstring is the README's block, verbatim (``tests/test_torch_module_readme.py``).
"""
import socket

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

import symrnn
from symrnn import sigmoid, tanh
from symrnn.prove import Theorem, equivalent

# 1. A cell of your own: the minimal gated unit (Zhou et al. 2016)
b = symrnn.CellBuilder("mgu")
D, H = b.sizes("D H")
x, h = b.input("x", D), b.state("h", H)
f = b.let("f", sigmoid(b.param("W_f", H, D) @ x + b.param("U_f", H, H) @ h + b.param("b_f", H)))
fh = b.let("fh", f * h)
hc = b.let("hc", tanh(b.param("W_h", H, D) @ x + b.param("U_h", H, H) @ fh + b.param("b_h", H)))
b.update("h", (1 - f) * h + f * hc)
mgu = b.build()

# 2. A property, proved for every size: with its gate held open (f = 1) the MGU is the simple RNN
open_gate = Theorem("mgu_open_gate_is_rnn", "An MGU with f = 1 is the simple RNN.",
                    lambda: equivalent(mgu.substitute({"f": 1}), symrnn.cell("rnn"),
                                       rename={"W_h": "W", "U_h": "U", "b_h": "b"}))


# 3. The same equations as a torch module, trained with DistributedDataParallel: one process per
#    rank, here two on this machine with gloo (on GPUs: "nccl" and .to(rank); the code follows the device)
class Tagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = symrnn.torch_module(mgu, input_size=3, hidden_size=16)   # generated fwd, derived bwd
        self.readout = torch.nn.Linear(16, 1)

    def forward(self, x, lengths):
        out, final = self.rnn(x, lengths=lengths)                           # out: (T, B, 16)
        return self.readout(out).squeeze(-1)


def train(rank, world_size, port, steps=61):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size)
    torch.manual_seed(rank)                                # DDP starts every rank from rank 0's weights
    model = DistributedDataParallel(Tagger())
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    data = torch.Generator().manual_seed(100 + rank)       # each rank its own batches
    for step in range(steps):
        x = torch.randn(20, 32, 3, generator=data)
        lengths = torch.randint(5, 21, (32,), generator=data)
        valid = (torch.arange(20)[:, None] < lengths).float()
        target = torch.tanh(x[:, :, 0].cumsum(0))          # a running sum: the cell must remember
        loss = (((model(x, lengths) - target) ** 2) * valid).sum() / valid.sum()
        optimiser.zero_grad()
        loss.backward()                                    # the generated backward, all-reduced by DDP
        optimiser.step()
        if rank == 0 and step % 20 == 0:
            print(f"step {step:2d}  loss {loss.item():.3f}")
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    copies = [torch.empty_like(weights) for _ in range(world_size)]
    dist.all_gather(copies, weights)
    assert all(torch.equal(c, weights) for c in copies), "the ranks' weights differ"
    if rank == 0:
        print("both ranks hold the same weights")
    dist.destroy_process_group()


if __name__ == "__main__":
    print(open_gate.run().status)                          # proved
    with socket.socket() as s:                             # a free port where the ranks meet
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.multiprocessing.spawn(train, args=(2, port), nprocs=2)
