"""The command line under bad input: exit code 2 and one line on stderr, and nothing lost.

The overwrite rule (``symrnn --help``): an existing output file is replaced
atomically; a directory, a missing directory or an unwritable path is refused
before any work.  A failure in the middle (a TeX error, a failing write) leaves
the old file intact and no temporary file behind.
"""

from __future__ import annotations

import os

import pytest

from symrnn import _io, _latex_engine
from symrnn.cli import EPILOG, main

FAST_THEOREM = "gru_three_quarters_of_lstm"


def _fails(capsys, argv) -> str:
    """Run ``argv``; assert exit code 2 and exactly one line on stderr; return it."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, (argv, code, err)
    assert err.count("\n") == 1 and err.endswith("\n") and err.startswith("symrnn"), (argv, err)
    return err


BAD = {
    "list": [["list", "--bogus"], ["list", "extra"], ["list", "--json=yes"]],
    "show": [["show"], ["show", "nope"], ["show", "x); import os #"], ["show", "rnn", "--latex", "--json"],
             ["show", "rnn", "--bogus"], ["show", ""]],
    "derive": [["derive", "nope"], ["derive", "rnn", "--format", "docx"], ["derive", "rnn", "--format", "pdf"],
               ["derive"], ["derive", "rnn", "-o"], ["derive", "__class__", "--format", "md"]],
    "prove": [["prove", "no_such_theorem"], ["prove", "--report", "r.txt"], ["prove", "--timeout", "-1"],
              ["prove", "--timeout", "nan"], ["prove", "--timeout", "soon"], ["prove", "--from", "/nonexistent/x.py"],
              ["prove", "--from", "../x"], ["prove", "--from", "no_such_module_xyz"], ["prove", "--bogus"]],
    "bench": [["bench", "--sizes", "-3", "--no-torch"], ["bench", "-T", "0", "--no-torch"],
              ["bench", "--dtypes", "float16"], ["bench", "--cells", "transformer"], ["bench", "-B", "x"]],
    "experiment": [["experiment"], ["experiment", "nope"], ["experiment", "gates", "--seeds", "0"],
                   ["experiment", "gates", "--lr", "-1"], ["experiment", "gates", "--task", "nope"],
                   ["experiment", "gates", "--steps", "many"]],
    "top": [[], ["nope"], ["--bogus"]],
}


@pytest.mark.parametrize("argv", [a for v in BAD.values() for a in v], ids=lambda a: " ".join(a)[:40] or "<none>")
def test_unknown_names_and_bad_flags_exit_2_with_one_line(capsys, argv):
    _fails(capsys, argv)


def _outputs(tmp_path):
    return {
        "derive": lambda out: ["derive", "rnn", "--format", "md", "-o", out],
        "prove": lambda out: ["prove", FAST_THEOREM, "--report", out + ".md" if not out.endswith(".md") else out],
        "experiment": lambda out: ["experiment", "gates", "--plot", out],
    }


@pytest.mark.parametrize("command", ["derive", "prove", "experiment"])
def test_bad_output_paths_are_refused_before_any_work(capsys, tmp_path, command):
    argv = _outputs(tmp_path)[command]
    a_dir = tmp_path / "a_dir.md"
    a_dir.mkdir()
    a_file = tmp_path / "file.md"
    a_file.write_text("old")
    for bad in (str(a_dir), str(tmp_path / "missing" / "x.md"), str(a_file / "x.md"), "/proc/symrnn-x.md"):
        err = _fails(capsys, argv(bad))
        assert "output path" in err
    assert a_file.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["a_dir.md", "file.md"]


def test_the_overwrite_rule_is_documented():
    assert "replaced atomically" in EPILOG and "refused" in EPILOG and "code 2" in EPILOG


@pytest.mark.parametrize("argv", [["derive", "rnn", "--format", "md", "-o"], ["prove", FAST_THEOREM, "--report"]],
                         ids=["derive", "prove"])
def test_an_existing_output_file_is_replaced(capsys, tmp_path, argv):
    out = tmp_path / "out.md"
    out.write_text("old")
    assert main(argv + [str(out)]) == 0
    text = out.read_text()
    assert text != "old" and len(text) > 100
    assert os.listdir(tmp_path) == ["out.md"]


def _fail_latex(source):
    raise _latex_engine.LatexError("LaTeX failed: ! Undefined control sequence.")


@pytest.mark.parametrize("argv", [["derive", "rnn", "--format", "pdf", "-o"], ["prove", FAST_THEOREM, "--report"]],
                         ids=["derive", "prove"])
def test_a_latex_failure_in_the_middle_leaves_the_old_file(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.setattr(_latex_engine, "compile_tex", _fail_latex)
    out = tmp_path / "out.pdf"
    out.write_bytes(b"%PDF old")
    err = _fails(capsys, argv + [str(out)])
    assert "LaTeX failed" in err
    assert out.read_bytes() == b"%PDF old"
    assert os.listdir(tmp_path) == ["out.pdf"]


def test_a_failing_write_leaves_the_old_file_and_no_temporary(capsys, tmp_path, monkeypatch):
    out = tmp_path / "out.md"
    out.write_text("old")

    def replace_fails(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_io.os, "replace", replace_fails)
    err = _fails(capsys, ["derive", "rnn", "--format", "md", "-o", str(out)])
    assert "No space left on device" in err and "unchanged" in err
    assert out.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.md"]


def test_a_users_theorem_file_that_raises_is_one_line_naming_file_and_line(capsys, tmp_path):
    bad = tmp_path / "mine.py"
    bad.write_text("import symrnn\n\nraise RuntimeError('boom')\n")
    err = _fails(capsys, ["prove", "--from", str(bad)])
    assert "mine.py" in err and "RuntimeError: boom" in err and "line 3" in err
    syntax = tmp_path / "syntax.py"
    syntax.write_text("x = (\n")
    assert "SyntaxError" in _fails(capsys, ["prove", "--from", str(syntax)])
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert "no Theorem" in _fails(capsys, ["prove", "--from", str(empty)])


def test_atomic_write_refuses_what_is_not_text_or_bytes(tmp_path):
    from symrnn.errors import InputError

    with pytest.raises(InputError, match="str or bytes"):
        _io.atomic_write(tmp_path / "x", 3)
    assert os.listdir(tmp_path) == []
