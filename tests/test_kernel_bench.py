"""``symrnn bench``: workers in processes of their own, checked before timing, ratios paired (no timing asserted)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import symrnn
from symrnn.cli import main
from symrnn.codegen import bench
from symrnn.codegen.bench import runner
from symrnn.codegen.bench.configs import Config
from symrnn.codegen.bench.numpy_side import Generated

TINY = ["--sizes", "4", "-T", "3", "-B", "2", "--repeats", "1", "--no-codegen"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One end-to-end run through the CLI: an LSTM (every peer) and the user cell MGU, in subprocesses."""
    import contextlib
    import io

    out, saved = io.StringIO(), tmp_path_factory.mktemp("bench") / "bench.json"
    with contextlib.redirect_stdout(out):
        assert main(["bench", *TINY, "--cells", "lstm", "mgu", "--dtypes", "float64", "--json", "-o", str(saved)]) == 0
    result = json.loads(out.getvalue())
    assert json.loads(saved.read_text()) == result
    return result


def test_every_implementation_agrees_with_the_generated_kernel_before_timing(tiny_run):
    check = tiny_run["check"]
    assert check["sizes"] == {"H": 4, "T": 3, "B": 2}
    expected = {"reference_loop"} | {i for c in ("lstm", "mgu") for i in bench.implementations(c)} - {"generated", "gemm"}
    assert set(check["max_error"]) == expected
    for impl, errors in check["max_error"].items():
        assert errors and all(e <= 1e-9 for e in errors.values()), (impl, errors)
    if "torch" in expected:  # the user cell has a custom torch peer, and no nn.* twin
        assert set(check["max_error"]["torch_custom"]) == {"lstm H=4 T=3 B=2 float64", "mgu H=4 T=3 B=2 float64"}
        assert set(check["max_error"]["torch"]) == {"lstm H=4 T=3 B=2 float64"}


def test_numpy_workers_never_import_torch(tiny_run):
    imported = tiny_run["environment"]["imported"]
    for impl in ("generated", "numpy", "gemm"):  # nor SciPy, whose OpenBLAS pool would compete with NumPy's
        assert imported[impl] == {"numpy": True, "scipy": False, "torch": False, "jax": False}
    if "torch" in imported:  # the flag is live: the torch workers do report torch
        assert imported["torch"]["torch"] and imported["torch_custom"]["torch"] and not imported["torch"]["jax"]


def test_rows_report_paired_ratios_memory_and_the_command(tiny_run):
    lstm, mgu = tiny_run["rows"]
    assert (lstm["cell"], mgu["cell"]) == ("lstm", "mgu")
    for m in ("fb", "fwd"):
        assert {"gen/np", "gen/floor"} <= set(lstm["ratios"][m]) and "gen/np" not in mgu["ratios"][m]
        assert lstm["ratios"][m]["gen/np"] == pytest.approx(
            lstm["repeats_ms"]["generated"][m][0] / lstm["repeats_ms"]["numpy"][m][0])
    assert 1.0 <= lstm["memory"]["tape/strict"] < 1.5  # the tape keeps what backward reads, little more
    assert lstm["memory"]["tape_strict_bytes"] == 3 * 2 * 8 * sum(  # (T, B, n) float64 per vector backward reads
        {"i": 4, "f": 4, "g": 4, "o": 4, "c": 4, "h": 4, "tanh c": 4}.values())
    assert tiny_run["command"].startswith("symrnn bench --cells lstm mgu --sizes 4 --dtypes float64 -T 3 -B 2")
    assert tiny_run["environment"]["threads"]["generated"]["cpu_count"] >= 1
    table = bench.format_table(tiny_run)
    assert tiny_run["command"] in table and "gen/floor" in table and "mgu" in table


def test_paired_ratio_pairs_repeats_not_medians():
    assert bench.paired_ratio([1.0, 10.0, 3.0], [2.0, 5.0, 1.0]) == 2.0  # median(0.5, 2, 3); medians' ratio: 1.5
    with pytest.raises(ValueError, match="equally many"):
        bench.paired_ratio([1.0], [1.0, 2.0])


