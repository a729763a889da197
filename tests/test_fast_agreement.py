"""The compiled (numba) backend against the NumPy backend: every catalogue cell and user cells, to 1e-12 in float64.

Outputs, final states, every gradient, with and without ragged lengths, the
forward pass without a tape, stacked and bidirectional networks, float32.  The
torch / Keras / finite-difference oracles run on both backends through the
``backend`` fixture (tests/conftest.py); this file checks that the two agree.
"""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from symrnn.cells import names
from symrnn.codegen.bench.configs import mgu
from test_kernel_reference import _user_cell, two_inputs_cell

pytest.importorskip("numba")

SINGLE = [n for n in names() if isinstance(symrnn.cell(n), symrnn.Cell)]


@pytest.fixture(autouse=True)
def _cache(fast_cache):
    return fast_cache


USER = {"mgu": mgu, "leaky_gate": _user_cell, "two_inputs": two_inputs_cell}


def _pair(cell, dtype=np.float64, D=3, H=4):
    k = symrnn.compile(cell, D=D, H=H, dtype=dtype)
    return k, symrnn.compile(cell, D=D, H=H, dtype=dtype, params=k.params, backend="numba")


def _data(k, rng, T=6, B=3, dtype=np.float64):
    xs = {d: rng.standard_normal((T, B, k.plan.n[d])).astype(dtype) for d in k.input_names}
    init = {s: rng.standard_normal((B, k.plan.n[s])).astype(dtype) for s in k.state_names}
    d_fin = {s: rng.standard_normal((B, k.plan.n[s])).astype(dtype) for s in k.state_names}
    return xs, init, rng.standard_normal((T, B, k.output_size)).astype(dtype), d_fin


def _compare(ref, fast, xs, init, d_out, d_fin, lengths, atol):
    o1, f1, t1 = ref.forward(xs, init, lengths)
    o2, f2, t2 = fast.forward(xs, init, lengths)
    assert list(t1.arrays) == list(t2.arrays) and t1.nbytes == t2.nbytes  # the same tape
    np.testing.assert_allclose(o2, o1, rtol=0, atol=atol)
    for s in f1:
        np.testing.assert_allclose(f2[s], f1[s], rtol=0, atol=atol, err_msg=s)
    g1, g2 = ref.backward(t1, d_out, d_fin), fast.backward(t2, d_out, d_fin)
    assert list(g1) == list(g2)
    for name in g1:
        assert g2[name].dtype == g1[name].dtype
        np.testing.assert_allclose(g2[name], g1[name], rtol=0, atol=atol, err_msg=name)
    o3, f3, none = fast.forward(xs, init, lengths, tape=False)
    assert none is None
    np.testing.assert_allclose(o3, o1, rtol=0, atol=atol)


@pytest.mark.parametrize("name", SINGLE + sorted(USER))
def test_numba_equals_numpy_in_float64_with_and_without_ragged_lengths(name):
    cell = USER[name]() if name in USER else symrnn.cell(name)
    ref, fast = _pair(cell)
    assert (ref.backend, fast.backend) == ("numpy", "numba")
    rng = np.random.default_rng(len(name))
    data = _data(ref, rng)
    for lengths in (None, np.array([6, 2, 4])):
        _compare(ref, fast, *data, lengths, atol=1e-12)


@pytest.mark.parametrize("name", ["lstm", "gru_reset_after", "lstm_peephole"])
def test_float32_agrees_and_stays_float32(name):
    ref, fast = _pair(symrnn.cell(name), np.float32, D=5, H=7)
    data = _data(ref, np.random.default_rng(3), T=9, B=4, dtype=np.float32)
    _compare(ref, fast, *data, np.array([9, 1, 5, 8]), atol=2e-5)


@pytest.mark.parametrize("desc,sizes", [
    (symrnn.cells.stacked(symrnn.cell("lstm"), symrnn.cell("gru_reset_before"), symrnn.cell("rnn")),
     {"D": 3, "H1": 4, "H2": 2, "H3": 5}),
    (symrnn.cell("bidirectional", cell_name="lstm_peephole"), {"D": 2, "H": 3}),
])
def test_stacked_and_bidirectional_networks_agree(desc, sizes):
    ref = symrnn.compile(desc, **sizes)
    fast = symrnn.compile(desc, **sizes, params=ref.params, backend="numba")
    assert {k.backend for k in fast.kernels} == {"numba"}
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 3, sizes["D"]))
    lengths = np.array([5, 3, 1])
    o1, f1, t1 = ref.forward(x, lengths=lengths)
    o2, f2, t2 = fast.forward(x, lengths=lengths)
    np.testing.assert_allclose(o2, o1, rtol=0, atol=1e-12)
    d = rng.standard_normal(o1.shape)
    g1, g2 = ref.backward(t1, d), fast.backward(t2, d)
    for name in g1:
        np.testing.assert_allclose(g2[name], g1[name], rtol=0, atol=1e-12, err_msg=name)


def test_one_compiled_module_serves_every_size_and_every_renamed_copy():
    """Sizes are run-time values and names are canonical in the compiled text: one module per structure."""
    a = symrnn.compile(symrnn.cell("lstm"), D=3, H=4, backend="numba")
    b = symrnn.compile(symrnn.cell("lstm"), D=5, H=2, backend="numba")
    net = symrnn.compile(symrnn.cell("bidirectional", cell_name="lstm"), D=3, H=4, backend="numba")
    assert a.fast_source == b.fast_source == net.kernels[0].fast_source == net.kernels[1].fast_source


def test_auto_is_numba_when_it_is_importable():
    assert symrnn.compile(symrnn.cell("rnn"), D=2, H=2, backend="auto").backend == "numba"
