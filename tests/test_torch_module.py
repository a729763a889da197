"""``symrnn.torch_module`` against autograd of a naive torch loop of the same equations (float64, to 1e-10).

Every catalogue cell, a stacked and a bidirectional description, and the MGU as a
user writes it: outputs, final states, and the gradients of every parameter, of
the input and of every initial state, with nonzero biases and ragged lengths.
The oracle (``tests/torch_naive.py``) reads the equations one by one and lets
autograd differentiate them; the module runs the generated forward and the
generated backward of symrnn's derived formulas.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

torch = pytest.importorskip("torch")

import symrnn  # noqa: E402
import torch_naive as naive  # noqa: E402  (tests/ helper)
from symrnn import cells  # noqa: E402
from symrnn.codegen.bench.configs import mgu  # noqa: E402  (the README's MGU, as a user writes it)

TOL = 1e-10
SINGLE = [n for n in cells.names() if n not in ("stacked", "bidirectional")]
F64 = torch.float64


def sizes_of(description) -> dict:
    """Small, distinct sizes for every size of a description (D=3, H=4 for the usual two)."""
    return {s.name: 3 + k for k, s in enumerate(description.sizes)}


@lru_cache(maxsize=None)
def module_of(name: str):
    desc = symrnn.cell(name)
    return desc, symrnn.torch_module(desc, dtype=F64, **sizes_of(desc))


def randomise(module, seed: int):
    """Every parameter uniform in ±0.8 (biases clearly nonzero)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.rand(p.shape, generator=g, dtype=p.dtype) * 1.6 - 0.8)


def problem(module, T=6, B=3, ragged=True, seed=0):
    """x, initial states, lengths and the loss weights (R for the outputs, one per final state)."""
    g = torch.Generator().manual_seed(seed)
    D = module.cells[0].n[module.input_names[0]]
    x = torch.randn(T, B, D, generator=g, dtype=F64, requires_grad=True)
    sizes = {s: c.n[s] for c in module.cells for s in c.state_names}
    initial = {s: (0.5 * torch.randn(B, n, generator=g, dtype=F64)).requires_grad_() for s, n in sizes.items()}
    lengths = [T, 2, T - 1][:B] if ragged else None
    R = torch.randn(T, B, module.output_size, generator=g, dtype=F64)
    R_final = {s: torch.randn(B, n, generator=g, dtype=F64) for s, n in sizes.items()}
    return x, initial, lengths, R, R_final


def values_and_gradients(out, final, R, R_final, leaves):
    loss = (out * R).sum() + sum((final[s] * R_final[s]).sum() for s in R_final)
    return out, final, torch.autograd.grad(loss, leaves)


def assert_close(ours, ref, what):
    err = (ours - ref).abs().max().item()
    assert err <= TOL * max(1.0, ref.abs().max().item()), f"{what}: max |difference| {err:.3g}"


def assert_same_run(module, reference, ragged=True, seed=0):
    """Module vs ``reference(params, x, initial, lengths)``: outputs, finals, every gradient."""
    x, initial, lengths, R, R_final = problem(module, ragged=ragged, seed=seed)
    params = dict(module.named_parameters())
    leaves = [x, *initial.values(), *params.values()]
    names = ["x", *initial, *params]
    ours = values_and_gradients(*module(x, initial, lengths), R, R_final, leaves)
    ref = values_and_gradients(*reference(params, x, initial, lengths), R, R_final, leaves)
    assert_close(ours[0], ref[0], "outputs")
    for s in ref[1]:
        assert_close(ours[1][s], ref[1][s], f"final[{s!r}]")
    for name, a, b in zip(names, ours[2], ref[2]):
        assert_close(a, b, f"d loss / d {name}")


@pytest.mark.parametrize("ragged", [False, True])
@pytest.mark.parametrize("name", SINGLE)
def test_every_catalogue_cell_equals_the_naive_loop(name, ragged):
    desc, module = module_of(name)
    randomise(module, seed=len(name))
    sizes = sizes_of(desc)
    assert_same_run(module, lambda p, x, init, lengths: naive.run(desc, p, x, init, lengths, sizes), ragged)


