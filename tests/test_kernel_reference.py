"""Generated kernels of every catalogue cell and a user-defined cell against the plain
reference loop (:func:`symrnn.numeric.run`) and central finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from symrnn.cells import names
from symrnn.numeric import init_params, run
from finite_differences import central_partial as _fd

SINGLE = [n for n in names() if isinstance(symrnn.cell(n), symrnn.Cell)]


def _user_cell():
    """A leaky cell with a gate on the input, a bare previous-state term and a coefficient."""
    b = symrnn.CellBuilder("leaky_gate", reference="a user-defined test cell")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    gate = b.let("q", symrnn.sigmoid(b.param("A", H, D) @ x + b.param("a", H)))
    pre = b.linear(2 * (b.param("W", H, D) @ x) + b.param("U", H, H) @ h + h, "pre")
    _ = b.update("h", gate * h / 2 + (1 - gate) * symrnn.tanh(pre) * b.param("s", H))
    return b.build()


def _case(cell, seed, D=3, H=4, T=5, B=2):
    rng = np.random.default_rng(seed)
    params = init_params(cell, {"D": D, "H": H}, rng=rng, scale=0.8)
    xs = rng.standard_normal((T, B, D))
    init = {s: 0.5 * rng.standard_normal((B, H)) for s in cell.state_names}
    d_out = rng.standard_normal((T, B, H))
    d_fin = {s: rng.standard_normal((B, H)) for s in cell.state_names}
    return params, xs, init, d_out, d_fin


def _loss(cell, params, xs, init, d_out, d_fin):
    out, fin, _ = run(cell, params, xs, init)
    return float((out * d_out).sum() + sum((fin[s] * d_fin[s]).sum() for s in d_fin))


@pytest.mark.parametrize("name", SINGLE + ["user"])
def test_forward_equals_reference_loop_and_gradients_equal_finite_differences(name, backend):
    cell = _user_cell() if name == "user" else symrnn.cell(name)
    params, xs, init, d_out, d_fin = _case(cell, seed=len(name))
    k = symrnn.compile(cell, D=3, H=4, params=params, backend=backend)
    out, fin, tape = k.forward(xs, init)
    ref, ref_fin, _ = run(cell, params, xs, init)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
    for s in cell.state_names:
        np.testing.assert_allclose(fin[s], ref_fin[s], rtol=0, atol=1e-12)
    grads = k.backward(tape, d_out, d_fin)
    rng = np.random.default_rng(1)

    def loss():
        return _loss(cell, params, xs, init, d_out, d_fin)

    for pname, value in params.items():
        for _ in range(2):
            idx = tuple(int(rng.integers(s)) for s in value.shape)
            assert grads[pname][idx] == pytest.approx(_fd(loss, value, idx), abs=2e-7), pname
    for idx in [(0, 0, 0), (2, 1, 2), (4, 1, 1)]:
        assert grads["x"][idx] == pytest.approx(_fd(loss, xs, idx), abs=2e-7)
    for s in cell.state_names:
        assert grads[s][1, 2] == pytest.approx(_fd(loss, init[s], (1, 2)), abs=2e-7), s


def test_stacked_network_equals_reference_loop_of_the_flat_cell(backend):
    desc = symrnn.cells.stacked(symrnn.cell("lstm"), symrnn.cell("gru_reset_before"), symrnn.cell("rnn"))
    sizes = {"D": 3, "H1": 4, "H2": 2, "H3": 5}
    params = init_params(desc.cell, sizes, rng=3, scale=0.7)
    net = symrnn.compile(desc, hidden_size=(4, 2, 5), input_size=3, params=params, backend=backend)
    xs = np.random.default_rng(4).standard_normal((6, 2, 3))
    out, fin, tape = net.forward(xs)
    ref, ref_fin, _ = run(desc.cell, params, xs)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
    for s, v in ref_fin.items():
        np.testing.assert_allclose(fin[s], v, rtol=0, atol=1e-12)
    d_out = np.random.default_rng(5).standard_normal(out.shape)
    grads = net.backward(tape, d_out)
    zero = {s: np.zeros_like(v) for s, v in ref_fin.items()}
    for pname in ("l1_U_f", "l2_U_n", "l3_b"):
        idx = (0, 1) if params[pname].ndim == 2 else (1,)
        fd = _fd(lambda: _loss(desc.cell, params, xs, None, d_out, zero), params[pname], idx)
        assert grads[pname][idx] == pytest.approx(fd, abs=2e-7)


def test_bidirectional_equals_two_reference_runs_with_ragged_lengths(backend):
    desc = symrnn.cell("bidirectional", cell_name="gru_reset_after")
    net = symrnn.compile(desc, D=2, H=3, backend=backend)
    rng = np.random.default_rng(6)
    T, B = 5, 3
    xs = rng.standard_normal((T, B, 2))
    lengths = np.array([5, 2, 4])
    out, fin, _ = net.forward(xs, lengths=lengths)
    for b, L in enumerate(lengths):
        seq = xs[:L, b:b + 1]
        fw, fw_fin, _ = run(desc.forward, net.params, seq)
        bw, bw_fin, _ = run(desc.backward, net.params, seq[::-1])
        np.testing.assert_allclose(out[:L, b], np.concatenate([fw[:, 0], bw[::-1, 0]], axis=1), atol=1e-12)
        assert not out[L:, b].any()  # PyTorch packed semantics: zero past the end
        np.testing.assert_allclose(fin["fw_h"][b], fw_fin["fw_h"][0], atol=1e-12)
        np.testing.assert_allclose(fin["bw_h"][b], bw_fin["bw_h"][0], atol=1e-12)


def test_generated_source_documents_its_arguments_and_has_no_per_cell_code():
    k = symrnn.compile(symrnn.cell("lstm_peephole"), D=2, H=3)
    assert "p_i: (3,)" in k.source and "x: (T, B, 2)" in k.source
    assert "Backward pass of cell 'lstm_peephole'" in k.source


@pytest.mark.parametrize("kind,name", [("lstm", "lstm"), ("gru", "gru_reset_after"), ("rnn", "rnn")])
def test_benchmark_reference_computes_the_same_as_the_generated_kernel(kind, name):
    """The hand-written NumPy the benchmark times must compute the same thing."""
    from symrnn.codegen import handwritten as hw

    rng = np.random.default_rng(7)
    k = symrnn.compile(symrnn.cell(name), D=3, H=4)
    p = hw.pack(kind, k.params)
    xs, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4))
    out, tape = hw.FORWARD[kind](*((xs, p, h0, h0) if kind == "lstm" else (xs, p, h0)))
    ref, _, ref_tape = k.forward(xs, {s: h0 for s in k.state_names})
    np.testing.assert_allclose(out, ref, atol=1e-13)
    d = rng.standard_normal(out.shape)
    np.testing.assert_allclose(hw.BACKWARD[kind](tape, p, d)["x"], k.backward(ref_tape, d)["x"], atol=1e-13)


def two_inputs_cell():
    """Inputs read by GEMMs and by a pointwise stage, a linear state update, a gate reading the new state."""
    b = symrnn.CellBuilder("two_inputs", reference="a user-defined test cell")
    D, H = b.sizes("D H")
    x, u = b.input("x", D), b.input("u", H)
    h, m = b.state("h", H), b.state("m", H)
    m_new = b.update("m", b.param("V", H, H) @ u + m)
    q = b.let("q", symrnn.sigmoid(b.param("A", H, D) @ x + b.param("Bm", H, H) @ m_new))
    a = b.linear(b.param("W", H, D) @ x + b.param("U", H, H) @ h + b.param("b", H), "a")
    b.update("h", q * h + (1 - q) * symrnn.tanh(a) + u / 10)
    return b.build()


def test_user_cell_with_two_inputs_a_linear_state_and_a_late_stage(backend):
    cell = two_inputs_cell()
    rng = np.random.default_rng(8)
    params = init_params(cell, {"D": 3, "H": 4}, rng=rng, scale=0.8)
    xs = {"x": rng.standard_normal((5, 2, 3)), "u": rng.standard_normal((5, 2, 4))}
    init = {s: rng.standard_normal((2, 4)) for s in cell.state_names}
    k = symrnn.compile(cell, D=3, H=4, params=params, backend=backend)
    out, fin, tape = k.forward(xs, init)
    ref, ref_fin, _ = run(cell, params, xs, init)
    np.testing.assert_allclose(out, ref, atol=1e-12)
    np.testing.assert_allclose(fin["m"], ref_fin["m"], atol=1e-12)
    d_out = rng.standard_normal(out.shape)
    d_fin = {s: rng.standard_normal((2, 4)) for s in cell.state_names}
    grads = k.backward(tape, d_out, d_fin)

    def loss():
        return _loss(cell, params, xs, init, d_out, d_fin)

    for array, key, idx in [(params["V"], "V", (1, 2)), (params["Bm"], "Bm", (0, 3)), (params["A"], "A", (2, 1)),
                            (params["b"], "b", (2,)), (xs["u"], "u", (2, 1, 3)), (xs["x"], "x", (4, 0, 2)),
                            (init["m"], "m", (1, 1)), (init["h"], "h", (0, 2))]:
        assert grads[key][idx] == pytest.approx(_fd(loss, array, idx), abs=2e-7), key
