"""Twin cells for name-shadowing tests: the same maths under other names.

A GRU-like and an LSTM-like user cell are built with :class:`symrnn.CellBuilder`
from a table of *slots* (one per name the cell declares, grouped by role);
:func:`build` takes renamings ``{slot: new name}``.  :func:`compare` runs a
renamed cell and its benign twin (default names) on the same numbers — random
parameters, inputs, initial states, output and final-state gradients, with and
without variable lengths — and returns the largest difference of outputs,
final states and every gradient (parameters, inputs, initial states).  The
generated code of the two kernels differs only in identifiers, so in float64
any difference above rounding means a user name changed what the code computes.

Shared by ``tests/test_codegen_names.py`` (the regression table) and
``tests/fuzz/test_fuzz_names.py``.
"""

from __future__ import annotations

import functools

import numpy as np

import symrnn
from symrnn import CellBuilder, sigmoid, tanh
from symrnn.codegen import KEYWORDS
from symrnn.codegen.naming import FIXED, TAGS
from symrnn.codegen.runtime import RUNTIME

ISSUE_INPUTS = ("np", "range", "t", "T", "B", "dt", "mask", "params", "init", "tape", "d_final", "grads",
                "p_W_f", "s_h", "g_h")
"""Input names that raised AttributeError / TypeError / IndexError / ValueError inside the kernel (issue 15)."""

ISSUE_SIZES = ("params", "description", "dtype", "hidden_size", "input_size")
"""Size names that clashed with compile()'s keywords (issue 15)."""

POOL = tuple(sorted({
    "out", "d_out", *ISSUE_INPUTS, *ISSUE_SIZES,
    *(f"{tag}_{target}" for tag in TAGS for target in ("x", "h")), "c0_z", "c1_h",  # derived names, no "_"
    *(name.lstrip("_") for name in (*FIXED, *RUNTIME)),  # fixed names and runtime helpers, no "_"
    "v_z", "p_W", "s_c_prev", "MT_c_prev", "d_a_z", "gp_p", "x0", "V", "t0",  # the old generator's and the tree stage's names
    "numpy", "sp", "len", "float", "sum", "abs", "print", "inf", "nan", "self", "sizes", "xs", "initial",
    "lengths", "d_outputs", "exec", "globals",
}))
"""Suspicious names: the issue's, every generated name without its leading underscore, builtins."""

assert not any(n + "_prev" in POOL for n in POOL), "a state named n would claim n_prev"

SLOTS = {  # every name a cell declares (but the builder's own a_* and *_prev), with its role
    "gru": {"x": "input", "h": "state", "W_z": "param", "U_z": "param", "b_z": "param", "W_r": "param",
            "U_r": "param", "b_r": "param", "W_n": "param", "U_n": "param", "b_n": "param", "z": "intermediate",
            "r": "intermediate", "rh": "intermediate", "n": "intermediate", "an": "linear", "D": "size", "H": "size"},
    "lstm": {"x": "input", "u": "input", "h": "state", "c": "state", "p_f": "param",
             **{f"{m}_{g}": "param" for g in "ifgo" for m in "WVUb"}, "i": "intermediate", "f": "intermediate",
             "g": "intermediate", "o": "intermediate", "ag": "linear", "D": "size", "E": "size", "H": "size"},
}
"""Slots of the two cells: inputs, states, parameters (matrix, vector, per-unit peephole ``p_f``),
intermediates, named linear stages and sizes."""

ROLES = ("input", "state", "param", "intermediate", "linear", "size")


def first_slot(kind: str, role: str) -> str:
    """The first slot of ``role`` in cell ``kind``."""
    return next(s for s, r in SLOTS[kind].items() if r == role)


def rotation(kind: str, shift: int, pool=POOL) -> dict:
    """Slot j of cell ``kind`` renamed to ``pool[(shift + j) % len(pool)]`` (names the cell already uses left out).

    Over ``shift = 0 .. len(pool) - 1`` every pool name takes every slot once.
    """
    taken = set(build(kind).declared) | {s.name for s in build(kind).sizes}
    names = [n for n in pool if n not in taken]
    return {slot: names[(shift + j) % len(names)] for j, slot in enumerate(SLOTS[kind])}

SIZES = {"gru": {"D": 2, "H": 2}, "lstm": {"D": 2, "E": 3, "H": 2}}


def build(kind: str, names: dict | None = None) -> symrnn.Cell:
    """The cell ``kind`` ("gru" or "lstm") with slots renamed by ``names``."""
    return _builder(kind, dict(names or {}))[1]()


