"""Fuzz: LaTeX payloads in every text field, output targets, complex/NaN/str inputs of trees and graphs (issue 15).

Categories:

* **text fields** — random strings rich in TeX's specials and primitives as a
  cell's reference and summary, a tree model's, a theorem's statement and
  references: the document holds them only through ``tex_escape``, whose
  output TeX reads as characters (a property stated here, not imported); a
  few are built into PDFs, which must show the marker and never the sentinel;
* **latex= strings** — random token strings in every ``latex=`` of a cell:
  refused, or free of every file, catcode, read/write and definition
  primitive (an independent deny-list); a few accepted ones are compiled;
* **output targets** — FIFOs, links to /dev/null, read-only and writable
  files of several modes, links, directories: ``atomic_write`` refuses or
  writes, and the file system says which (a FIFO stays a FIFO, a mode stays);
* **tree and graph inputs** — one entry of a parameter, feature or option
  replaced by NaN, infinities, complex numbers, text, None, bools, objects:
  refused with a ``SymrnnError``, or (a real number) the same result as the
  clean float input; anything else is a silent difference.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import stat
import tempfile
from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np
from hypothesis import given, strategies as st

import round2_latex as tex  # tests/round2_latex.py: the PDF extractor and the documents of every text field
from symrnn import _io, graphs, trees
from symrnn._latex_engine import compile_tex, tex_engine
from symrnn.spec.latex import tex_escape

from .conftest import SILENT, TALLY, call, fuzz

# ----------------------------------------------------------------------------- text fields
TEX_TOKENS = [r"\input", r"\include", r"\openin", r"\read", r"\write", r"\catcode", r"\def", r"\let", r"\csname",
              r"\endcsname", r"\usepackage", r"\special", r"\immediate", r"\makeatletter", r"\@", r"\string", "^^5c",
              "^^", "$", "$$", "#", "%", "&", "~", "_", "^", "{", "}", "\\", "\\\\", r"\par", r"\end{document}",
              r"\begin{x}", "\n", "\n\n", "\x00", "\x7f", "\t", "\r", "中", "é", "≤", "⊙", "\ud800", "/etc/passwd",
              "{/etc/passwd}", r"\mathbf", r"\tilde", r"\alpha", r"\left(", r"\right)", "x", "h", " ", "[", "]",
              "*", "'", "<", ">", "|", '"', "`", "--"]
payloads = st.lists(st.one_of(st.sampled_from(TEX_TOKENS), st.text(max_size=3)), max_size=12).map("".join)

_PRINTING = re.compile(r"\\(textbackslash|textasciitilde|textasciicircum|textless|textgreater|textbar)\{\}"
                       r"|\\[&%$#_{}]|\\~\{\}|\\\^\{c\}"
                       r"|\\\((\\[a-z]+)\\\)")
"""What escaped text may contain that starts with a backslash: commands that print one character."""


def _reads_as_characters(escaped: str) -> bool:
    rest = _PRINTING.sub("", escaped)
    return not (set(rest) & set("\\$#%&~^_{}\n\r\t\x00\x7f")) and all(" " <= c < "\x7f" or "\xa0" <= c <= "\xff"
                                                                         for c in rest)


@fuzz(1.5)
@given(text=payloads)
def test_escaped_text_reads_as_characters(text):
    TALLY["cases"] += 1
    escaped = call(tex_escape, text)
    assert escaped is not None and _reads_as_characters(escaped), (text, escaped)


@fuzz(0.5)
@given(text=payloads, field=st.sampled_from(sorted(tex.DOCUMENTS)))
def test_text_fields_reach_documents_only_escaped(text, field):
    """The document with the payload is the document with the bare marker, the escaped payload after it."""
    TALLY["cases"] += 1
    source = call(tex.DOCUMENTS[field], text)
    bare = tex.DOCUMENTS[field]("")
    escaped = tex_escape(f"{tex.MARKER} {text}")
    assert source is not None and source.count(escaped) >= 1 and bare.count(tex.MARKER) == source.count(tex.MARKER)
    assert source.replace(escaped, tex_escape(f"{tex.MARKER} ")) == bare, (field, text)


@functools.lru_cache(maxsize=1)
def _secret() -> Path:
    directory = tempfile.mkdtemp(prefix="symrnn-fuzz-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return tex.secret_file(Path(directory))


@fuzz(0.02)
@given(text=payloads, field=st.sampled_from(sorted(tex.DOCUMENTS)))
def test_text_field_pdfs_never_show_the_sentinel(text, field):
    TALLY["cases"] += 1
    if tex_engine() is None:
        return
    payload = text + rf" \input{{{_secret()}}} $\input{{{_secret()}}}$"
    pdf = call(compile_tex, tex.DOCUMENTS[field](payload))
    assert pdf is not None, (field, text)  # escaped text always builds
    shown = tex.pdf_text(pdf)
    assert tex.MARKER in shown and tex.SECRET not in shown, (field, text)


# ----------------------------------------------------------------------------- latex= strings
DENIED = (r"\input", r"\include", r"\openin", r"\openout", r"\read", r"\write", r"\catcode", r"\def", r"\edef",
          r"\gdef", r"\let", r"\csname", r"\usepackage", r"\special", r"\immediate", r"\makeatletter", r"\string",
          r"\begin", r"\end", r"\par", "^^", "$", "#", "%", "&", "~", "\n", "\\\\")
MATH_TOKENS = [r"\mathbf{h}", r"\tilde{", r"\alpha", r"\odot", r"\left(", r"\right)", r"\frac{1}{2}", "_{", "^{", "}",
               "{", "x", "t", "-", "+", " ", r"\,", r"\{", r"\}", "[", "]", "'", r"\overleftarrow{"]
latex_strings = st.lists(st.sampled_from(MATH_TOKENS + TEX_TOKENS), max_size=8).map("".join)


@fuzz(1.0)
@given(text=latex_strings, role=st.sampled_from(sorted(tex.ROLES)))
def test_latex_arguments_are_refused_or_harmless(text, role):
    TALLY["cases"] += 1
    cell = call(tex.gated_cell, role, text)
    if cell is not None:
        assert not any(d in text for d in DENIED), text
        assert all(" " <= c < "\x7f" for c in text), text
        assert call(cell.latex) is not None


@fuzz(0.02)
@given(text=st.lists(st.sampled_from(MATH_TOKENS), max_size=8).map("".join), role=st.sampled_from(sorted(tex.ROLES)))
def test_accepted_latex_builds_or_fails_cleanly(text, role):
    TALLY["cases"] += 1
    cell = call(tex.gated_cell, role, text, summary=tex.MARKER)
    if cell is None or tex_engine() is None:
        return
    from symrnn.derive import derivation_document

    pdf = call(compile_tex, derivation_document(cell, "tex"), timeout=60)  # a LaTeX error is a LatexError
    if pdf is not None:
        assert tex.MARKER in tex.pdf_text(pdf)


# ----------------------------------------------------------------------------- output targets
def _make(kind: str, d: Path) -> Path:
    path = d / "out.md"
    if kind.startswith("file"):
        path.write_text("old")
        path.chmod(int(kind[4:], 8))
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "devnull":
        path.symlink_to(os.devnull)  # a link: a regression would replace the link, never the device
    elif kind == "link":
        (d / "real.md").write_text("old")
        path.symlink_to(d / "real.md")
    elif kind == "dangling":
        path.symlink_to(d / "nowhere.md")
    elif kind == "dir":
        path.mkdir()
    elif kind == "through_file":
        (d / "f").write_text("old")
        return d / "f" / "out.md"
    elif kind == "missing_dir":
        return d / "missing" / "out.md"
    return path


def _state(d: Path) -> dict:
    out = {}
    for p in sorted(d.rglob("*")):
        st_ = p.lstat()
        body = p.read_bytes() if stat.S_ISREG(st_.st_mode) else None
        out[str(p.relative_to(d))] = (stat.S_IFMT(st_.st_mode), stat.S_IMODE(st_.st_mode), body,
                                      os.readlink(p) if p.is_symlink() else None)
    return out


KINDS = ["file0644", "file0600", "file0640", "file0755", "file0444", "file0400", "file0500", "file0000", "fifo",
         "devnull", "link", "dangling", "dir", "through_file", "missing_dir", "new"]


@fuzz(1.0)
@given(kind=st.sampled_from(KINDS), data=st.one_of(st.text(max_size=20), st.binary(max_size=20), st.none(), st.just(3)))
def test_output_targets_stay_what_they_are(kind, data):
    TALLY["cases"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        target = _make(kind, d)
        before = _state(d)
        written = call(_io.atomic_write, target, data)
        after = _state(d)
        if written is None:  # refused: nothing changed, nothing left behind
            assert after == before, (kind, data)
            return
        assert isinstance(data, (str, bytes)) and kind in ("file0644", "file0600", "file0640", "file0755", "link",
                                                           "dangling", "new"), (kind, data)
        real = Path(os.path.realpath(target))
        expected = data if isinstance(data, bytes) else data.encode("utf-8")
        assert real.read_bytes() == expected
        if kind.startswith("file"):
            assert stat.S_IMODE(real.stat().st_mode) == int(kind[4:], 8)
        if kind in ("link", "dangling"):
            assert target.is_symlink()
        assert set(after) == set(before) | ({str(real.relative_to(d))} if kind in ("dangling", "new") else set())


# ----------------------------------------------------------------------------- tree and graph inputs
REALS = [0.5, -2, True, np.float32(1.5), np.int64(3), Fraction(1, 4)]
NOT_REAL = [np.nan, np.inf, -np.inf, 1j, 1 + 0j, np.complex128(1 + 2j), "1.5", "a", b"1", None, object(), [1.0],
            1e308 * 10]
bad_or_real = st.sampled_from(REALS + NOT_REAL)


def _corrupt(a: np.ndarray, value, where: int, container: str):
    """``a`` with entry ``where`` (flat) replaced by ``value``, as a list, an object array or (complex) a complex array."""
    out = a.astype(object)
    out.flat[where % out.size] = value
    if container == "list":
        return out.tolist()
    if container == "complex" and isinstance(value, (complex, np.complexfloating)):
        return out.astype(complex)
    return out


def _clean(a: np.ndarray, value, where: int):
    """A thunk: ``a`` with the entry set to ``float(value)`` (called only when ``value`` is a real number)."""
    def build():
        out = a.copy()
        out.flat[where % out.size] = float(value)
        return out

    return build


def _same(got, want) -> float:
    if isinstance(got, dict):
        return max(_same(got[k], want[k]) for k in want)
    return float(np.max(np.abs(np.asarray(got) - np.asarray(want)))) if np.size(want) else 0.0


def _check(kind: str, run, value, corrupted, clean):
    """Refused, or (a real number) equal to the clean float input's result; else a silent difference."""
    out = call(run, corrupted)
    if out is None:
        return
    if not any(value is r for r in REALS):
        SILENT.append(f"{kind}: {value!r} accepted")
        raise AssertionError(f"{kind}: {value!r} accepted")
    diff = _same(out, run(clean()))
    if diff > 0:
        SILENT.append(f"{kind}: {value!r} gives a result {diff:.3g} away from its float")
        raise AssertionError(f"{kind}: {value!r} differs by {diff}")


