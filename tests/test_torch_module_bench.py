"""``benchmarks/bench_torch_module.py``: torch_module in a worker of its own, checked before timing (no timing asserted)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

from symrnn.codegen.bench import runner  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_torch_module.py"


def _script():
    spec = importlib.util.spec_from_file_location("bench_torch_module", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_keeps_the_generated_kernel_as_the_checks_reference():
    assert runner.implementations("mgu", only=("torch_module",), use_jax=False) == ["generated", "torch_module"]
    assert "torch_module" not in runner.implementations("lstm", use_torch=False, use_jax=False)


def test_a_tiny_run_checks_every_peer_and_reports_both_ratios():
    bench_script = _script()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert bench_script.main(["--cells", "lstm", "mgu", "--sizes", "4", "-T", "3", "-B", "2", "--repeats", "1",
                                  "--dtypes", "float64", "--json"]) == 0
    result = json.loads(out.getvalue())
    errors = result["check"]["max_error"]
    assert set(errors) == {"reference_loop", "torch", "torch_custom", "torch_module"}
    assert set(errors["torch_module"]) == {"lstm H=4 T=3 B=2 float64", "mgu H=4 T=3 B=2 float64"}
    assert all(e <= 1e-9 for e in errors["torch_module"].values())  # outputs, finals, every gradient
    lstm, mgu = result["rows"]
    assert set(lstm["ratios"]["fb"]) >= {"tm/pt", "tm/custom"} and "tm/pt" not in mgu["ratios"]["fb"]
    assert lstm["ratios"]["fb"]["tm/pt"] == pytest.approx(
        lstm["repeats_ms"]["torch_module"]["fb"][0] / lstm["repeats_ms"]["torch"]["fb"][0])
    table = bench_script.summary(result).splitlines()
    assert table[0].split()[:3] == ["cell", "H", "dtype"] and table[1].startswith("lstm") and "tm/custom" in table[1]


def test_the_cli_offers_every_implementation_but_the_reference_for_only():
    import argparse

    from symrnn.codegen.bench.implementations import IMPLEMENTATIONS
    from symrnn.commands import bench as command

    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    only = next(a for a in parser._actions if a.dest == "only")
    assert sorted(only.choices) == sorted(set(IMPLEMENTATIONS) - {"generated"})
    args = parser.parse_args(["--only", "torch_module", "torch"])
    assert command.command_line(args).endswith("--only torch_module torch")
