"""``symrnn bench`` runs end to end and reports every figure (no timing is asserted)."""

from __future__ import annotations

import json

import numpy as np

import symrnn
from symrnn.cli import main
from symrnn.codegen.bench import _times, gemm_floor


def test_bench_command_reports_ratios_memory_and_codegen(capsys):
    assert main(["bench", "--sizes", "4", "-T", "3", "-B", "2", "--repeats", "1", "--cells", "gru", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (row,) = [r for r in result["rows"] if r["dtype"] == "float32"]
    assert {"fwd_gen/numpy", "fb_gen/numpy", "fb_gen/gemms", "fb_gemms/torch", "tape/strict",
            "forward_peak_bytes"} <= set(row)
    assert 1.0 <= row["tape/strict"] < 1.5  # the tape keeps what backward reads, little more
    assert set(result["codegen_s"]) >= {"lstm", "gru_reset_after", "stacked"}


def test_bench_table_is_printed(capsys):
    assert main(["bench", "--sizes", "3", "-T", "2", "-B", "1", "--repeats", "1", "--cells", "rnn",
                 "--dtypes", "float64", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "fb gen/np" in out and "code generation + loading" in out


def test_implementations_take_turns_first():
    """Each repeat rotates the order, so no implementation always runs after another library's threads."""
    calls = []
    fns = {k: (lambda k=k: calls.append(k)) for k in "abc"}
    times = _times(fns, 3, pause=0)
    assert calls == list("abcbcacab")
    assert all(len(v) == 3 for v in times.values())


def test_gemm_floor_runs_the_kernels_products(monkeypatch):
    """The floor performs exactly the multiply-adds of the generated LSTM's GEMMs (counted, not timed)."""
    T, B, D, H = 3, 2, 5, 4
    kernel = symrnn.compile(symrnn.cell("lstm"), D=D, H=H)
    flops = []
    real = np.ndarray.__matmul__

    class Counting(np.ndarray):
        def __matmul__(self, other):
            a, b = np.asarray(self), np.asarray(other)
            flops.append(a.shape[0] * a.shape[1] * b.shape[1])
            return real(a, b)

    floor = gemm_floor(kernel, T, B)
    floor.work[:] = [(s, X.view(Counting), Dm.view(Counting), M.view(Counting)) for s, X, Dm, M in floor.work]
    floor()
    # per step: forward h (B,H) @ (H,4H) and backward (B,4H) @ (4H,H); input projection, dX, dW, dU over T*B rows
    expected = 2 * T * B * H * 4 * H + 2 * T * B * D * 4 * H + T * B * 4 * H * H + T * B * 4 * H * D
    assert sum(flops) == expected