@functools.lru_cache(maxsize=None)
def _tree_setup(name):
    model = {"child_sum": trees.child_sum_tree_lstm, "nary": lambda: trees.nary_tree_lstm(2)}[name]()
    k = trees.compile_tree(model, D=2, H=3)
    G = nx.DiGraph([(0, 1), (0, 2)])
    if name == "nary":
        nx.set_edge_attributes(G, {(0, 1): 0, (0, 2): 1}, "position")
    nx.set_node_attributes(G, {v: np.linspace(-1, 1, 2) * (v + 1) for v in G}, "x")
    return k, k.init_params(rng=0), G


@fuzz(1.0)
@given(name=st.sampled_from(["child_sum", "nary"]), value=bad_or_real, where=st.integers(0, 100),
       container=st.sampled_from(["list", "object", "complex"]), what=st.sampled_from(["param", "feature", "grad"]))
def test_tree_inputs(name, value, where, container, what):
    TALLY["cases"] += 1
    k, p, G = _tree_setup(name)
    pname = sorted(p)[where % len(p)]
    if what == "param":
        def run(v):
            return k.forward({**p, pname: v}, G).states

        _check(f"tree {what}", run, value, _corrupt(p[pname], value, where, container), _clean(p[pname], value, where))
    elif what == "feature":
        def run(v):
            H = G.copy()
            H.nodes[1]["x"] = v
            return k.forward(p, H).states

        x = G.nodes[1]["x"]
        _check(f"tree {what}", run, value, _corrupt(x, value, where, container), _clean(x, value, where))
    else:
        tape = k.forward(p, G)
        g = np.ones((3, 3))

        def run(v):
            return k.backward(tape, {"h": v})

        _check(f"tree {what}", run, value, _corrupt(g, value, where, container), _clean(g, value, where))


