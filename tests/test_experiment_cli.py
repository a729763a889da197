"""``symrnn experiment``: the tables hold every variant with mean ± std over seeds, verdicts, JSON, plots, bad flags."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from symrnn.cli import main
from symrnn.experiments import GATES, VARIANTS, gate_ablation

TINY = ["--steps", "4", "--seeds", "2", "--length", "6", "--hidden", "3"]


def test_gates_table_has_every_variant_with_mean_and_std(capsys):
    assert main(["experiment", "gates", *TINY]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(VARIANTS)
    assert all("±" in r for r in rows)
    assert "**Verdict at this scale:**" in out and "Δ_forget" in out
    assert out.startswith("$ symrnn experiment gates --task adding --length 6 --hidden 3")


def test_gates_json_statistics_are_those_of_the_seeds(capsys):
    assert main(["experiment", "gates", *TINY, "--json", "--variants", "lstm,lstm_no_forget,lstm_no_input,lstm_no_output"]) == 0
    data = json.loads(capsys.readouterr().out)
    for row in data["rows"]:
        assert len(row["finals"]) == 2
        assert row["mean"] == pytest.approx(np.mean(row["finals"]))
        assert row["std"] == pytest.approx(np.std(row["finals"], ddof=1))
    assert data["verdict"]["status"] in ("reproduced", "contradicted", "inconclusive")
    assert len(data["curves"]["lstm"][0]) == 4


def test_verdict_logic_on_planted_results():
    r = gate_ablation(steps=1, seeds=3, length=4, hidden=2)
    planted = {"lstm": [0.1, 0.11, 0.09], GATES["forget"]: [0.9, 0.91, 0.89], GATES["input"]: [0.5, 0.52, 0.48],
               GATES["output"]: [0.2, 0.21, 0.19]}
    for name, values in planted.items():
        for h, v in zip(r.histories[name], values):
            h.final["loss"] = v
    assert r.verdict().status == "reproduced"
    for h, v in zip(r.histories[GATES["input"]], [0.95, 0.96, 0.94]):
        h.final["loss"] = v
    v = r.verdict()
    assert v.status == "contradicted" and v.found.startswith("contribution input > forget > output")
    for h, v in zip(r.histories[GATES["input"]], [0.2, 1.6, 0.9]):
        h.final["loss"] = v
    assert r.verdict().status == "inconclusive"


def test_gru_vs_lstm_table_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "g.png"
    assert main(["experiment", "gru-vs-lstm", *TINY, "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == ["lstm", "gru_reset_before", "gru_reset_after"]
    assert out.count("**Verdict at this scale:**") == 2
    assert png.read_bytes().startswith(b"\x89PNG") and sorted(os.listdir(tmp_path)) == ["g.png"]


def test_same_parameters_picks_the_closest_hidden_size(capsys):
    assert main(["experiment", "gru-vs-lstm", *TINY, "--same-parameters", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    hidden = {r["model"]: r["hidden"] for r in data["rows"]}
    assert hidden["lstm"] == 3 and hidden["gru_reset_before"] == 4  # 4·(2·3+9+3)+4 = 76; GRU H=4: 3·(8+16+4)+5 = 89


@pytest.mark.parametrize("argv", [
    ["experiment", "gates", "--seeds", "0"],
    ["experiment", "gates", "--steps", "x"],
    ["experiment", "gates", "--task", "parity"],
    ["experiment", "gates", "--variants", "lstm,nope"],
    ["experiment", "gru-vs-lstm", "--threshold", "-1"],
    ["experiment", "gates", "--length", "5", "--task", "copy"],
    ["experiment", "nope"],
])
def test_bad_flags_exit_2_with_one_line(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("symrnn: error:") and err.count("\n") == 1


def test_unwritable_plot_fails_before_training(tmp_path, capsys):
    assert main(["experiment", "gates", "--plot", str(tmp_path / "missing" / "x.png")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_printed_command_reproduces_the_numbers(capsys):
    """The command line printed above a table, run again, gives the same losses (seeded data and weights)."""
    assert main(["experiment", "gates", *TINY, "--variants", "lstm,lstm_coupled", "--forget-bias", "1"]) == 0
    first = capsys.readouterr().out
    argv = first.splitlines()[0].split()[2:]
    assert "--forget-bias" in argv
    assert main([*argv, "--variants", "lstm,lstm_coupled"]) == 0
    second = capsys.readouterr().out
    strip = lambda out: [line.rsplit("|", 2)[0] for line in out.splitlines() if line.startswith("| `")]  # noqa: E731
    assert strip(first) == strip(second)


def test_forget_bias_changes_only_cells_with_a_forget_gate(capsys):
    rows = {}
    for bias in ("0", "1"):
        assert main(["experiment", "gates", *TINY, "--variants", "lstm,lstm_coupled", "--json", "--forget-bias", bias]) == 0
        rows[bias] = {r["variant"]: r["finals"] for r in json.loads(capsys.readouterr().out)["rows"]}
    assert rows["0"]["lstm_coupled"] == rows["1"]["lstm_coupled"]  # no b_f: untouched
    assert rows["0"]["lstm"] != rows["1"]["lstm"]


def test_gru_vs_lstm_plot_names_its_grey_lines():
    """The dotted line is the threshold the table's 'steps to threshold' counts to: the legend says so."""
    pytest.importorskip("matplotlib")
    from symrnn.experiments import gru_vs_lstm

    result = gru_vs_lstm(steps=4, seeds=2, length=6, hidden=3, threshold=0.3)
    fig = result.plot()
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "no-memory baseline" in labels
    assert any(label.startswith("threshold (0.3 × baseline)") for label in labels)
    dotted = [line for line in fig.axes[1].lines if line.get_linestyle() == ":"]
    assert len(dotted) == 1 and dotted[0].get_ydata()[0] == pytest.approx(0.3 * result.baseline)
