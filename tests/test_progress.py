"""Issue 20, item 8: progress bars on a terminal for prove, bench, experiment and report builds; silence elsewhere.

The terminal is a real pseudo-terminal (:mod:`pty`) given to the command as
its stderr, in a subprocess; the same commands with stderr on a pipe, or with
``--json``, must write nothing to stderr.  ``bench`` is driven in-process with
its measurement replaced (a real run takes minutes), to check the wiring.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from symrnn._progress import Progress

pty = pytest.importorskip("pty")


def _run(args, *, tty: bool, cwd):
    """(exit code, stdout, stderr) of ``python -m symrnn.cli args``, stderr a pseudo-terminal if ``tty``."""
    cmd = [sys.executable, "-m", "symrnn.cli", *args]
    if not tty:
        p = subprocess.run(cmd, capture_output=True, timeout=600, cwd=cwd)
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, cwd=cwd)
        os.close(slave)
        err = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed: the child is done
                break
            if not chunk:
                break
            err += chunk
        out = p.stdout.read().decode()
        p.wait(timeout=600)
        return p.returncode, out, err.decode(errors="replace")
    finally:
        os.close(master)


THEOREM = "gru_three_quarters_of_lstm"


def test_prove_draws_a_bar_on_a_terminal_only(tmp_path):
    code, out, err = _run(["prove", THEOREM], tty=True, cwd=tmp_path)
    assert code == 0 and f"{THEOREM}  proved" in out
    assert "prove [" in err and "1/1" in err and f"{THEOREM}: proved" in err and "\r" in err
    code, out, err = _run(["prove", THEOREM], tty=False, cwd=tmp_path)
    assert code == 0 and err == ""
    code, out, err = _run(["prove", THEOREM, "--json"], tty=True, cwd=tmp_path)
    assert code == 0 and err == "" and json.loads(out)["theorems"][0]["name"] == THEOREM


def test_the_pdf_report_build_has_its_own_bar(tmp_path):
    code, _, err = _run(["prove", THEOREM, "--report", "r.pdf"], tty=True, cwd=tmp_path)
    assert code == 0 and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert "report [" in err and "compiling r.pdf" in err and "1/1" in err
    code, _, err = _run(["prove", THEOREM, "--report", "r.pdf"], tty=False, cwd=tmp_path)
    assert code == 0 and err == ""


def test_experiment_draws_one_step_per_model_and_seed(tmp_path):
    args = ["experiment", "gates", "--variants", "lstm,rnn", "--seeds", "2", "--steps", "2", "--length", "4",
            "--hidden", "3", "--batch-size", "2"]
    code, out, err = _run(args, tty=True, cwd=tmp_path)
    assert code == 0 and "| `lstm`" in out
    assert "experiment [" in err and "4/4" in err and "rnn seed 1: held-out loss" in err
    code, out, err = _run(args + ["--json"], tty=True, cwd=tmp_path)
    assert code == 0 and err == "" and json.loads(out)
    code, _, err = _run(args, tty=False, cwd=tmp_path)
    assert code == 0 and err == ""


class _Tty(io.StringIO):
    def isatty(self):
        return True


def _fake_bench(rows):
    def run(cells, sizes, dtypes, *, progress=None, **kw):
        for cell in cells:
            row = {"cell": cell, "H": sizes[0], "dtype": dtypes[0], "ratios": {"fb": {"numpy": 1.0}}}
            rows.append(row)
            progress(row)
        return {"command": kw.get("command"), "rows": rows}

    return run


@pytest.mark.parametrize("json_flag, tty, drawn", [(False, True, True), (True, True, False), (False, False, False)])
def test_bench_advances_once_per_configuration(monkeypatch, capsys, json_flag, tty, drawn):
    from symrnn.cli import main
    from symrnn.codegen import bench

    rows = []
    monkeypatch.setattr(bench, "run", _fake_bench(rows))
    monkeypatch.setattr(bench, "format_table", lambda result: f"{len(result['rows'])} rows")
    stream = _Tty() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    argv = ["bench", "--cells", "rnn", "lstm", "--sizes", "8", "--dtypes", "float64", "--no-codegen"]
    assert main(argv + (["--json"] if json_flag else [])) == 0
    assert len(rows) == 2
    err = stream.getvalue()
    if drawn:
        assert "bench [" in err and "2/2" in err and "lstm H=8 float64: numpy 1.00" in err and err.endswith("\n")
    else:
        assert err == ""
    out = capsys.readouterr().out
    assert ("rows" in json.loads(out)) if json_flag else out.strip() == "2 rows"


def test_the_bar_counts_elapsed_time_and_what_is_left():
    stream = _Tty()
    bar = Progress(4, "job", stream=stream)
    bar.advance(note="one")
    assert "job [######------------------] 1/4" in stream.getvalue() and "s left" in stream.getvalue()
    bar.advance(3, note="done")
    bar.close()
    last = stream.getvalue().rsplit("\r", 1)[1]
    assert "4/4" in last and "left" not in last and stream.getvalue().endswith("\n")
    assert Progress(3, "quiet", stream=_Tty(), enabled=False).on is False
