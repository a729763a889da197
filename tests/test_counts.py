"""Parameter counts: symbolic in the sizes, checked against PyTorch's modules."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, strategies as st

import symrnn

torch = pytest.importorskip("torch")

TWINS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru_reset_after": torch.nn.GRU}


def _count(desc, form, **sizes):
    return int(desc.parameter_count(form).xreplace({s: sizes[s.name] for s in desc.sizes}))


@pytest.mark.parametrize("name", sorted(TWINS))
@given(D=st.integers(1, 40), H=st.integers(1, 40))
def test_torch_form_equals_torch_numel(name, D, H):
    module = TWINS[name](D, H)
    assert _count(symrnn.cell(name), "torch", D=D, H=H) == sum(p.numel() for p in module.parameters())


@given(D=st.integers(1, 30), H1=st.integers(1, 30), H2=st.integers(1, 30))
def test_stacked_lstm_counts_match_two_layer_torch_modules(D, H1, H2):
    net = symrnn.cell("stacked", layers=("lstm", "lstm"))
    want = sum(p.numel() for p in torch.nn.LSTM(D, H1).parameters()) + sum(p.numel() for p in torch.nn.LSTM(H1, H2).parameters())
    assert _count(net, "torch", D=D, H1=H1, H2=H2) == want


@given(D=st.integers(1, 30), H=st.integers(1, 30))
def test_bidirectional_gru_counts_match_torch(D, H):
    bi = symrnn.cell("bidirectional", cell_name="gru_reset_after")
    module = torch.nn.GRU(D, H, bidirectional=True)
    assert _count(bi, "torch", D=D, H=H) == sum(p.numel() for p in module.parameters())


def test_paper_form_has_one_bias_per_gate():
    D, H = symrnn.sizes("D H")
    assert sp.expand(symrnn.cell("lstm").parameter_count() - 4 * (D * H + H * H + H)) == 0
    assert sp.expand(symrnn.cell("gru_reset_before").parameter_count() - 3 * (D * H + H * H + H)) == 0
    # peepholes add three diagonal vectors, full gate recurrence nine H x H matrices
    assert sp.expand(symrnn.cell("lstm_peephole").parameter_count() - symrnn.cell("lstm").parameter_count() - 3 * H) == 0
    assert sp.expand(symrnn.cell("lstm_full_recurrence").parameter_count() - symrnn.cell("lstm").parameter_count() - 9 * H**2) == 0


def test_unknown_form_is_refused():
    with pytest.raises(symrnn.SpecError, match="form"):
        symrnn.cell("rnn").parameter_count("keras2")
