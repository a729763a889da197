"""Issue 20, item 5: ``python -m symrnn.derive.flow`` has a real argument parser.

Run as a user runs it: a subprocess in an empty directory.  ``--help`` prints
the usage and writes nothing; a missing output directory ends with one line
and exit 2; no run prints runpy's RuntimeWarning about ``sys.modules``; a run
writes a PNG.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")


def _flow(cwd, *args):
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # show every warning, as a fresh interpreter would
    return subprocess.run([sys.executable, "-m", "symrnn.derive.flow", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def test_help_prints_usage_and_writes_nothing(tmp_path):
    proc = _flow(tmp_path, "--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: python -m symrnn.derive.flow") and "OUT.png" in proc.stdout
    assert "RuntimeWarning" not in proc.stderr and proc.stderr == ""
    assert list(tmp_path.iterdir()) == []


def test_a_missing_directory_is_one_line_and_exit_2(tmp_path):
    proc = _flow(tmp_path, str(tmp_path / "no" / "such" / "dir" / "flow.png"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("symrnn: error: ") and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, fragment", [([], "the following arguments are required: OUT.png"),
                                            (["a.png", "--hidden", "0"], "'0' is not a positive integer"),
                                            (["a.png", "--bogus"], "unrecognized arguments: --bogus")])
def test_bad_flags_are_one_line_and_exit_2(tmp_path, args, fragment):
    proc = _flow(tmp_path, *args)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and fragment in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_run_writes_the_png_without_warnings(tmp_path):
    proc = _flow(tmp_path, "flow.png", "--hidden", "4", "--inputs", "2", "--steps", "6")
    assert proc.returncode == 0 and "Warning" not in proc.stderr, proc.stderr
    assert (tmp_path / "flow.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.png"]
