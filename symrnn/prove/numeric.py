"""Numeric search for counterexamples with the reference evaluator.

Used when a symbolic check does not close: both descriptions run on the same
drawn parameters, inputs and initial states (through
:func:`symrnn.numeric.run`), at small sizes.  A difference is a concrete
counterexample (``refuted``); no difference in N examples is ``checked`` with
N — never ``proved``.  Examples are drawn with :mod:`symrnn.testing`'s
hypothesis strategies (deterministically: ``derandomize=True``); without
hypothesis installed, with a seeded NumPy generator of the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from ..numeric import run
from ..numeric.params import param_shapes, vector_sizes
from ..spec.parse import as_expr
from .normal_form import NormalForm

__all__ = ["PairDraw", "search_pair", "find_counterexample", "zero_out"]

TOL = 1e-7
"""Relative difference above which two evaluations differ (float64 round-off is ~1e-15)."""


def find_counterexample(strategy_fn: Callable, numpy_fn: Callable, differs: Callable, *, examples: int, seed: int = 0):
    """Draw up to ``examples`` cases; return ``(case, n_tried)`` with ``case`` None if none differs.

    ``strategy_fn()`` builds a hypothesis strategy of cases, ``numpy_fn(rng)``
    draws one case without hypothesis, ``differs(case)`` is the property.
    Hypothesis runs its generate phase only (derandomized, so runs repeat);
    callers simplify a found case themselves (see :func:`zero_out`), which is
    far cheaper than generic shrinking of many arrays.

    Examples
    --------
    >>> from hypothesis import strategies as st
    >>> case, n = find_counterexample(lambda: st.integers(0, 100), lambda rng: int(rng.integers(0, 101)),
    ...                               lambda k: k > 50, examples=100)
    >>> case > 50
    True
    """
    try:
        from hypothesis import HealthCheck, Phase, find, settings
        from hypothesis.errors import NoSuchExample
    except ImportError:
        rng = np.random.default_rng(seed)
        for k in range(examples):
            case = numpy_fn(rng)
            if differs(case):
                return case, k + 1
        return None, examples
    opts = settings(max_examples=examples, database=None, derandomize=True, deadline=None,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    tried = [0]

    def condition(case):
        tried[0] += 1
        return differs(case)

    try:
        return find(strategy_fn(), condition, settings=opts), tried[0]
    except NoSuchExample:
        return None, tried[0]


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
    """How to draw one shared example for two cells ``a`` and ``b`` (``a`` renamed into ``b``)."""

    nf_a: NormalForm
    b: object
    size_map: dict
    max_size: int = 2
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

    def strategy(self):
        from hypothesis import strategies as st

        from .. import testing

        @st.composite
        def build(draw):
            sb = draw(testing.sizes(self.b, max_value=self.max_size))
            sa = self.a_sizes(sb)
            return (sb, sa, draw(testing.params_for(self.b, sb)), draw(testing.params_for(self.a, sa)),
                    draw(testing.sequences(self.b, sb, length=self.length)), draw(testing.initial_states(self.b, sb)))

        return build()

    def numpy(self, rng):
        sb = {s.name: int(rng.integers(1, self.max_size + 1)) for s in self.b.sizes}
        sa = self.a_sizes(sb)

        def params(cell, sizes):
            return {k: rng.uniform(-2, 2, v) for k, v in param_shapes(cell, sizes).items()}

        nb = vector_sizes(self.b, sb)
        xs = {d.name: rng.uniform(-2, 2, (self.length, 1, nb[d.name])) for d in self.b.inputs}
        init = {d.name: rng.uniform(-1, 1, (1, nb[d.name])) for d in self.b.states}
        return sb, sa, params(self.b, sb), params(self.a, sa), xs, init

    def compare(self, case):
        """``None`` if both cells agree on ``case``, else the first difference (a dict)."""
        sb, sa, pb, extra, xs, init = case
        pa = self.a_params(pb, extra)
        name = self.nf_a.name
        xa = {d.name: xs[name(d.name)] for d in self.a.inputs}
        ia = {d.name: init[name(d.name)] for d in self.a.states}
        _, _, trace_a = run(self.a, pa, xa, ia)
        _, _, trace_b = run(self.b, pb, xs, init)
        for t, (va, vb) in enumerate(zip(trace_a, trace_b), start=1):
            for s in self.a.state_names:
                diff = np.max(np.abs(va[s] - vb[name(s)]))
                if not np.isfinite(diff) or diff > TOL * (1 + np.max(np.abs(vb[name(s)]))):
                    return {"step": t, "state": name(s), "left": va[s], "right": vb[name(s)],
                            "sizes": sb, "params": pb, "left_only_params": {k: v for k, v in extra.items() if self.nf_a.rename.get(k, k) not in pb
                                                 and isinstance(self.nf_a.rename.get(k, k), str)},
                            "inputs": {k: v[:t] for k, v in xs.items()}, "initial": init}
        return None


def search_pair(draw: PairDraw, *, examples: int = 40, seed: int = 0):
    """Run :func:`find_counterexample` for two cells; returns ``(difference or None, n)``.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.prove.normal_form import NormalForm
    >>> gru = symrnn.cell("gru_reset_before").substitute({"r": 1})
    >>> nf = NormalForm(gru, {"W_n": "W", "U_n": "U", "b_n": "b"})
    >>> diff, n = search_pair(PairDraw(nf, symrnn.cell("rnn"), {}))
    >>> diff["state"], bool(abs(diff["left"] - diff["right"]).max() > 0)
    ('h', True)
    """
    differs = lambda c: draw.compare(c) is not None  # noqa: E731
    case, n = find_counterexample(draw.strategy, draw.numpy, differs, examples=examples, seed=seed)
    if case is None:
        return None, n
    return draw.compare(zero_out(case, differs, keys=(2, 3, 4, 5))), n
