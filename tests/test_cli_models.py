"""The command line for every model (issue 18, item 4) and its options (issue 20, item 1).

``list``, ``show`` and ``derive`` reach every name of :mod:`symrnn.registry`;
``--option KEY=VALUE`` and ``--from FILE.py`` pick a factory's option or a
user's own model.  Checked through :func:`symrnn.cli.main` (exit codes,
stdout, stderr, files) and, for the installed ``symrnn`` entry point, once in
a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import symrnn
from symrnn import registry
from symrnn.cli import main

ALL = registry.names()


def _one_line_error(capsys, *fragments):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("symrnn: error: "), err
    for f in fragments:
        assert f in err, (f, err)
    return err


def test_list_shows_kind_family_and_paper_of_every_model(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(ALL)
    for line, e in zip(lines, registry.entries()):
        assert line.split()[:3] == [e.name, e.kind, e.family] and line.rstrip().endswith(e.paper)


def test_list_json_has_every_field(capsys):
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(ALL)
    kinds = {r["kind"] for r in rows}
    assert kinds <= set(registry.KINDS) and {"cell", "tree", "graph"} <= kinds
    by_name = {r["name"]: r for r in rows}
    assert by_name["nary_tree_lstm"]["options"] == {"arity": 2}
    assert by_name["stacked"]["options"] == {"layers": ["lstm", "lstm"]}
    assert by_name["gcn"]["paper"] == by_name["gcn"]["reference"] == registry.model("gcn").reference


@pytest.mark.parametrize("name", ALL)
def test_show_works_for_every_model(name, capsys):
    desc = registry.model(name)
    assert main(["show", name]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{desc.name} ({registry.kind_of(name)}, ") and "parameter count" in text
    assert main(["show", name, "--latex"]) == 0
    assert capsys.readouterr().out.strip() == desc.latex()
    assert main(["show", name, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == desc.name and data["kind"] == registry.kind_of(name)


def test_show_of_a_graph_layer_names_the_index_spaces(capsys):
    assert main(["show", "gat"]) == 0
    out = capsys.readouterr().out
    assert "[linear, per edge]" in out and "[linear, per node]" in out


@pytest.mark.parametrize("name", ["gcn", "gconv_gru", "child_sum_tree_lstm", "nary_tree_lstm", "stacked", "rnn"])
def test_derive_markdown_for_each_kind(name, capsys):
    assert main(["derive", name, "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# ") and md.count("$$") % 2 == 0
    assert registry.model(name).name in md.splitlines()[0]


def test_option_picks_the_relu_rnn(capsys):
    assert main(["show", "rnn", "--option", "activation=relu", "--latex"]) == 0
    assert r"\operatorname{ReLU}" in capsys.readouterr().out
    assert main(["derive", "rnn", "--option", "activation=relu", "--format", "md"]) == 0
    assert r"\mathbb{1}\left[" in capsys.readouterr().out  # ReLU's derivative, not tanh's


def test_option_overrides_the_variant_a_name_fixes(capsys):
    assert main(["derive", "lstm", "--option", "variant=peephole", "--format", "md"]) == 0
    assert r"\mathbf{p}_{i}" in capsys.readouterr().out
    assert main(["show", "nary_tree_lstm", "--option", "arity=3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["arity"] == 3
    assert main(["show", "stacked", "--option", "layers=rnn,gru_reset_after", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"].startswith("stacked")
    assert main(["show", "cheb", "--option", "K=2", "--option", "bias=false", "--json"]) == 0
    assert "b" not in json.loads(capsys.readouterr().out)["params"]


@pytest.mark.parametrize("argv, fragments", [
    (["show", "rnn", "--option", "act=relu"], ["rnn: unknown option 'act'; valid options: activation"]),
    (["derive", "child_sum_tree_lstm", "--option", "arity=2"], ["unknown option 'arity'; it takes no options"]),
    (["show", "rnn", "--option", "activation=sigmoid"], ["activation must be one of ['relu', 'tanh']", "'sigmoid'"]),
    (["show", "lstm", "--option", "variant=tf"], ["variant must be one of", "peephole", "'tf'"]),
    (["show", "rnn", "--option", "activation"], ["--option 'activation': expected KEY=VALUE"]),
    (["show", "rnn", "--option", "activation=relu", "--option", "activation=tanh"], ["given twice"]),
    (["show", "nary_tree_lstm", "--option", "arity=0"], ["arity must be an integer >= 1, got 0"]),
])
def test_bad_options_exit_2_with_one_line(argv, fragments, capsys):
    assert _exit_code(argv) == 2
    _one_line_error(capsys, *fragments)


def _exit_code(argv) -> int:
    """main's return value, or the code of the SystemExit argparse raises for a malformed flag."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_unknown_name_lists_every_kind(capsys):
    assert main(["show", "gcn2"]) == 2
    _one_line_error(capsys, "unknown cell 'gcn2'", "graph layers: gcn", "tree models:", "cells: rnn")