def test_stacked_layers_equal_the_naive_loop_of_the_flat_cell():
    """Layer k reads layer k-1's new output at the same step: the flat cell is one step function."""
    desc = symrnn.cell("stacked", layers=("lstm", "gru_reset_after", "lstm_peephole"))
    module = symrnn.torch_module(desc, input_size=3, hidden_size=(4, 5, 2), dtype=F64)
    assert [c.cell.name for c in module.cells] == ["l1_lstm", "l2_gru_reset_after", "l3_lstm_peephole"]
    randomise(module, seed=1)
    sizes = {"D": 3, "H1": 4, "H2": 5, "H3": 2}
    assert_same_run(module, lambda p, x, init, lengths: naive.run(desc.cell, p, x, init, lengths, sizes))


@pytest.mark.parametrize("ragged", [False, True])
def test_bidirectional_equals_the_naive_loop_over_each_sequence_reversed(ragged):
    desc = symrnn.cells.bidirectional(symrnn.cell("gru_reset_before"), symrnn.cell("lstm_coupled"))
    module = symrnn.torch_module(desc, D=3, H=4, dtype=F64)
    randomise(module, seed=2)
    assert_same_run(module, lambda p, x, init, lengths: naive.run_bidirectional(
        desc.forward, desc.backward, p, x, init, lengths, {"D": 3, "H": 4}), ragged)


def _mgu_by_hand(p, x, initial, lengths):
    """Zhou et al. 2016, eqs. (1)-(3), written out with torch ops (no symrnn)."""
    h, outs = initial["h"], []
    for t in range(x.shape[0]):
        f = torch.sigmoid(x[t] @ p["W_f"].T + h @ p["U_f"].T + p["b_f"])
        h_tilde = torch.tanh(x[t] @ p["W_h"].T + (f * h) @ p["U_h"].T + p["b_h"])
        new = (1 - f) * h + f * h_tilde
        valid = (t < torch.tensor(lengths))[:, None]
        h = torch.where(valid, new, h)
        outs.append(torch.where(valid, new, torch.zeros_like(new)))
    return torch.stack(outs), {"h": h}


def test_a_user_cell_equals_its_equations_written_by_hand():
    module = symrnn.torch_module(mgu(), input_size=3, hidden_size=5, dtype=F64)
    assert [n for n, _ in module.named_parameters()] == ["W_f", "U_f", "b_f", "W_h", "U_h", "b_h"]
    randomise(module, seed=3)
    assert_same_run(module, _mgu_by_hand)


def test_float32_follows_float64_and_parameters_keep_their_dtype():
    desc, module64 = module_of("lstm")
    randomise(module64, seed=4)
    module32 = symrnn.torch_module(desc, D=3, H=4)
    module32.load_state_dict({k: v.float() for k, v in module64.state_dict().items()})
    x = torch.randn(7, 2, 3, dtype=F64)
    out32, final32 = module32(x.float())
    out64, _ = module64(x)
    assert out32.dtype == torch.float32 and final32["c"].dtype == torch.float32
    assert (out32.double() - out64).abs().max().item() < 1e-5
    module32.double()  # .double() moves the parameters and the generated code follows
    assert (module32(x)[0] - out64).abs().max().item() < 1e-6


def test_nothing_is_tied_to_the_cpu():
    """On the meta device every tensor the generated code allocates must follow the input's device."""
    desc = symrnn.cells.bidirectional(symrnn.cell("lstm_peephole"))
    module = symrnn.torch_module(desc, D=3, H=4, device="meta")
    x = torch.empty(5, 2, 3, device="meta", requires_grad=True)
    out, final = module(x, lengths=[5, 3])
    (out.sum() + final["bw_c"].sum()).backward()
    assert out.device.type == x.grad.device.type == module.fw_p_i.grad.device.type == "meta"
