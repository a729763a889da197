"""``symrnn bench`` runs end to end and reports every figure (no timing is asserted)."""

from __future__ import annotations

import json

from symrnn.cli import main


def test_bench_command_reports_ratios_memory_and_codegen(capsys):
    assert main(["bench", "--sizes", "4", "-T", "3", "-B", "2", "--repeats", "1", "--cells", "gru", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (row,) = [r for r in result["rows"] if r["dtype"] == "float32"]
    assert {"fwd_gen/numpy", "fb_gen/numpy", "tape/strict", "forward_peak_bytes"} <= set(row)
    assert 1.0 <= row["tape/strict"] < 1.5  # the tape keeps what backward reads, little more
    assert set(result["codegen_s"]) >= {"lstm", "gru_reset_after", "stacked"}


def test_bench_table_is_printed(capsys):
    assert main(["bench", "--sizes", "3", "-T", "2", "-B", "1", "--repeats", "1", "--cells", "rnn",
                 "--dtypes", "float64", "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "fb gen/np" in out and "code generation + loading" in out