_GRAPH = nx.Graph([(0, 1, {"weight": 0.5}), (1, 2, {"weight": 2.0}), (2, 3, {"weight": 1.0}), (3, 0, {"weight": 1.5})])
_X = np.linspace(-1, 1, 8).reshape(4, 2)
_LAYERS = {
    "gcn": (lambda X, W, b, **o: graphs.gcn(_GRAPH, X, W, b, **o), np.full((2, 3), 0.3), np.zeros(3)),
    "cheb": (lambda X, W, b, **o: graphs.cheb(_GRAPH, X, W, b, **o), np.full((2, 2, 3), 0.3), np.zeros(3)),
    "gat": (lambda X, W, b, **o: graphs.gat(_GRAPH, X, W, np.full((1, 3), 0.2), np.full((1, 3), -0.1), b, **o),
            np.full((2, 3), 0.3), np.zeros(3)),
}
_OPTIONS = {"gcn": ("add_self_loops", "improved", "normalize"), "cheb": ("lambda_max",),
            "gat": ("negative_slope", "concat", "add_self_loops")}


@fuzz(1.0)
@given(layer=st.sampled_from(sorted(_LAYERS)), value=bad_or_real, where=st.integers(0, 100),
       container=st.sampled_from(["list", "object", "complex"]), what=st.sampled_from(["X", "W", "b", "option"]))
