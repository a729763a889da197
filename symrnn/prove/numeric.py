"""Numeric search for counterexamples, and the cross-examination of proofs.

Both run the plain reference evaluator (:func:`symrnn.numeric.run`), which
interprets the descriptions and shares no code with the normal forms:

* **search** (when a symbolic check does not close): both cells run on the
  same drawn parameters, inputs and initial states, at small sizes.  A float64
  difference above round-off is re-checked at 60 digits
  (:mod:`symrnn.prove.exact`); only a difference that survives is a
  counterexample (``refuted``).  When float64 finds nothing, the first few
  draws are run again at 60 digits, which finds differences far below float
  round-off (a ``1e-9·x`` term).  No difference in N examples is ``checked``
  with N — never ``proved``.
* **cross-examination** (before a ``proved`` is reported): the same
  comparison at two sizes (every size 2, then every size 5), states *and*
  outputs over several steps.  A confirmed difference means the prover is
  wrong; the verdict becomes ``error``.

Draws are seeded from the running theorem (:func:`symrnn.prove.context.rng`),
so verdicts repeat exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from ..numeric import run
from ..numeric.params import param_shapes, vector_sizes
from ..errors import SpecError
from ..spec.parse import as_expr
from . import exact
from .context import rng as seeded_rng
from .normal_form import NormalForm

__all__ = ["PairDraw", "search_pair", "cross_examine_pair", "find_counterexample", "zero_out", "draw_values",
           "CANDIDATE", "PRECISE_DRAWS"]

CANDIDATE = 1e-12
"""Relative float64 difference above which a case is re-checked at 60 digits (round-off is ~1e-15)."""

PRECISE_DRAWS = 6
"""Draws evaluated again at 60 digits when float64 finds no candidate."""


def draw_values(rng: np.random.Generator, shape, scale: float = 2.0) -> np.ndarray:
    """Random reals in [−scale, scale], some entries exactly 0 or ±1 (edge cases of gates)."""
    a = rng.uniform(-scale, scale, shape)
    if a.size and rng.random() < 0.3:
        mask = rng.random(a.shape) < 0.25
        a[mask] = rng.choice([0.0, 1.0, -1.0], size=int(mask.sum()))
    return a


def find_counterexample(draw: Callable, differs: Callable, *, examples: int, purpose: Sequence = ()):
    """Draw up to ``examples`` cases with a seeded generator; ``(case, n_tried)``, ``case`` None if none differs.

    ``draw(rng)`` builds one case, ``differs(case)`` is the property.  The
    generator is seeded from the running theorem and ``purpose``
    (:func:`symrnn.prove.context.rng`): the same theorem draws the same cases
    on every run.

    Examples
    --------
    >>> case, n = find_counterexample(lambda rng: int(rng.integers(0, 101)), lambda k: k > 50, examples=100)
    >>> case > 50
    True
    """
    rng = seeded_rng("find_counterexample", *purpose)
    for k in range(examples):
        case = draw(rng)
        if differs(case):
            return case, k + 1
    return None, examples


def zero_out(case, differs: Callable, keys: Sequence[int]):
    """Greedy simplification of a counterexample while ``differs`` stays true.

    For the dicts of arrays ``case[k]``: set whole arrays to 0, then single
    entries to 0, then round what is left to one decimal.

    Examples
    --------
    >>> case = ({"a": np.array([0.123, 2.345])},)
    >>> zero_out(case, lambda c: c[0]["a"][1] > 1, keys=(0,))[0]["a"]
    array([0. , 2.3])
    """
    case = tuple(case)

    def attempt(k, name, value):
        nonlocal case
        trial = list(case)
        trial[k] = dict(case[k])
        trial[k][name] = value
        if differs(tuple(trial)):
            case = tuple(trial)

    for k in keys:
        for name in list(case[k]):
            attempt(k, name, np.zeros_like(case[k][name]))
    for k in keys:
        for name in list(case[k]):
            for idx in zip(*np.nonzero(case[k][name])):
                value = case[k][name].copy()
                value[idx] = 0.0
                attempt(k, name, value)
    for k in keys:
        for name in list(case[k]):
            attempt(k, name, np.round(case[k][name], 1))
    return case


@dataclass
class PairDraw:
    """How to draw one shared example for two cells ``a`` and ``b`` (``a`` renamed into ``b``).

    ``compare`` checks every state and the output of both cells at every
    step; the output of ``a`` is compared with the output of ``b``.
    """

    nf_a: NormalForm
    b: object
    size_map: dict
    max_size: int = 3
    length: int = 3

    @property
    def a(self):
        return self.nf_a.cell

    def a_sizes(self, b_sizes: dict) -> dict:
        out = {}
        for s in self.a.sizes:
            if s.name in self.size_map:
                e = as_expr(self.size_map[s.name], argument=f"sizes[{s.name!r}]")
                out[s.name] = int(e.xreplace({f: b_sizes[f.name] for f in e.free_symbols}))
            elif s.name in b_sizes:
                out[s.name] = b_sizes[s.name]
            else:
                out[s.name] = 1
        return out

    def a_params(self, pb: dict, extra: dict) -> dict:
        out = {}
        for p in self.a.params:
            value = self.nf_a.rename.get(p.name, p.name)
            if isinstance(value, str):
                out[p.name] = pb[value] if value in pb else extra[p.name]
            else:
                names = sorted(s.name for s in value.free_symbols)
                fn = sp.lambdify([sp.Symbol(n, real=True) for n in names], value, "numpy")
                out[p.name] = np.broadcast_to(fn(*(pb[n] for n in names)), extra[p.name].shape).copy()
        return out

    @property
    def graph(self) -> bool:
        return self.a.is_graph or self.b.is_graph

    def draw(self, rng, sizes: dict | None = None, batch: int = 1):
        """One case ``(b sizes, a sizes, b params, a-only params, inputs, initial states, graph operators)``.

        For graph descriptions a random graph is drawn (undirected when an
        operator needs it); each cell reads it with its own fixed options, and
        rows are its nodes (and edges, pairs) instead of a batch.
        """
        sb = sizes or {s.name: int(rng.integers(1, self.max_size + 1)) for s in self.b.sizes}
        sa = self.a_sizes(sb)
        scale = float(rng.choice([1.0, 2.0, 4.0]))

        def params(cell, sz):
            return {k: draw_values(rng, v, scale) for k, v in param_shapes(cell, sz).items()}

        nb = vector_sizes(self.b, sb)
        ops = self._operators(rng) if self.graph else None
        rows = (lambda name: batch) if ops is None else (lambda name: ops[1].rows(self.b.space(name)))  # noqa: E731
        xs = {d.name: draw_values(rng, (self.length, rows(d.name), nb[d.name])) for d in self.b.inputs}
        init = {d.name: draw_values(rng, (rows(d.name), nb[d.name]), 1.0) for d in self.b.states}
        return sb, sa, params(self.b, sb), params(self.a, sa), xs, init, ops

    def _operators(self, rng):
        """One random graph, read by each cell with its own options: ``(operators of a, operators of b)``."""
        from ..graphs.operators import GraphOperators
        from ..testing.graphs import random_graph

        from .equivariance import UNDIRECTED

        undirected = any(t.operator in UNDIRECTED for c in (self.a, self.b)
                         for eq in c.equations if eq.is_linear for t in c.terms(eq.target))
        G = random_graph(rng, min_nodes=2, max_nodes=6, directed=not undirected)
        n = G.number_of_nodes()
        pairs = rng.integers(0, n, size=(2, int(rng.integers(1, 2 * n + 1))))
        edge_a = [d for d in self.a.inputs if self.a.space(d.name) == "edge"]
        if edge_a and dict(self.a.graph).get("edges") != dict(self.b.graph).get("edges"):
            raise SpecError(f"{self.a.name!r} and {self.b.name!r} read edge inputs over different edge sets; "
                            "they cannot be compared row by row")
        return GraphOperators(G, pairs=pairs, **dict(self.a.graph)), GraphOperators(G, pairs=pairs, **dict(self.b.graph))

    def _arguments(self, case):
        sb, sa, pb, extra, xs, init, _ = case
        name = self.nf_a.name
        pa = self.a_params(pb, extra)
        xa = {d.name: xs[name(d.name)] for d in self.a.inputs}
        ia = {d.name: init[name(d.name)] for d in self.a.states}
        return (pa, xa, ia), (pb, xs, init)

    def _pairs(self):
        """(label, name in a, name in b) of every compared vector: each state, then the output."""
        name = self.nf_a.name
        out = [(s, s, name(s)) for s in self.a.state_names]
        return out + [("output", self.a.output, self.b.output)]

    def traces(self, case, *, precise: bool = False):
        """Per-step values of ``a`` and ``b`` on ``case`` (float64, or 60 digits)."""
        (pa, xa, ia), (pb, xb, ib) = self._arguments(case)
        ops = case[6] or (None, None)
        if precise:
            return exact.run_mp(self.a, pa, xa, ia, ops[0]), exact.run_mp(self.b, pb, xb, ib, ops[1])
        with np.errstate(all="ignore"):
            if case[6] is not None:  # graph descriptions: the plain loop over steps with the graph's operators
                return _graph_run(self.a, pa, xa, ia, ops[0]), _graph_run(self.b, pb, xb, ib, ops[1])
            return run(self.a, pa, xa, ia)[2], run(self.b, pb, xb, ib)[2]

    def _first_difference(self, trace_a, trace_b, precise: bool):
        measure, tolerance = (exact.max_difference, exact.TIE) if precise else (_float_diff, CANDIDATE)
        for t, (va, vb) in enumerate(zip(trace_a, trace_b), start=1):
            for label, sa, sb in self._pairs():
                absolute, relative = measure(va[sa], vb[sb])
                if not relative <= tolerance:
                    return t, label, sa, sb, absolute
        return None

    def float_candidate(self, case) -> bool:
        """Whether float64 sees a difference above round-off on ``case`` (not yet a counterexample)."""
        ta, tb = self.traces(case)
        return self._first_difference(ta, tb, False) is not None

    def compare(self, case, *, precise: bool = False):
        """``None`` if both cells agree on ``case``, else the first difference (a dict).

        A float64 candidate is re-checked at 60 digits; the returned dict
        holds the 60-digit values and ``difference`` (their largest absolute
        difference, as a string).
        """
        if not precise and not self.float_candidate(case):
            return None
        ta, tb = self.traces(case, precise=True)
        found = self._first_difference(ta, tb, True)
        if found is None:
            return None
        t, label, sa, sb, absolute = found
        sizes_b, _, pb, extra, xs, init, ops = case
        return {"step": t, "state": label if label != "output" else f"output ({sa} vs {sb})",
                "left": exact.as_float(ta[t - 1][sa]), "right": exact.as_float(tb[t - 1][sb]),
                "difference": _text(absolute), "sizes": sizes_b, "params": pb,
                "left_only_params": {k: v for k, v in extra.items() if self.nf_a.rename.get(k, k) not in pb
                                     and isinstance(self.nf_a.rename.get(k, k), str)},
                "inputs": {k: v[:t] for k, v in xs.items()}, "initial": init,
                **({} if ops is None else {"graph_edges": np.stack([ops[1].src, ops[1].dst]).tolist(),
                                           "nodes": ops[1].graph.num_nodes})}


def _graph_run(cell, params, xs, initial, operators):
    """Per-step values of a graph description over (T, rows, n) inputs, read with ``operators``."""
    from ..numeric import step

    T = next(iter(xs.values())).shape[0] if xs else 1
    state = {d.name: initial[d.name] for d in cell.states}
    trace = []
    for t in range(T):
        vals = step(cell, params, {k: v[t] for k, v in xs.items()}, state, operators=operators)
        state = {d.name: vals[d.name] for d in cell.states}
        trace.append(vals)
    return trace


def _float_diff(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return np.inf, np.inf
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return np.inf, np.inf
    d = float(np.max(np.abs(a - b))) if a.size else 0.0
    return d, d / (1.0 + (float(np.max(np.abs(b))) if b.size else 0.0))


def _text(value) -> str:
    import mpmath

    return mpmath.nstr(value, 6) if isinstance(value, mpmath.mpf) else f"{float(value):.6g}"


def search_pair(draw: PairDraw, *, examples: int = 40, seed: int = 0):
    """Look for a counterexample to "``a`` (renamed) equals ``b``"; ``(difference or None, n)``.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.prove.normal_form import NormalForm
    >>> gru = symrnn.cell("gru_reset_before").substitute({"r": 1})
    >>> nf = NormalForm(gru, {"W_n": "W", "U_n": "U", "b_n": "b"})
    >>> diff, n = search_pair(PairDraw(nf, symrnn.cell("rnn"), {}))
    >>> diff["state"], float(diff["difference"]) > 0
    ('h', True)
    """
    purpose = ("pair", draw.a.name, draw.b.name, seed)
    rng = seeded_rng(*purpose)
    cases = [draw.draw(rng) for _ in range(examples)]
    for case in cases:
        if draw.float_candidate(case) and draw.compare(case) is not None:
            # simplify in float64 (cheap), then confirm the simplified case at 60 digits
            small = zero_out(case, draw.float_candidate, keys=(2, 3, 4, 5))
            return draw.compare(small) or draw.compare(case), examples
    for case in cases[:PRECISE_DRAWS]:  # float64 saw nothing: look again at 60 digits, below float round-off
        found = draw.compare(case, precise=True)
        if found is not None:
            return found, examples
    return None, examples


def cross_examine_pair(draw: PairDraw, *, sizes=(2, 5), seeds: int = 2, length: int = 4, batch: int = 2):
    """Cross-examine a proof that ``a`` equals ``b``: ``(difference or None, summary line)``.

    Every size of ``b`` is set to each value of ``sizes`` in turn (``a``'s
    follow through the size map); parameters, inputs and initial states are
    drawn; all states and the outputs are compared at every one of
    ``length`` steps, in float64 with a 60-digit re-check of any candidate.
    """
    rng = seeded_rng("cross", draw.a.name, draw.b.name)
    old = draw.length
    draw.length = length
    try:
        worst, n = 0.0, 0
        for size in sizes:
            for _ in range(seeds):
                case = draw.draw(rng, sizes={s.name: size for s in draw.b.sizes}, batch=batch)
                diff = draw.compare(case)
                if diff is not None:
                    return diff, ""
                ta, tb = draw.traces(case)
                for va, vb in zip(ta, tb):
                    for _, sa, sb in draw._pairs():
                        worst = max(worst, _float_diff(va[sa], vb[sb])[0])
                n += 1
    finally:
        draw.length = old
    line = (f"cross-examined with the reference evaluator (symrnn.numeric.run): {n} random cases at sizes "
            f"{' and '.join(str(s) for s in sizes)}, {length} steps, batch {batch}: every state and the output "
            f"agree (largest float64 difference {worst:.1e})")
    return None, line