def _builder(kind, names):
    n = lambda slot: names.get(slot, slot)  # noqa: E731
    b = CellBuilder(f"twin_{kind}")
    if kind == "gru":
        (D,), (H,) = b.sizes(n("D")), b.sizes(n("H"))  # one call per size: a name is never split
        x, h = b.input(n("x"), D), b.state(n("h"), H)
        W = {g: (b.param(n(f"W_{g}"), H, D), b.param(n(f"U_{g}"), H, H), b.param(n(f"b_{g}"), H)) for g in "zrn"}
        z = b.let(n("z"), sigmoid(W["z"][0] @ x + W["z"][1] @ h + W["z"][2]))
        r = b.let(n("r"), sigmoid(W["r"][0] @ x + W["r"][1] @ h + W["r"][2]))
        rh = b.let(n("rh"), r * h)  # reset before: a late linear stage reads it
        an = b.linear(W["n"][0] @ x + W["n"][1] @ rh + W["n"][2], n("an"))
        cand = b.let(n("n"), tanh(an))
        b.update(n("h"), (1 - z) * cand + z * h)
        return b, b.build
    (D,), (E,), (H,) = b.sizes(n("D")), b.sizes(n("E")), b.sizes(n("H"))
    x, u = b.input(n("x"), D), b.input(n("u"), E)
    h, c = b.state(n("h"), H), b.state(n("c"), H)
    P = {g: (b.param(n(f"W_{g}"), H, D), b.param(n(f"V_{g}"), H, E), b.param(n(f"U_{g}"), H, H),
             b.param(n(f"b_{g}"), H)) for g in "ifgo"}
    peep = b.param(n("p_f"), H)  # a per-unit parameter: its gradient is summed in the step loop
    pre = {g: P[g][0] @ x + P[g][1] @ u + P[g][2] @ h + P[g][3] for g in "ifo"}
    i = b.let(n("i"), sigmoid(pre["i"]))
    f = b.let(n("f"), sigmoid(b.linear(pre["f"]) + peep * c))
    ag = b.linear(P["g"][0] @ x + P["g"][1] @ u + P["g"][2] @ h + P["g"][3], n("ag"))
    g = b.let(n("g"), tanh(ag))
    o = b.let(n("o"), sigmoid(pre["o"]))
    c_new = b.update(n("c"), f * c + i * g)
    b.update(n("h"), o * tanh(c_new))  # tanh(c_t) is computed once in the forward pass and kept
    return b, functools.partial(b.build, output=n("h"))


def compile_cell(cell, sizes: dict):
    """``symrnn.compile`` with sizes named like a compile() keyword given in ``sizes=``."""
    reserved = {k: v for k, v in sizes.items() if k in KEYWORDS}
    plain = {k: v for k, v in sizes.items() if k not in KEYWORDS}
    return symrnn.compile(cell, sizes=reserved, **plain)


@functools.lru_cache(maxsize=None)
def _benign(kind):
    return compile_cell(build(kind), SIZES[kind])


def compare(kind: str, names: dict, *, seed: int = 0) -> float:
    """Largest |difference| between cell ``kind`` renamed by ``names`` and its benign twin.

    Forward (outputs, final states) and backward (every parameter, every input,
    every initial state) in float64, T = 2, B = 3, with and without lengths.
    """
    twin = _benign(kind)
    renamed = compile_cell(build(kind, names), {names.get(s, s): v for s, v in SIZES[kind].items()})
    new = lambda s: names.get(s, s)  # noqa: E731
    rng = np.random.default_rng(seed)
    params = {p: rng.uniform(-0.8, 0.8, a.shape) for p, a in twin.params.items()}
    twin.params = params
    renamed.params = {new(p): a for p, a in params.items()}
    T, B = 2, 3
    xs = {d: rng.standard_normal((T, B, twin.plan.n[d])) for d in twin.input_names}
    init = {s: rng.uniform(-1, 1, (B, twin.plan.n[s])) for s in twin.state_names}
    d_out = rng.standard_normal((T, B, twin.output_size))
    d_fin = {s: rng.standard_normal((B, twin.plan.n[s])) for s in twin.state_names}
    worst = 0.0
    for lengths in (None, np.array([2, 1, 2])):
        runs = []
        for k, rename in ((twin, lambda s: s), (renamed, new)):
            out, final, tape = k.forward({rename(d): v for d, v in xs.items()},
                                         {rename(s): v for s, v in init.items()}, lengths)
            grads = k.backward(tape, d_out, {rename(s): v for s, v in d_fin.items()})
            values = {"outputs": out, **{f"final {s}": final[rename(s)] for s in twin.state_names}}
            values.update({f"grad {g}": grads[rename(g)] for g in _grad_names(twin)})
            assert len(grads) == len(_grad_names(twin)), sorted(grads)
            runs.append(values)
        worst = max([worst] + [float(np.abs(runs[0][key] - runs[1][key]).max()) for key in runs[0]])
    return worst


def _grad_names(kernel):
    return list(kernel.params) + list(kernel.input_names) + list(kernel.state_names)
