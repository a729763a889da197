"""Regression table of issue 15, defects 3-7: every case found, as a row that fails if the defect returns.

Three tables:

* ``REFUSED`` — bad input refused at the boundary with a ``SymrnnError``
  subclass whose message names the argument;
* ``CLI`` — the command line: exit code 2, one line on stderr, naming the problem;
* ``ORACLES`` — behaviour checked against something symrnn did not write: the
  built PDF's text (no sentinel file content in it), the file system's real
  state (a FIFO stays a FIFO, a mode stays), the process table (no TeX left
  running), and PyTorch / Keras / PyG on the same data.

Defects 1-2 (generated-code names, ``substitute``) are another engineer's table.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn import _io, graphs, testing, trees
from symrnn.cli import main
from symrnn.errors import InputError, SpecError, SymrnnError
from symrnn.prove.runner import load
from symrnn.spec import Decl, Equation
from symrnn.spec.cell import Cell

import round2_latex as tex  # rootdir-relative helpers, as finite_differences
import round2_libraries as libs

# ----------------------------------------------------------------------------- defect 3: latex= strings
LATEX_PAYLOADS = [
    r"\input{/etc/passwd}", r"\include{secret}", r"\openin1=/etc/passwd", r"\read1 to\x", r"\write18{touch x}",
    r"\immediate\write1{x}", r"\catcode`\|=0", r"\def\x{y}", r"\let\x\relax", r"\csname input\endcsname",
    r"\usepackage{verbatim}", r"\special{x}", r"\begin{filecontents}", r"\string\input", r"^^5cinput{/etc/passwd}",
    r"\mathbf{h}}\input{/etc/passwd}{", "$x$", "x & y", "x % comment", "#1", r"a \\ b", "[x]", "x\ny", "h\u00e9",
    r"\left( x", 3,
]
ROLES, _built = tex.ROLES, tex.gated_cell


def _hand_built(decl_latex=None, eq_latex=None, **meta):
    H = sp.Symbol("H", integer=True, positive=True)
    x, h = symrnn.spec.Vec("x", H), symrnn.spec.Vec("h_prev", H)
    return Cell("c", (H,), (Decl("x", (H,), decl_latex),), (Decl("h", (H,)),), (),
                (Equation("h", sp.tanh(x + h), H, latex=eq_latex),), **meta)


_D3 = ([("3", f"{role} latex={p!r:.30}", lambda tmp, r=role, p=p: _built(r, p), SpecError, name)
        for role, name in ROLES.items() for p in LATEX_PAYLOADS]
       + [("3", f"Decl latex={p!r:.30}", lambda tmp, p=p: _hand_built(decl_latex=p), SpecError, "input 'x' latex=")
          for p in LATEX_PAYLOADS]
       + [("3", f"Equation latex={p!r:.30}", lambda tmp, p=p: _hand_built(eq_latex=p), SpecError,
           "equation 'h' latex=") for p in LATEX_PAYLOADS]
       + [("3", f"cell {f}=3", lambda tmp, f=f: _hand_built(**{f: 3}), SpecError, f"{f} must be a str")
          for f in ("reference", "summary", "family")])


# ----------------------------------------------------------------------------- defect 4: output targets
def _fifo(tmp):
    path = tmp / "pipe.md"
    os.mkfifo(path)
    return path


def _read_only(tmp):
    path = tmp / "ro.md"
    path.write_text("old")
    path.chmod(0o444)
    return path


def _to_devnull(tmp):
    """A link to /dev/null: code that wrongly replaced it would replace the link, never the device itself."""
    link = tmp / "null.md"
    link.symlink_to(os.devnull)
    return link


_D4 = ([("4", f"{fn.__name__} {target}", lambda tmp, fn=fn, make=make, extra=extra: fn(make(tmp), *extra),
         InputError, why)
        for fn, extra in ((_io.check_writable, ()), (_io.atomic_write, ("new",)))
        for target, make, why in (("fifo", _fifo, "is a FIFO"), ("link to /dev/null", _to_devnull, "character device"),
                                  ("read-only file", _read_only, "is read-only"))]
       + [("4", "check_writable /dev/null", lambda tmp: _io.check_writable(os.devnull), InputError, "character device")])


# ----------------------------------------------------------------------------- defect 5: tree and graph inputs
def _tree_kernel():
    k = trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=3)
    G = nx.DiGraph([(0, 1), (0, 2)])
    nx.set_node_attributes(G, {v: np.ones(2) for v in G}, "x")
    return k, k.init_params(rng=0), G


def _tree_forward(bad):
    k, p, G = _tree_kernel()
    return k.forward({**p, "W_f": bad(p["W_f"])}, G)


def _tree_backward(grads):
    k, p, G = _tree_kernel()
    return k.backward(k.forward(p, G), grads)


def _tree_feature(x):
    G = nx.DiGraph([(0, 1)])
    nx.set_node_attributes(G, {0: np.ones(2), 1: x}, "x")
    return trees.rooted_tree(G)


def _with(value, where=(0, 0)):
    def put(a):
        out = a.astype(object)
        out[where] = value
        return out

    return put


P3, ONE = nx.path_graph(3), np.ones((1, 1))
_D5 = [
    ("5", "tree param NaN", lambda tmp: _tree_forward(_with(np.nan)), InputError, "'W_f' contains NaN"),
    ("5", "tree param complex array", lambda tmp: _tree_forward(lambda a: a + 1j), InputError, "'W_f' must be an array of real"),
    ("5", "tree param complex scalar", lambda tmp: _tree_forward(_with(np.complex128(1 + 1j))), InputError, "'W_f'"),
    ("5", "tree param str", lambda tmp: _tree_forward(_with("a")), InputError, "'W_f' must be an array of real"),
    ("5", "tree param text array", lambda tmp: _tree_forward(lambda a: a.astype(str)), InputError, "'W_f'"),
    ("5", "tree grads complex", lambda tmp: _tree_backward({"h": np.ones((3, 3)) * 1j}), InputError, "grads['h']"),
    ("5", "tree grads NaN", lambda tmp: _tree_backward({"h": np.full((3, 3), np.nan)}), InputError, "grads['h']"),
    ("5", "tree grads not a dict", lambda tmp: _tree_backward("h"), InputError, "grads must be a dict"),
    ("5", "tree feature complex", lambda tmp: _tree_feature(np.array([1 + 1j, 2])), InputError, "feature 'x'"),
    ("5", "tree feature text", lambda tmp: _tree_feature(["1", "2"]), InputError, "feature 'x'"),
    ("5", "tree init_params rng", lambda tmp: _tree_kernel()[0].init_params(rng="a"), InputError, "rng"),
    ("5", "graph X complex", lambda tmp: graphs.gcn(P3, np.ones((3, 1)) + 1j, ONE), InputError, "X must be an array of real"),
    ("5", "graph X complex scalars", lambda tmp: graphs.gcn(P3, [[np.complex128(1j)]] * 3, ONE), InputError, "X must"),
    ("5", "graph W text", lambda tmp: graphs.gcn(P3, np.ones((3, 1)), [["1"]]), InputError, "W must be an array of real"),
    ("5", "graph edge weight complex", lambda tmp: graphs.gcn(nx.Graph([(0, 1, {"weight": np.complex128(1j)})]),
                                                              np.ones((2, 1)), ONE), InputError, "edge 0 - 1 weight"),
    ("5", "graph edge weight text", lambda tmp: graphs.gcn(nx.Graph([(0, 1, {"weight": "2"})]), np.ones((2, 1)), ONE),
     InputError, "edge 0 - 1 weight"),
    ("5", "from_edges weights complex", lambda tmp: graphs.from_edges([0], [1], 2, [1j]), InputError, "weights"),
    ("5", "gat negative_slope='a'", lambda tmp: graphs.gat(P3, np.ones((3, 1)), ONE, ONE, ONE, negative_slope="a"),
     InputError, "negative_slope"),
    ("5", "gat negative_slope=nan", lambda tmp: graphs.gat(P3, np.ones((3, 1)), ONE, ONE, ONE, negative_slope=np.nan),
     InputError, "negative_slope"),
    ("5", "gat concat='no'", lambda tmp: graphs.gat(P3, np.ones((3, 1)), ONE, ONE, ONE, concat="no"), InputError, "concat"),
    ("5", "gcn improved='yes'", lambda tmp: graphs.gcn(P3, np.ones((3, 1)), ONE, improved="yes"), InputError, "improved"),
    ("5", "backward(None, dY)", lambda tmp: graphs.backward(None, np.ones((3, 1))), InputError, "tape"),
    ("5", "backward(None, dY) (gat)", lambda tmp: graphs.backward(None, np.ones((3, 1))), InputError, "tape"),
    ("5", "backward('t', dY)", lambda tmp: graphs.backward("t", np.ones((3, 1))), InputError, "tape"),
]


# ----------------------------------------------------------------------------- defect 6: strategies, load
STRATEGIES = {"sizes": (symrnn.cell("rnn"),), "params_for": (symrnn.cell("rnn"), {"D": 1, "H": 1}),
              "sequences": (symrnn.cell("rnn"), {"D": 1, "H": 1}), "initial_states": (symrnn.cell("rnn"), {"D": 1, "H": 1}),
              "examples": (symrnn.cell("rnn"),), "networkx_graphs": (), "graph_examples": (), "node_permutations": (3,),
              "rooted_trees": (), "forests": (), "tree_examples": (trees.child_sum_tree_lstm(),)}


def _theorem_file(tmp, body: str) -> str:
    path = tmp / "mine.py"
    path.write_text("import sys\nimport symrnn\n" + body + "\n")
    return str(path)


_D6 = ([("6", f"testing.{name}(bogus=1)", lambda tmp, n=name, a=args: getattr(testing, n)(*a, bogus=1), InputError,
         "'bogus'") for name, args in STRATEGIES.items()]
       + [("6", "testing.random_graph(rng='a')", lambda tmp: testing.graphs.random_graph("a"), InputError, "rng"),
          ("6", "testing.networkx_graphs(directed='no')", lambda tmp: testing.networkx_graphs(directed="no"),
           InputError, "directed"),
          ("6", "testing.rooted_trees(positions='yes')", lambda tmp: testing.rooted_trees(positions="yes", max_children=2),
           InputError, "positions"),
          ("6", "load: sys.exit(0)", lambda tmp: load(_theorem_file(tmp, "sys.exit(0)")), SpecError, "mine.py"),
          ("6", "load: sys.exit('bye')", lambda tmp: load(_theorem_file(tmp, "sys.exit('bye')")), SpecError, "line 3"),
          ("6", "load: raise SystemExit(3)", lambda tmp: load(_theorem_file(tmp, "raise SystemExit(3)")), SpecError,
           "sys.exit(3)")])

_D7 = [("7", "edge_index_to_networkx with a repeated edge",
        lambda tmp: symrnn.interop.edge_index_to_networkx([[0, 0], [1, 1]]), InputError, "edge_index")]

REFUSED = _D3 + _D4 + _D5 + _D6 + _D7


@pytest.mark.parametrize("defect,case,call,error,names", REFUSED, ids=[f"{r[0]}: {r[1]}" for r in REFUSED])
def test_refused_at_the_boundary_naming_the_argument(tmp_path, defect, case, call, error, names):
    with pytest.raises(error) as info:
        call(tmp_path)
    assert isinstance(info.value, SymrnnError)
    assert names in str(info.value), str(info.value)


# ----------------------------------------------------------------------------- the command line
def _cli_file(tmp, body):
    return _theorem_file(tmp, body)


CLI = [
    ("6", "prove --timeout inf", lambda tmp: ["prove", "gru_three_quarters_of_lstm", "--timeout", "inf"], "--timeout"),
    ("6", "prove --timeout -inf", lambda tmp: ["prove", "gru_three_quarters_of_lstm", "--timeout", "-inf"], "--timeout"),
    ("6", "prove --timeout 1e300", lambda tmp: ["prove", "gru_three_quarters_of_lstm", "--timeout", "1e300"], "--timeout"),
    ("6", "prove --from: sys.exit(0)", lambda tmp: ["prove", "--from", _cli_file(tmp, "sys.exit(0)")], "sys.exit(0)"),
    ("3", "prove --report pdf: unsafe theorem latex=",
     lambda tmp: ["prove", "--from", _cli_file(tmp, "from symrnn.prove import Theorem, Result\n"
                                                    "t = Theorem('t', 's', lambda: Result('proved', 'm'), "
                                                    "latex=r'\\input{/etc/passwd}')"),
                  "--report", str(tmp / "r.pdf")], "Theorem 't' latex="),  # refused when the Theorem is built
    ("4", "derive -o FIFO", lambda tmp: ["derive", "rnn", "--format", "md", "-o", str(_fifo(tmp))], "FIFO"),
    ("4", "derive -o link to /dev/null", lambda tmp: ["derive", "rnn", "--format", "md", "-o", str(_to_devnull(tmp))],
     "character device"),
    ("4", "derive -o read-only", lambda tmp: ["derive", "rnn", "--format", "md", "-o", str(_read_only(tmp))], "read-only"),
    ("4", "prove --report FIFO", lambda tmp: ["prove", "gru_three_quarters_of_lstm", "--report", str(_fifo(tmp))], "FIFO"),
]


@pytest.mark.parametrize("defect,case,argv,names", CLI, ids=[f"{r[0]}: {r[1]}" for r in CLI])
def test_cli_exits_2_with_one_line(tmp_path, capsys, defect, case, argv, names):
    args = argv(tmp_path)
    before = {p.name: (p.stat().st_mode, p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own refusals ("-inf" reads as an option)
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and err.startswith("symrnn: error:") and names in err, (code, err)
    assert out == ""  # refused before any work: no theorem ran, nothing printed
    after = {p.name: (p.stat().st_mode, p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    assert after == before  # a FIFO is still a FIFO, a read-only file keeps its bytes and mode, nothing new
    assert all(p.is_symlink() for p in tmp_path.iterdir() if p.name == "null.md")


# ----------------------------------------------------------------------------- behaviour against oracles
def _allowed_latex_compiles(tmp, mp):
    cell = _built("let", r"\tilde{\mathbf{z}}_{\alpha} \odot \overleftarrow{\mathbf{y}}", summary=tex.MARKER)
    assert tex.MARKER in tex.pdf_text(symrnn._latex_engine.compile_tex(symrnn.derive.derivation_document(cell, "tex")))


def _mode_kept(tmp, mp):
    path = tmp / "out.md"
    path.write_text("old")
    path.chmod(0o640)
    assert main(["derive", "rnn", "--format", "md", "-o", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text().startswith("# Derivation")


def _symlink_followed(tmp, mp):
    real = tmp / "real.md"
    real.write_text("old")
    link = tmp / "link.md"
    link.symlink_to(real)
    _io.atomic_write(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def _interrupt_mid_write(tmp, mp):
    path = tmp / "out.md"
    path.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    mp.setattr(_io.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _io.atomic_write(path, "new")
    assert path.read_text() == "old" and os.listdir(tmp) == ["out.md"]


def _sigint_during_pdf(tmp, mp):
    """A real SIGINT while TeX builds the PDF: exit 130, the old file intact, no temporary, no TeX left running."""
    out, tmpdir = tmp / "out.pdf", tmp / "tmp"
    out.write_bytes(b"%PDF old")
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    proc = subprocess.Popen([sys.executable, "-m", "symrnn.cli", "derive", "lstm", "--format", "pdf", "-o", str(out)],
                            env=env, stderr=subprocess.PIPE, text=True)
    engine = []
    for _ in range(6000):  # wait until pdflatex runs in the engine's directory (no timing is asserted)
        engine = tex.running_in(tmpdir, "pdflatex")
        if engine or proc.poll() is not None:
            break
        time.sleep(0.01)
    assert engine, "pdflatex never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert out.read_bytes() == b"%PDF old" and sorted(os.listdir(tmp)) == ["out.pdf", "tmp"]
    assert os.listdir(tmpdir) == [] and tex.running_in(tmpdir) == []


def _keyboard_interrupt_in_theorem_file(tmp, mp):
    with pytest.raises(KeyboardInterrupt):
        load(_theorem_file(tmp, "raise KeyboardInterrupt"))


TEX = "tex"  # rows that run the TeX engine (CI installs it)
ORACLES = (
    [("3", f"payloads in {field}: built, marker shown, sentinel never", TEX,
      lambda tmp, mp, f=field: tex.check_text_field(f, tmp)) for field in tex.DOCUMENTS]
    + [("3", "engine: \\input of an absolute path", TEX, lambda tmp, mp: tex.check_engine_refuses_absolute_input(tmp)),
       ("3", "engine: \\input of a file in the caller's directory", TEX,
        lambda tmp, mp: tex.check_engine_refuses_relative_input(tmp, mp)),
       ("3", "engine: \\openin / \\openout outside its directory", TEX,
        lambda tmp, mp: tex.check_engine_refuses_openin_and_openout(tmp)),
       ("3", "engine: a timeout kills the whole process group", TEX,
        lambda tmp, mp: tex.check_timeout_kills_the_process_group(tmp, mp)),
       ("3", "report: unsafe theorem latex=", "", lambda tmp, mp: tex.check_report_refuses_unsafe_theorem_latex()),
       ("3", "allowed latex= still compiles", TEX, _allowed_latex_compiles),
       ("4", "a replaced file keeps its mode", "", _mode_kept),
       ("4", "a symlink is followed and stays", "", _symlink_followed),
       ("4", "KeyboardInterrupt mid-write: old file, no temporary", "", _interrupt_mid_write),
       ("4", "SIGINT during the PDF build: old file, no TeX left", TEX, _sigint_during_pdf),
       ("6", "KeyboardInterrupt in a theorem file propagates", "", _keyboard_interrupt_in_theorem_file)]
    + [("7", f"Keras {k} {o} go_backwards", "", lambda tmp, mp, k=k, o=o: libs.check_keras_go_backwards(k, o))
       for k, o in (("LSTM", {}), ("GRU", {"reset_after": True}), ("GRU", {"reset_after": False}))]
    + [("7", f"torch {k} layers={n} bidirectional={b} batch_first", "",
        lambda tmp, mp, k=k, n=n, b=b: libs.check_torch_batch_first(k, n, b))
       for k in ("RNN", "LSTM", "GRU") for n, b in ((1, False), (2, True))]
    + [("7", f"GAT repeated edges heads={h} concat={c} add_self_loops={a}", "",
        lambda tmp, mp, h=h, c=c, a=a: libs.check_gat_repeated_edges(h, c, a))
       for h, c, a in ((1, True, True), (2, True, True), (2, False, True), (2, True, False))]
    + [("7", "GCN and ChebNet repeated edges", "", lambda tmp, mp: libs.check_gcn_cheb_repeated_edges()),
       ("7", "repeated edges never merged silently", "", lambda tmp, mp: libs.check_repeated_edges_are_not_merged_silently())]
)


@pytest.mark.parametrize("defect,case,needs,check", ORACLES, ids=[f"{r[0]}: {r[1]}" for r in ORACLES])
def test_against_an_oracle(tmp_path, monkeypatch, defect, case, needs, check):
    if needs == TEX and symrnn._latex_engine.tex_engine() is None:
        pytest.skip("no TeX engine (CI installs texlive + latexmk)")
    check(tmp_path, monkeypatch)
