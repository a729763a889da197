"""Sequence theorems of the catalogue against PyTorch's bidirectional layers (an independent oracle)."""

from __future__ import annotations

import pytest

from symrnn import prove

torch = pytest.importorskip("torch")


def _bigru(T=5, B=2, D=3, H=4, seed=0):
    torch.manual_seed(seed)
    layer = torch.nn.GRU(D, H, bidirectional=True).double()
    x = torch.randn(T, B, D, dtype=torch.float64)
    with torch.no_grad():
        out, h_n = layer(x)
    return out, h_n, H


def test_backward_final_state_is_the_first_output_step():
    (verdict,) = prove.run(prove.catalogue(["bidirectional_backward_final_state_is_first_output"]))
    assert verdict.status == "proved"
    out, h_n, H = _bigru()
    assert torch.allclose(out[0, :, H:], h_n[1])
    assert torch.allclose(out[-1, :, :H], h_n[0])


def test_last_output_is_not_the_final_state():
    (verdict,) = prove.run(prove.catalogue(["bidirectional_last_output_is_final_state_overstatement"]))
    assert verdict.status == "refuted"
    out, h_n, H = _bigru()
    assert not torch.allclose(out[-1, :, H:], h_n[1])


def test_reversal_with_exchanged_directions():
    (verdict,) = prove.run(prove.catalogue(["bidirectional_reversal"]))
    assert verdict.status == "proved"
    torch.manual_seed(1)
    layer = torch.nn.GRU(3, 4, bidirectional=True).double()
    swapped = torch.nn.GRU(3, 4, bidirectional=True).double()
    with torch.no_grad():  # swapped = the same layer with the two directions' weights exchanged
        for name, p in layer.named_parameters():
            other = name[:-len("_reverse")] if name.endswith("_reverse") else name + "_reverse"
            getattr(swapped, other).copy_(p)
        x = torch.randn(6, 2, 3, dtype=torch.float64)
        left, _ = layer(torch.flip(x, [0]))
        right, _ = swapped(x)
    right = torch.flip(right, [0])
    assert torch.allclose(left, torch.cat([right[..., 4:], right[..., :4]], dim=-1))