def test_graph_inputs(layer, value, where, container, what):
    TALLY["cases"] += 1
    fn, W, b = _LAYERS[layer]
    arrays = {"X": _X, "W": W, "b": b}
    if what == "option":
        option = _OPTIONS[layer][where % len(_OPTIONS[layer])]
        out = call(fn, _X, W, b, **{option: value})
        flag = option not in ("negative_slope", "lambda_max")
        ok = isinstance(value, bool) if flag else (any(value is r for r in REALS) and not isinstance(value, bool)
                                                     and not isinstance(value, Fraction))
        if option == "lambda_max" and ok:
            ok = float(value) > 0
        if out is not None and not ok:
            SILENT.append(f"{layer}({option}={value!r}) accepted")
            raise AssertionError(f"{layer}({option}={value!r}) accepted")
        return

    def run(v):
        return fn(**{**arrays, what: v})

    a = arrays[what]
    _check(f"{layer} {what}", run, value, _corrupt(a, value, where, container), _clean(a, value, where))


@fuzz(0.2)
@given(edges=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=14),
       heads=st.integers(1, 2), concat=st.booleans(), loops=st.booleans())
def test_gat_on_edge_lists_with_repeats_matches_pyg(edges, heads, concat, loops):
    """Random edge lists, repeats and self-loops included: GAT equals PyG's GATConv (a silent difference otherwise)."""
    TALLY["cases"] += 1
    try:
        import torch
        from torch_geometric.nn import GATConv
    except ImportError:  # pragma: no cover - CI installs the oracles
        return
    from symrnn.interop import edge_index_to_graph, gat_params

    ei = np.array(edges).T
    torch.manual_seed(len(edges))
    conv = GATConv(2, 2, heads=heads, concat=concat, add_self_loops=loops).double()
    p = gat_params(conv)
    X = np.linspace(-1, 1, 10).reshape(5, 2)
    Y = call(graphs.gat, edge_index_to_graph(ei, num_nodes=5), X, p["W"], p["att_src"], p["att_dst"], p["b"],
             concat=concat, add_self_loops=loops)
    ref = conv(torch.from_numpy(X), torch.from_numpy(ei)).detach().numpy()
    diff = float(np.max(np.abs(Y - ref)))
    if diff > 1e-10:
        SILENT.append(f"GAT on edges {edges} (heads={heads}, concat={concat}, loops={loops}) differs by {diff:.3g}")
        raise AssertionError(diff)
