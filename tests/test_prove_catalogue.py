"""The shipped catalogue through `symrnn prove`: verdicts, JSON, reports, bad input, exit codes."""

from __future__ import annotations

import json
import time

import pytest
import sympy as sp

import symrnn
from symrnn import prove
from symrnn.cli import main
from symrnn.prove import Result, Theorem, equivalent

# every claim the issue lists, and the verdict it must get
REQUIRED = {
    "gru_reset_before_z0_r1_is_rnn": "proved", "gru_reset_before_z0_r0_reads_input_only": "proved",
    "gru_reset_before_z1_copies_state": "proved", "gru_reset_after_z0_r1_is_rnn": "proved",
    "gru_reset_after_z0_r0_reads_input_only": "proved", "gru_reset_after_z1_copies_state": "proved",
    "gru_reset_after_r0_drops_recurrent_bias": "proved", "gru_reset_before_z1_ignores_input": "proved",
    "gru_reset_after_z1_ignores_input": "proved", "gru_placements_agree_r1": "proved",
    "lstm_forget_one_is_no_forget": "proved", "lstm_coupled_gates": "proved", "lstm_zero_peepholes_is_lstm": "proved",
    "lstm_input_gate_one_is_no_input_gate": "proved", "lstm_output_gate_one_is_no_output_gate": "proved",
    "lstm_identity_input_activation": "proved", "lstm_identity_output_activation": "proved",
    "lstm_no_forget_cell_path_identity": "proved", "lstm_cell_path_forget_gate": "proved",
    "gru_reset_before_state_bounded": "proved", "gru_reset_after_state_bounded": "proved",
    "lstm_cell_growth_bounded": "proved", "lstm_output_bounded": "proved",
    "gru_three_quarters_of_lstm": "proved", "stacked_depth_one_lstm": "proved", "bidirectional_reversal": "proved",
    "gru_reset_one_is_rnn_overstatement": "refuted",
    "bidirectional_backward_final_state_is_first_output": "proved",
    "bidirectional_last_output_is_final_state_overstatement": "refuted",
    "gru_reset_after_biases_merge_overstatement": "refuted",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One full run through the CLI (JSON on stdout, a Markdown report on disk)."""
    import contextlib
    import io

    path = tmp_path_factory.mktemp("prove") / "report.md"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["prove", "--json", "--report", str(path)])
    return code, json.loads(out.getvalue()), path


def test_catalogue_verdicts(report):
    code, data, _ = report
    got = {t["name"]: t for t in data["theorems"]}
    for name, verdict in REQUIRED.items():
        assert got[name]["verdict"] == verdict, (name, got[name]["message"], got[name]["steps"][-1:])
    assert code == 0 and data["exit_code"] == 0
    assert all(t["as_expected"] for t in data["theorems"])


def test_json_records_method_steps_time_and_counterexample(report):
    _, data, _ = report
    for t in data["theorems"]:
        assert t["seconds"] >= 0 and t["method"] and t["steps"] and t["references"]
    over = next(t for t in data["theorems"] if t["name"] == "gru_reset_one_is_rnn_overstatement")
    assert over["expected"] == "refuted"
    ce = over["counterexample"]
    assert ce["state"] == "h" and ce["left"] != ce["right"]
    proved = next(t for t in data["theorems"] if t["name"] == "gru_placements_agree_r1")
    assert any("induction" in s.lower() for s in proved["steps"])


def test_markdown_report(report):
    _, data, path = report
    text = path.read_text()
    for t in data["theorems"]:
        assert f"`{t['name']}`" in text
    assert "**Counterexample.**" in text and "**Steps.**" in text


def test_latex_report_compiles(tmp_path, monkeypatch):
    pytest.importorskip("shutil").which("pdflatex") or pytest.skip("no TeX engine")
    pdf = tmp_path / "r.pdf"
    assert main(["prove", "gru_reset_one_is_rnn_overstatement", "lstm_cell_growth_bounded", "--report", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    tex = tmp_path / "r.tex"
    assert main(["prove", "bidirectional_reversal", "--report", str(tex)]) == 0
    assert "\\begin{document}" in tex.read_text()


def test_unknown_theorem_and_bad_report_exit_2(tmp_path, capsys):
    assert main(["prove", "no_such_theorem"]) == 2
    assert "known theorems" in capsys.readouterr().err
    assert main(["prove", "--report", str(tmp_path / "r.docx")]) == 2
    assert main(["prove", "--report", str(tmp_path / "missing" / "r.md")]) == 2
    assert not (tmp_path / "r.docx").exists()


def _planted_catalogue():
    gru = symrnn.cell("gru_reset_before")
    return [
        Theorem("unknown_gate", "substituting a gate the cell does not have",
                lambda: equivalent(gru.substitute({"q": 0}), symrnn.cell("rnn"))),
        Theorem("mismatched_shapes", "W (H x D) renamed to U (H x H)",
                lambda: equivalent(symrnn.cell("rnn"), symrnn.cell("rnn"), rename={"W": "U"})),
        Theorem("different_states", "an LSTM is an RNN", lambda: equivalent(symrnn.cell("lstm"), symrnn.cell("rnn"))),
        Theorem("slow", "runs past its limit", lambda: time.sleep(5), timeout=0.2),
        Theorem("still_runs", "the run goes on", lambda: Result("proved", "by definition", ("trivial",))),
    ]


def test_bad_input_gives_error_verdicts_and_the_run_goes_on():
    verdicts = prove.run(_planted_catalogue())
    status = {v.theorem: v for v in verdicts}
    assert [v.status for v in verdicts] == ["error"] * 4 + ["proved"]
    assert "'q'" in status["unknown_gate"].result.message
    assert "shape" in status["mismatched_shapes"].result.message and "'W'" in status["mismatched_shapes"].result.message
    assert "different states" in status["different_states"].result.message
    assert "time limit" in status["slow"].result.message and status["slow"].seconds < 2


def test_exit_code_1_on_error_or_unexpected(monkeypatch, capsys):
    monkeypatch.setattr(prove, "catalogue", lambda names=None: _planted_catalogue())
    assert main(["prove"]) == 1
    assert "UNEXPECTED" in capsys.readouterr().out
    wrong_expectation = Theorem("true_claim_marked_false", "4 = 4", lambda: prove.identity(4, 4), expect="refuted")
    monkeypatch.setattr(prove, "catalogue", lambda names=None: [wrong_expectation])
    assert main(["prove"]) == 1
    false_claim = Theorem("false_claim", "4 = 5", lambda: prove.identity(4, 5))
    monkeypatch.setattr(prove, "catalogue", lambda names=None: [false_claim])
    assert main(["prove"]) == 1


def _one_state(name, activation):
    b = symrnn.CellBuilder(name)
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    a = b.linear(b.param("W", H, D) @ x + b.param("U", H, H) @ h + b.param("b", H), "a")
    b.update("h", activation(a))
    return b.build()


def test_identities_of_activations_are_proved():
    # sigma(a) = (1 + tanh(a/2)) / 2: needs the exp rewrite, still a proof for every size
    half = _one_state("half_tanh", lambda a: (1 + symrnn.tanh(a / 2)) / 2)
    assert equivalent(half, _one_state("sig", symrnn.sigmoid)).status == "proved"
    assert equivalent(half, _one_state("tnh", symrnn.tanh)).status == "refuted"


def _gated(name, gate):
    b = symrnn.CellBuilder(name)
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    g = b.let("g", gate(b.linear(b.param("W", H, D) @ x, "a")))
    b.update("h", symrnn.tanh(b.param("U", H, H) @ g + b.param("V", H, H) @ h))
    return b.build()


def test_equal_vectors_under_a_matrix_share_an_atom():
    # U σ(a) and U (1 + tanh(a/2))/2 are the same vector: the normal forms must see it
    left, right = _gated("left", symrnn.sigmoid), _gated("right", lambda a: (1 + symrnn.tanh(a / 2)) / 2)
    assert equivalent(left, right).status == "proved" and equivalent(right, left).status == "proved"
    assert equivalent(left, _gated("wrong", lambda a: (1 + symrnn.tanh(a)) / 2)).status == "refuted"


def test_numeric_pass_is_never_proved():
    # relu(a) = (a + |a|) / 2 holds, but no simplification shows it: the verdict must stay `checked`
    absval = _one_state("abs_form", lambda a: (a + sp.Abs(a)) / 2)
    result = equivalent(absval, _one_state("rect", symrnn.relu), examples=10)
    assert result.status == "checked" and result.examples >= 10
    assert "checked, not proved" in result.steps[-1]


def test_renames_that_tie_parameters_are_refused():
    # h = tanh(W1 x + W2 x) is not the family h = tanh(2 W x); mapping W1, W2 -> W would "prove" it
    two = _one_state("two", symrnn.tanh)
    b = symrnn.CellBuilder("sum_of_two")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    b.update("h", symrnn.tanh(b.param("W1", H, D) @ x + b.param("W2", H, D) @ x + b.param("U", H, H) @ h + b.param("b", H)))
    with pytest.raises(symrnn.SpecError, match="both map to 'W'"):
        equivalent(b.build(), two, rename={"W1": "W", "W2": "W"})
    with pytest.raises(symrnn.SpecError, match="sum"):
        equivalent(two, two, rename={"b": "b**2"})
    with pytest.raises(symrnn.UnknownNameError, match="does not declare"):
        equivalent(two, two, rename={"W": "W_typo"})
    assert equivalent(two, b.build(), rename={"W": "W1"}).status == "refuted"


def test_theorem_rejects_bad_declarations():
    with pytest.raises(symrnn.SpecError, match="expect"):
        Theorem("x", "s", lambda: None, expect="maybe")
    with pytest.raises(symrnn.InvalidNameError):
        Theorem("not a name", "s", lambda: None)
    v = Theorem("returns_junk", "s", lambda: 42).run()
    assert v.status == "error" and "Result" in v.result.message


def test_user_theorems_from_a_file(tmp_path, capsys):
    path = tmp_path / "my_proofs.py"
    path.write_text(
        "import symrnn\n"
        "from symrnn.prove import Theorem, equivalent\n"
        "lstm = symrnn.cell('lstm')\n"
        "coupled = Theorem('coupled', 'f = 1 - i gives CIFG', lambda: equivalent(\n"
        "    lstm.substitute({'f': 1 - lstm.unit('i')}), symrnn.cell('lstm_coupled')))\n"
        "wrong = Theorem('wrong', 'f = i gives CIFG', lambda: equivalent(\n"
        "    lstm.substitute({'f': lstm.unit('i')}), symrnn.cell('lstm_coupled')))\n")
    assert main(["prove", "--from", str(path), "coupled", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["theorems"][0]["verdict"] == "proved"
    assert main(["prove", "--from", str(path), "--json"]) == 1
    verdicts = {t["name"]: t["verdict"] for t in json.loads(capsys.readouterr().out)["theorems"]}
    assert verdicts == {"coupled": "proved", "wrong": "refuted"}
    assert main(["prove", "--from", str(tmp_path / "missing.py")]) == 2


def test_progress_bar_only_on_a_terminal():
    import io

    from symrnn.commands.prove import _progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert _progress(io.StringIO()) is None
    stream = Tty()
    show = _progress(stream)
    t = Theorem("t", "s", lambda: Result("proved", "m"))
    show(1, 2, t, None)
    show(1, 2, t, t.run())
    assert "1/2" in stream.getvalue() and "t: proved" in stream.getvalue()


def test_reports_state_how_far_each_verdict_reaches():
    from symrnn.prove import Verdict
    from symrnn.prove.report import exit_code, latex, markdown, summary

    dims = Result("proved_for_dims", "unrolled", ("a",), dims=({"H": 1}, {"H": 2}))
    num = Result("checked", "numeric", ("b",), examples=30)
    verdicts = [Verdict("dims", "s", dims, 0.1, expect="proved_for_dims"), Verdict("num", "s", num, 0.1, expect="checked")]
    text = markdown(verdicts)
    assert "proved_for_dims (expected: proved_for_dims) in 0.10 s, at sizes H=1; H=2." in text
    assert "checked (expected: checked) in 0.10 s, 30 examples." in text
    assert "at sizes H=1; H=2" in latex(verdicts)
    assert "2 theorems" in summary(verdicts) and "0 unexpected" in summary(verdicts)
    # a downgrade is unexpected: proved expected, proved_for_dims or checked obtained
    downgraded = [Verdict("dims", "s", dims, 0.1), Verdict("num", "s", num, 0.1)]
    assert [v.as_expected for v in downgraded] == [False, False]
    assert exit_code(downgraded) == 1 and "2 unexpected" in summary(downgraded)


def test_nested_theorems_keep_the_outer_time_limit():
    inner = Theorem("inner", "s", lambda: Result("proved", "m"), timeout=5)

    def outer_check():
        assert inner.run().status == "proved"
        time.sleep(3)
        return Result("proved", "m")

    verdict = Theorem("outer", "s", outer_check, timeout=0.5).run()
    assert verdict.status == "error" and "time limit" in verdict.result.message and verdict.seconds < 2
