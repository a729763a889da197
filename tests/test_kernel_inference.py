"""Inference: ``forward(..., tape=False)`` is a forward pass generated without a tape — the same numbers
bit for bit, nothing kept for backward, every catalogue entry, stacked and bidirectional, both dtypes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import symrnn
from symrnn.codegen.plan import make_plan
from symrnn.errors import InputError


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", symrnn.cells.names())
def test_outputs_and_finals_equal_the_taped_forward(name, dtype):
    k = symrnn.compile(symrnn.cell(name), input_size=3, hidden_size=4, dtype=dtype)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3, 3)).astype(dtype)
    initial = {s: rng.normal(size=(3, k.plan.n[s] if hasattr(k, "plan") else 4)).astype(dtype)
               for s in k.state_names} if hasattr(k, "plan") else None
    lengths = np.array([6, 2, 4])
    o1, f1, tape = k.forward(x, initial, lengths)
    o2, f2, none = k.forward(x, initial, lengths, tape=False)
    assert none is None and tape is not None
    np.testing.assert_array_equal(o1, o2)
    assert f1.keys() == f2.keys() and all(np.array_equal(f1[s], f2[s]) for s in f1)
    # the reference interpreter agrees as well (an independent oracle, not the same generated code)
    if hasattr(k, "plan") and dtype == np.float64:
        ref, final, _ = symrnn.numeric.run(k.cell, k.params, {k.input_names[0]: x}, initial)
        np.testing.assert_allclose(k.forward(x, initial, tape=False)[0], ref, atol=1e-12)


@pytest.mark.parametrize("name", ["lstm", "gru_reset_after", "lstm_peephole", "lstm_full_recurrence"])
def test_the_inference_plan_keeps_nothing_for_backward(name):
    cell = symrnn.cell(name)
    taped, bare = make_plan(cell, {"D": 3, "H": 4}), make_plan(cell, {"D": 3, "H": 4}, inference=True)
    assert taped.needed and not bare.needed
    assert not [n for n, loc in bare.storage.items() if loc[0] == "tape"]
    assert bare.rolling == set(cell.state_names) - {cell.output}
    k = symrnn.compile(cell, D=3, H=4)
    k.forward(np.ones((5, 2, 3)), tape=False)
    per_step = re.findall(r"(_[YS]_\w+) = _np\.empty\(\(_T", k.inference_source)  # arrays with a row per step
    assert per_step == [f"_S_{cell.output}"], per_step


def test_ten_thousand_float32_steps_stay_finite():
    k = symrnn.compile(symrnn.cell("lstm"), input_size=4, hidden_size=8, dtype=np.float32)
    k.params = {n: (v * 3).astype(np.float32) for n, v in k.params.items()}  # large weights: saturated gates
    x = np.random.default_rng(0).normal(size=(10_000, 2, 4)).astype(np.float32) * 100
    out, final, _ = k.forward(x, tape=False)
    assert np.isfinite(out).all() and np.isfinite(final["c"]).all() and np.abs(out).max() <= 1


def test_tape_must_be_a_bool():
    k = symrnn.compile(symrnn.cell("rnn"), D=2, H=2)
    for net in (k, symrnn.compile(symrnn.cell("stacked"), input_size=2, hidden_size=2)):
        with pytest.raises(InputError, match="tape must be True or False"):
            net.forward(np.ones((2, 1, 2)), tape="no")
