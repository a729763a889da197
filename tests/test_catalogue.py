"""The catalogue, the CLI's list/show, and a user-defined cell treated like a built-in one."""

from __future__ import annotations

import json

import pytest
import sympy as sp

import symrnn
from symrnn.cli import main

EXPECTED = {
    "rnn", "lstm", "lstm_no_forget", "lstm_peephole", "lstm_coupled", "lstm_no_input", "lstm_no_output",
    "lstm_no_input_act", "lstm_no_output_act", "lstm_full_recurrence", "gru_reset_before", "gru_reset_after",
    "stacked", "bidirectional",
}


def test_list_json_names_every_entry(capsys):
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows if r["kind"] == "cell"} == EXPECTED  # tree and graph models follow (issue 18)
    for r in rows:  # every entry cites a paper
        assert r["reference"] and r["family"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_show_json_round_trips_the_description(name, capsys):
    assert main(["show", name, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    desc = symrnn.cell(name)
    assert data["parameter_count"]["paper"] == str(desc.parameter_count())
    cells = [desc] if "equations" in data else [desc.forward, desc.backward]
    parts = [data] if "equations" in data else [data["forward"], data["backward"]]
    for c, part in zip(cells, parts):
        assert [e["target"] for e in part["equations"]] == [e.target for e in c.equations]


def test_unknown_name_lists_known_ones(capsys):
    with pytest.raises(symrnn.UnknownNameError) as info:
        symrnn.cell("gru")
    assert "gru_reset_before" in str(info.value) and "lstm_peephole" in str(info.value)
    assert main(["show", "gru"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown cell 'gru'" in err


def _mgu():
    """Minimal gated unit (Zhou et al. 2016), defined only here, through the public API."""
    b = symrnn.CellBuilder("mgu_test", family="custom", reference="Zhou et al. 2016, Minimal gated unit")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    f = b.let("f", symrnn.sigmoid(b.param("W_f", H, D) @ x + b.param("U_f", H, H) @ h + b.param("b_f", H)))
    fh = b.let("fh", f * h)
    hc = b.let("hc", symrnn.tanh(b.param("W_h", H, D) @ x + b.param("U_h", H, H) @ fh + b.param("b_h", H)),
               latex=r"\tilde{\mathbf{h}}")
    b.update("h", (1 - f) * h + f * hc)
    return b.build()


def test_user_defined_cell_works_like_a_builtin(capsys):
    cell = _mgu()
    D, H = cell.sizes
    assert sp.expand(cell.parameter_count() - (2 * D * H + 2 * H**2 + 2 * H)) == 0
    assert r"\tilde{\mathbf{h}}_{t}" in cell.latex()
    symrnn.cells.register(cell)
    try:
        assert symrnn.cell("mgu_test") is cell
        assert main(["list", "--json"]) == 0
        assert "mgu_test" in {r["name"] for r in json.loads(capsys.readouterr().out)}
        assert main(["show", "mgu_test", "--latex"]) == 0
        assert capsys.readouterr().out.strip() == cell.latex()
        with pytest.raises(symrnn.SpecError, match="exists"):
            symrnn.cells.register(cell)
    finally:
        symrnn.cells.unregister("mgu_test")
    with pytest.raises(symrnn.UnknownNameError):
        symrnn.cell("mgu_test")


def test_descriptions_are_immutable_and_hashable():
    a, b = symrnn.cell("lstm"), symrnn.cells.lstm()
    assert a == b and hash(a) == hash(b) and a is not b
    with pytest.raises(Exception):
        a.name = "other"
    assert a != symrnn.cell("lstm_peephole")


def test_stacked_and_bidirectional_compose_any_cells():
    net = symrnn.cell("stacked", layers=("lstm", "gru_reset_after", "rnn"))
    D = sp.Symbol("D", integer=True, positive=True)
    H1, H2, H3 = (sp.Symbol(f"H{k}", integer=True, positive=True) for k in (1, 2, 3))
    want = (4 * (D * H1 + H1**2 + H1) + 3 * (H1 * H2 + H2**2) + 4 * H2 + (H2 * H3 + H3**2 + H3))
    assert sp.expand(net.parameter_count() - want) == 0
    assert net.output == "l3_h" and [c.name for c in net.layers] == ["l1_lstm", "l2_gru_reset_after", "l3_rnn"]
    # layer 2 reads layer 1's new output state at the same step
    assert "l1_h" in net.equation("l2_a_r").dependencies()
    bi = symrnn.cell("bidirectional", cell_name="gru_reset_before")
    assert bi.forward.inputs == bi.backward.inputs  # both directions read the same x
    assert sp.expand(bi.parameter_count() - 2 * symrnn.cell("gru_reset_before").parameter_count()) == 0


def test_parameter_roles_follow_the_equations():
    roles = symrnn.cell("gru_reset_after").param_roles()
    assert roles == {"W_r": "input", "W_z": "input", "W_n": "input", "U_r": "recurrent", "U_z": "recurrent",
                     "U_n": "recurrent", "b_r": "bias", "b_z": "bias", "b_in": "bias", "b_hn": "bias"}
    fgr = symrnn.cell("lstm_full_recurrence").param_roles()
    assert fgr["R_fi"] == "recurrent"  # the gates at t-1 are states
    net = symrnn.cell("stacked", layers=("rnn", "rnn"))
    assert net.param_roles()["l2_W"] == "input" and net.param_roles()["l2_U"] == "recurrent"