def _worker(fb, fwd=1.0):
    return {"fb": {"median_s": fb, "calls": 5}, "fwd": {"median_s": fwd, "calls": 5}, "extra": {}}


def test_summarise_computes_each_ratio_from_the_same_repeat():
    runs = {"generated": [_worker(1.0), _worker(10.0), _worker(3.0)],
            "torch": [_worker(2.0), _worker(5.0), _worker(1.0)],
            "gemm": [_worker(0.5, 0.25)] * 3}
    runs["generated"][0]["extra"] = {"tape_bytes": 120, "tape_strict_bytes": 100}
    runs["gemm"][0]["extra"] = {"multiply_adds_fb": 3_000_000, "multiply_adds_fwd": 1_000_000}
    row = bench.summarise(Config("lstm", 8, 3, 2, "float32"), runs)
    assert row["ratios"]["fb"] == {"gen/pt": 2.0, "gen/floor": 6.0, "pt/floor": 4.0}
    assert row["ratios"]["fwd"] == {"gen/pt": 1.0, "gen/floor": 4.0, "pt/floor": 4.0}
    assert row["ms"]["generated"]["fb"] == 3000.0 and row["memory"]["tape/strict"] == 1.2
    assert row["floor_gflops"]["fb"] == pytest.approx(2 * 3e6 / 0.5 / 1e9)


def test_order_of_implementations_alternates_between_repeats(monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "spawn", lambda spec: calls.append(spec["impl"]) or _worker(1.0))
    runs = runner._time(Config("rnn", 4, 3, 2, "float64"), ["a", "b", "c"], 3, {})
    assert calls == list("abccbaabc")
    assert all(len(v) == 3 for v in runs.values())


def test_check_names_an_implementation_that_disagrees(monkeypatch):
    """The comparison is real: a gradient off by 1e-6 in one peer stops the run and names it."""
    config = Config("rnn", **runner.CHECK_SIZES, dtype="float64")
    good = json.loads(json.dumps(_lists(Generated(config).result())))
    bad = json.loads(json.dumps(good))
    bad["grads"]["U"][1][2] += 1e-6
    answers = {"generated": good, "numpy": good, "torch_custom": bad}
    monkeypatch.setattr(runner, "spawn", lambda spec: {"results": [answers[spec["impl"]]]})
    impls = {"rnn": ["generated", "numpy", "gemm", "torch_custom"]}
    with pytest.raises(bench.BenchError, match=r"torch_custom on rnn H=4 T=3 B=2 float64: grads.U differs"):
        runner.check(["rnn"], ["float64"], impls)
    answers["torch_custom"] = good
    assert runner.check(["rnn"], ["float64"], impls)["max_error"]["numpy"] == {config.label: 0.0}


def _lists(value):
    return {k: _lists(v) for k, v in value.items()} if isinstance(value, dict) else value.tolist()


def test_agreement_reports_missing_and_misshapen_quantities_as_infinite():
    ref = {"outputs": [[1.0]], "final": {"h": [2.0]}, "grads": {"W": [[3.0, 4.0]]}}
    errs = bench.agreement(ref, {"outputs": [[1.0]], "final": {"h": [2.5]}, "grads": {"W": [[3.0]]}})
    assert errs == {"outputs": 0.0, "final.h": 0.25, "grads.W": float("inf")}


def test_codegen_is_timed_in_a_first_and_a_second_process():
    (times,) = bench.codegen_times(["rnn"]).values()
    assert set(times) == {"first_s", "second_s", "first_process_s", "second_process_s"}
    assert 0 < times["first_s"] < times["first_process_s"] and 0 < times["second_s"] < times["second_process_s"]