USER_FILE = '''
import symrnn

b = symrnn.CellBuilder("mgu_file", family="custom", reference="Zhou et al. 2016, Minimal gated unit")
D, H = b.sizes("D H")
x, h = b.input("x", D), b.state("h", H)
f = b.let("f", symrnn.sigmoid(b.param("W_f", H, D) @ x + b.param("U_f", H, H) @ h + b.param("b_f", H)))
b.update("h", (1 - f) * h + f * symrnn.tanh(b.param("W_h", H, D) @ x + b.param("U_h", H, H) @ h))
mgu = b.build()


def leaky(rate=2):
    """A factory: --option rate=4."""
    c = symrnn.CellBuilder(f"leaky{rate}", reference="Jaeger et al. 2007")
    D, H = c.sizes("D H")
    x, h = c.input("x", D), c.state("h", H)
    c.update("h", h / rate + symrnn.tanh(c.param("W", H, D) @ x))
    return c.build()


def mean_layer():
    g = symrnn.GraphBuilder("mean_layer", reference="Hamilton et al. 2017")
    F, G = g.sizes("F G")
    x = g.node_input("x", F)
    g.output("h", g.param("W", G, F) @ g.propagate("mean_in", x))
    return g.build()
'''


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "my_models.py"
    path.write_text(USER_FILE)
    return str(path)


def test_from_file_shows_and_derives_a_user_cell(user_file, capsys, tmp_path):
    assert main(["show", "mgu_file", "--from", user_file, "--latex"]) == 0  # by its name
    latex = capsys.readouterr().out
    assert r"\mathbf{f}_{t}" in latex
    assert main(["show", "mgu", "--from", user_file, "--latex"]) == 0  # by its variable
    assert capsys.readouterr().out == latex
    out = tmp_path / "mgu.md"
    assert main(["derive", "mgu", "--from", user_file, "--format", "md", "-o", str(out)]) == 0
    assert out.read_text().startswith("# Derivation of the mgu_file cell")


def test_from_file_calls_a_factory_with_the_options(user_file, capsys):
    assert main(["show", "leaky", "--from", user_file, "--option", "rate=4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "leaky4"
    assert main(["show", "leaky", "--from", user_file, "--option", "speed=4"]) == 2
    _one_line_error(capsys, "unknown option 'speed'; valid options: rate")
    assert main(["show", "mgu", "--from", user_file, "--option", "rate=4"]) == 2
    _one_line_error(capsys, "is a description, not a factory")


def test_from_file_derives_a_user_graph_layer(user_file, capsys):
    assert main(["derive", "mean_layer", "--from", user_file, "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Derivation of the mean_layer graph layer")
    assert (r"\boldsymbol{\delta}^{\mathbf{x}} &= (\mathbf{D}_{\mathrm{in}}^{-1}\mathbf{A})^{\top} "
            r"\boldsymbol{\delta}^{\mathbf{h}} \mathbf{W}") in md


def test_from_file_errors_are_one_line(user_file, tmp_path, capsys):
    assert main(["show", "nothing", "--from", user_file]) == 2
    _one_line_error(capsys, "defines no description or factory named 'nothing'", "leaky", "mgu", "mean_layer")
    broken = tmp_path / "broken.py"
    broken.write_text("import symrnn\n\nx = 1 / 0\n")
    assert main(["show", "x", "--from", str(broken)]) == 2
    _one_line_error(capsys, "failed to import: ZeroDivisionError", "(line 3)")
    exits = tmp_path / "exits.py"
    exits.write_text("import sys\nsys.exit(0)\n")
    assert main(["show", "x", "--from", str(exits)]) == 2
    _one_line_error(capsys, "called sys.exit(0)")
    assert main(["show", "x", "--from", str(tmp_path / "missing.py")]) == 2
    _one_line_error(capsys, "expected an existing file ending in .py")


def test_prove_option_goes_to_the_files_theorems_function(tmp_path, capsys):
    path = tmp_path / "my_proofs.py"
    path.write_text("import symrnn\nfrom symrnn.prove import Theorem, identity\n\n"
                    "def theorems(activation='tanh'):\n"
                    "    c = symrnn.cell('rnn', activation=activation)\n"
                    "    D, H = c.sizes\n"
                    "    return [Theorem(f'count_{activation}', 'P = DH + H^2 + H',\n"
                    "                    lambda: identity(c.parameter_count(), D*H + H**2 + H))]\n")
    assert main(["prove", "--from", str(path), "--option", "activation=relu", "--json"]) == 0
    assert [t["name"] for t in json.loads(capsys.readouterr().out)["theorems"]] == ["count_relu"]
    assert main(["prove", "--from", str(path), "--option", "width=3"]) == 2
    _one_line_error(capsys, "unknown option 'width'; valid options: activation")
    assert main(["prove", "--option", "activation=relu"]) == 2
    _one_line_error(capsys, "the catalogue's theorems take no options")


def test_the_installed_command_derives_a_graph_layer(tmp_path):
    out = tmp_path / "sage.tex"
    proc = subprocess.run([sys.executable, "-m", "symrnn.cli", "derive", "sage", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""
    assert out.read_text().startswith("\\documentclass") and "Reverse mode" in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "symrnn.cli", "derive", "sage", "--option", "root=false"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "valid options: root_weight" in bad.stderr
