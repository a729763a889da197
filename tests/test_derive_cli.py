"""``symrnn derive``: formats, output files, and failures that exit 2 leaving no file."""

from __future__ import annotations

import os
import shutil

import pytest

from symrnn.cli import main


def test_markdown_to_stdout(capsys):
    assert main(["derive", "rnn", "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("# Derivation of the rnn cell")


def test_tex_to_file(tmp_path):
    out = tmp_path / "lstm.tex"
    assert main(["derive", "lstm", "-o", str(out)]) == 0
    assert out.read_text().startswith("\\documentclass")
    assert sorted(os.listdir(tmp_path)) == ["lstm.tex"]  # no temporary left behind


@pytest.mark.skipif(not (shutil.which("latexmk") or shutil.which("pdflatex")), reason="no TeX engine")
def test_pdf_to_file(tmp_path):
    out = tmp_path / "gru.pdf"
    assert main(["derive", "gru_reset_after", "--format", "pdf", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")


def test_unknown_cell_exits_2_without_a_file(tmp_path, capsys):
    out = tmp_path / "x.tex"
    assert main(["derive", "no_such_cell", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown cell 'no_such_cell'" in err and "lstm" in err
    assert not out.exists() and os.listdir(tmp_path) == []


def test_existing_file_survives_a_failure(tmp_path):
    out = tmp_path / "keep.md"
    out.write_text("old")
    assert main(["derive", "no_such_cell", "--format", "md", "-o", str(out)]) == 2
    assert out.read_text() == "old"


def test_unwritable_path_exits_2(tmp_path, capsys):
    assert main(["derive", "rnn", "-o", str(tmp_path / "missing" / "x.tex")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["derive", "rnn", "-o", str(tmp_path)]) == 2  # a directory
    assert os.listdir(tmp_path) == []


def test_pdf_needs_an_output_file(capsys):
    assert main(["derive", "rnn", "--format", "pdf"]) == 2
    assert "-o" in capsys.readouterr().err


def test_bad_format_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["derive", "rnn", "--format", "html"])
    assert exc.value.code == 2