def test_a_failing_worker_raises_with_its_error():
    with pytest.raises(bench.BenchError, match="is not one of the benchmark's cells"):
        runner.spawn({"mode": "time", "impl": "generated", "config": Config("nope", 4, 3, 2, "float64").to_dict()})


def test_bad_sizes_are_refused_before_any_worker_starts(capsys):
    assert main(["bench", "--sizes", "0", "--cells", "rnn"]) != 0
    assert "must be positive" in capsys.readouterr().err


def _counting(floor):
    flops = []
    real = np.ndarray.__matmul__

    class Counting(np.ndarray):
        def __matmul__(self, other):
            a, b = np.asarray(self), np.asarray(other)
            flops.append(a.shape[0] * a.shape[1] * b.shape[1])
            return real(a, b)

    floor.work[:] = [(s, X.view(Counting), Dm.view(Counting), M.view(Counting)) for s, X, Dm, M in floor.work]
    floor()
    return sum(flops)


def test_gemm_floor_runs_the_kernels_products():
    """The floor performs exactly the multiply-adds of the generated LSTM's GEMMs (counted, not timed)."""
    T, B, D, H = 3, 2, 5, 4
    kernel = symrnn.compile(symrnn.cell("lstm"), D=D, H=H)
    # per step: forward h (B,H) @ (H,4H) and backward (B,4H) @ (4H,H); input projection, dX, dW, dU over T*B rows
    expected = 2 * T * B * H * 4 * H + 2 * T * B * D * 4 * H + T * B * 4 * H * H + T * B * 4 * H * D
    floor = bench.gemm_floor(kernel, T, B)
    assert bench.multiply_adds(floor) == expected
    assert _counting(floor) == expected
    forward = bench.gemm_floor(kernel, T, B, backward=False)  # input projection and T recurrent products
    assert _counting(forward) == bench.multiply_adds(forward) == T * B * 4 * H * (D + H)


def test_gemm_floor_counts_the_late_product_of_a_user_cell():
    """MGU's U_h (f ⊙ h) reads a value of the same step: T forward and T backward products and dU_h, by hand."""
    T, B, D, H = 3, 2, 5, 4
    kernel = symrnn.compile(bench.mgu(), D=D, H=H)
    x_part = 3 * T * B * D * 2 * H        # [W_f; W_h] x over all rows, dX, dW
    h_part = 3 * T * B * H * H            # U_f h_prev per step, its backward product, dU_f
    fh_part = 3 * T * B * H * H           # U_h (f ⊙ h) per step, its backward product, dU_h
    floor = bench.gemm_floor(kernel, T, B)
    assert _counting(floor) == bench.multiply_adds(floor) == x_part + h_part + fh_part


def test_jax_is_left_out_cleanly_where_it_is_not_installed(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jax" else real(name, *a))
    assert "jax" not in bench.implementations("lstm") and "generated" in bench.implementations("lstm")


def test_jax_worker_agrees_with_the_generated_kernel():
    """jit(value_and_grad) over lax.scan gives the generated kernel's outputs and gradients (JAX is a test extra)."""
    from symrnn.codegen.bench.jax_side import Jax

    for cell in ("lstm", "mgu"):
        config = Config(cell, **runner.CHECK_SIZES, dtype="float64")
        errs = bench.agreement(_lists(Generated(config).result()), _lists(Jax(config).result()))
        assert max(errs.values()) < 1e-12, errs


def test_the_custom_torch_cell_reads_its_steps_without_a_full_size_gradient_per_step():
    """xw[t] in the loop costs a zero (T, B, n) gradient per step in autograd's backward; unbind costs one."""
    pytest.importorskip("torch")
    from symrnn.codegen.bench.torch_side import TorchCustom

    impl = TorchCustom(Config("lstm", 4, 6, 2, "float64"))
    out, _ = impl.run()
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(f for f, _ in node.next_functions)
    kinds = {type(n).__name__ for n in seen}
    assert "UnbindBackward0" in kinds and "SelectBackward0" not in kinds
