"""Gradient flow: ∂h_T/∂h_{T−k} as a product of local Jacobians, the derived norm bound, the figure.

For a cell with states ``s¹ … sᵐ`` the step Jacobian is the block matrix
``J_t = [∂sⁱ_t/∂sʲ_{t−1}]`` and ``∂S_T/∂S_{T−k} = J_T J_{T−1} ⋯ J_{T−k+1}``;
``∂h_T/∂h_{T−k}`` is its (h, h) block.  The bound of a Jacobian that is a sum
``Σ_k Diag(d_k) P_k`` is derived, not typed: ‖Diag(d) P‖ ≤ sup|d| ‖P‖, with
sup|d| computed by SymPy over the range of the activations the per-unit
expression reads (tanh ∈ (−1, 1) gives sup|1 − h²| = 1).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import sympy as sp
from sympy.calculus.util import maximum, minimum

from ..spec.cell import PREV
from ..spec.symbols import FUNCTIONS
from .jacobian import as_cell, jacobian
from .latexing import total_latex, unit_latex
from .numeric import check_sequence, forward_values, size_map
from .structured import Diag, Mat

__all__ = ["Bound", "jacobian_bound", "state_jacobian", "gradient_norms", "gradient_flow", "vanishing_gradient_figure",
           "CURVES"]


@dataclass(frozen=True)
class Bound:
    """‖∂of/∂wrt‖ ≤ Σ_k sup|d_k| ‖P_k‖, one ``(d_k, sup|d_k|, P_k)`` per term, with the ranges used."""

    of: str
    wrt: str
    terms: tuple
    ranges: tuple

    @property
    def factor(self) -> dict:
        """``{matrix name: sup|d|}`` (the bound is ``Σ factor[P] ‖P‖``)."""
        return {p: s for _, s, p in self.terms}

    def latex(self, cell) -> list[str]:
        """The derivation as display lines."""
        from ..spec.latex import vector_latex

        norm = rf"\left\|{total_latex(cell, self.of, self.wrt)}\right\|"
        sup_forms = " + ".join(rf"\sup\left|{unit_latex(cell, d)}\right| \, \|{vector_latex(cell, p)}\|"
                               for d, _, p in self.terms)
        values = " + ".join((rf"\|{vector_latex(cell, p)}\|" if s == 1 else rf"{sp.latex(s)} \, \|{vector_latex(cell, p)}\|")
                            for _, s, p in self.terms)
        ranges = r",\quad ".join(rf"{vector_latex(cell, n)} \in {sp.latex(iv)}" for n, iv in self.ranges)
        names = r",\ ".join(n for n in (_derivative_name(cell, d) for d, _, _ in self.terms) if n)
        lines = [rf"{norm} &\le {sup_forms} && \text{{(}}\|\operatorname{{diag}}(\mathbf{{d}})\,\mathbf{{P}}\| \le \max_k |d_k|\,\|\mathbf{{P}}\|\text{{)}}"]
        lines.append(rf"&= {values} && \text{{(}}{ranges}\text{{)}}" if ranges else rf"&= {values}")
        if names:
            lines.insert(1, rf"& && \text{{(}}{names}\text{{)}}")
        return lines


def _derivative_name(cell, d) -> str:
    """``1 - h_t^2 = \\tanh'(a_{h,t})`` when ``d`` is the table's derivative of the activation defining its variable."""
    from ..spec.latex import vector_latex

    syms = list(d.free_symbols)
    if len(syms) != 1 or cell.role(syms[0].name) not in ("state", "intermediate"):
        return ""
    eq = cell.equation(syms[0].name)
    if eq.is_linear or type(eq.expr) not in FUNCTIONS:
        return ""
    row = FUNCTIONS[type(eq.expr)]
    if sp.expand(row.derivative(syms[0], eq.expr.args[0]) - d) != 0:
        return ""
    arg = unit_latex(cell, eq.expr.args[0])
    return rf"{unit_latex(cell, d)} = {row.latex}'\left({arg}\right)"


def _range(cell, name):
    """The open range of a vector defined as ``f(a)`` with ``f`` in the activation table, else None."""
    if cell.role(name) not in ("state", "intermediate"):
        if cell.role(name) == "previous":
            return _range(cell, name[: -len(PREV)])
        return None
    eq = cell.equation(name)
    if eq.is_linear or not isinstance(eq.expr, sp.Function) or type(eq.expr) not in FUNCTIONS:
        return None
    row = FUNCTIONS[type(eq.expr)]
    lo = -sp.oo if row.lower is None else sp.nsimplify(row.lower)
    hi = sp.oo if row.upper is None else sp.nsimplify(row.upper)
    return sp.Interval.open(lo, hi)


def _sup_abs(cell, d, ranges):
    """sup |d| over the ranges of its symbols: exact for one variable, a product bound for products."""
    if d.is_number:
        return abs(d)
    if isinstance(d, sp.Heaviside):
        return sp.S.One
    syms = list(d.free_symbols)
    if len(syms) == 1:  # exact: extrema over the closure of the activation's range
        y = syms[0]
        iv = _range(cell, y.name)
        if iv is None or not (iv.inf.is_finite and iv.sup.is_finite):
            return None
        ranges[y.name] = iv
        closed = sp.Interval(iv.inf, iv.sup)
        return sp.Max(abs(maximum(d, y, closed)), abs(minimum(d, y, closed)))
    if isinstance(d, sp.Mul):  # several variables: sup of a product <= product of sups
        out = sp.S.One
        for f in d.args:
            s = _sup_abs(cell, f, ranges)
            if s is None:
                return None
            out *= s
        return out
    return None


def jacobian_bound(desc, of: str | None = None, wrt: str | None = None) -> Bound | None:
    """Derive ‖∂of/∂wrt‖ ≤ Σ_k sup|d_k| ‖P_k‖ from the structured Jacobian, or None if a sup is unbounded.

    Defaults: the output state and its previous value.

    Examples
    --------
    >>> import symrnn
    >>> b = jacobian_bound(symrnn.cell("rnn"))
    >>> b.terms
    ((1 - h**2, 1, 'U'),)
    >>> jacobian_bound(symrnn.cell("rnn", activation="relu")).factor
    {'U': 1}
    >>> jacobian_bound(symrnn.cell("gru_reset_after")) is None
    True
    """
    cell = as_cell(desc)
    of = of or cell.output
    wrt = wrt or of + PREV
    J = jacobian(cell, of, wrt)
    terms, ranges = [], {}
    for t in J.terms:
        if not (len(t) == 2 and isinstance(t[0], Diag) and isinstance(t[1], Mat)):
            return None
        s = _sup_abs(cell, t[0].expr, ranges)
        if s is None or not s.is_finite:
            return None
        terms.append((t[0].expr, sp.nsimplify(s), t[1].name))
    return Bound(of, wrt, tuple(terms), tuple(ranges.items()))


def state_jacobian(desc, values: Mapping, sizes=None) -> np.ndarray:
    """The evaluated block Jacobian ``[∂sⁱ_t/∂sʲ_{t−1}]`` over all states (in declaration order).

    Examples
    --------
    >>> import symrnn, numpy as np
    >>> from symrnn.derive import forward_values
    >>> lstm = symrnn.cell("lstm")
    >>> p = symrnn.numeric.init_params(lstm, {"D": 2, "H": 3}, rng=0)
    >>> v = forward_values(lstm, p, {"x": np.ones(2)}, {"h": np.zeros(3), "c": np.ones(3)})
    >>> J = state_jacobian(lstm, v)
    >>> J.shape, bool(np.allclose(J[3:, 3:], np.diag(v["f"])))
    ((6, 6), True)
    """
    cell = as_cell(desc)
    sizes = sizes or size_map(cell, values)
    rows = [np.hstack([jacobian(cell, si, sj + PREV).evaluate(values, sizes) for sj in cell.state_names])
            for si in cell.state_names]
    return np.vstack(rows)


def gradient_norms(desc, params: Mapping, xs: Mapping, initial: Mapping | None = None) -> np.ndarray:
    """Spectral norms ‖∂h_T/∂h_{T−k}‖₂ for k = 1 … T (h the output state), from the derived Jacobians.

    Parameters
    ----------
    xs : dict
        input name -> (T, n) array (one sample).

    Examples
    --------
    >>> import symrnn, numpy as np
    >>> rnn = symrnn.cell("rnn")
    >>> p = symrnn.numeric.init_params(rnn, {"D": 2, "H": 4}, rng=0)
    >>> norms = gradient_norms(rnn, p, {"x": np.ones((5, 2))})
    >>> bool(norms[-1] < norms[0])
    True
    """
    cell, params, xs, initial, _, sizes, T = check_sequence(desc, params, xs, initial)
    n = {s: int(cell.declared[s][1].size.xreplace(sizes)) for s in cell.state_names}
    state = {s: initial[s] if s in initial else np.zeros(n[s]) for s in cell.state_names}
    blocks = []
    for t in range(T):
        v = forward_values(cell, params, {k: x[t] for k, x in xs.items()}, state)
        blocks.append(state_jacobian(cell, v, sizes))
        state = {s: v[s] for s in cell.state_names}
    offsets = np.cumsum([0] + [n[s] for s in cell.state_names])
    k = cell.state_names.index(cell.output)
    sl = slice(offsets[k], offsets[k + 1])
    prod = np.eye(blocks[0].shape[0])
    out = []
    for J in reversed(blocks):
        prod = prod @ J
        out.append(np.linalg.norm(prod[sl, sl], 2))
    return np.array(out)


CURVES = (("rnn", "rnn", {}), ("lstm", "lstm", {}), ("lstm, forget bias +1", "lstm", {"b_f": 1.0}),
          ("gru_reset_after", "gru_reset_after", {}))
"""Default curves of the figure: (label, catalogue name, shifts added to bias parameters)."""


def gradient_flow(*, curves=CURVES, hidden: int = 32, inputs: int = 8, steps: int = 60, seed: int = 0) -> dict:
    """log₁₀‖∂h_T/∂h_{T−k}‖₂ for k = 1 … T, per curve: the figure's data (see :func:`vanishing_gradient_figure`).

    Examples
    --------
    >>> logs = gradient_flow(hidden=4, inputs=2, steps=5)
    >>> list(logs), logs["rnn"].shape
    (['rnn', 'lstm', 'lstm, forget bias +1', 'gru_reset_after'], (5,))
    """
    from .. import cells
    from ..numeric import init_params

    rng = np.random.default_rng(seed)
    xs = {"x": rng.normal(size=(steps, inputs))}
    out = {}
    for label, name, shifts in curves:
        cell = as_cell(cells.cell(name))
        params = init_params(cell, {"D": inputs, "H": hidden}, rng=seed, scale=1.0 / np.sqrt(hidden))
        for bias, shift in shifts.items():
            params[bias] = params[bias] + shift
        out[label] = np.log10(np.maximum(gradient_norms(cell, params, xs), 1e-300))
    return out


def vanishing_gradient_figure(path=None, *, curves=CURVES, hidden: int = 32, inputs: int = 8,
                              steps: int = 60, seed: int = 0, logs: dict | None = None):
    """log₁₀‖∂h_T/∂h_{T−k}‖₂ against k for several cells with comparable random weights.

    Every cell gets PyTorch's default weights, uniform in (−1/√H, 1/√H), from
    the same seed, and the same standard-normal inputs; one LSTM curve adds 1
    to the forget-gate bias (Gers et al. 2000; Jozefowicz et al. 2015), the
    usual remedy, to show the cell path at work.  Returns the matplotlib
    Figure; writes a PNG to ``path`` (atomically) if given.

    Parameters
    ----------
    path : str or Path, optional
        Where to write the PNG (checked before any work).
    curves : sequence of (label, catalogue name, {bias name: shift})
    hidden, inputs, steps : int
        H, D and T.
    logs : dict, optional
        The curves already computed by :func:`gradient_flow` with these options (not recomputed).

    Examples
    --------
    >>> fig = vanishing_gradient_figure(hidden=4, inputs=2, steps=5)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['rnn', 'lstm', 'lstm, forget bias +1', 'gru_reset_after']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .._io import atomic_write, check_writable

    if path is not None:
        check_writable(path)
    if logs is None:
        logs = gradient_flow(curves=curves, hidden=hidden, inputs=inputs, steps=steps, seed=seed)
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in logs.items():
        ax.plot(np.arange(1, steps + 1), values, label=label)
    ax.set_xlabel("k (steps back)")
    ax.set_ylabel(r"$\log_{10}\|\partial h_T/\partial h_{T-k}\|_2$")
    ax.set_title(f"Gradient flow through the derived Jacobians (H={hidden}, T={steps})")
    ax.legend()
    fig.tight_layout()
    if path is not None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        atomic_write(path, buf.getvalue())
    return fig


def _parser():
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):  # one line, exit 2, as the symrnn command line
            raise SystemExit(_fail(f"{self.prog}: error: {message}"))

    p = Parser(prog="python -m symrnn.derive.flow",
               description="Write the vanishing-gradient figure: log10 ||dh_T/dh_(T-k)|| against k for several cells.")
    p.add_argument("output", metavar="OUT.png", help="the PNG to write (replaced atomically; its directory must exist)")
    p.add_argument("--hidden", type=_positive, default=32, metavar="H", help="hidden size (default 32)")
    p.add_argument("--inputs", type=_positive, default=8, metavar="D", help="input size (default 8)")
    p.add_argument("--steps", type=_positive, default=60, metavar="T", help="sequence length (default 60)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and inputs (default 0)")
    return p


def _positive(text):
    import argparse

    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def _fail(line: str) -> int:
    import sys

    sys.stderr.write(line + "\n")
    return 2


def main(argv=None) -> int:
    """``python -m symrnn.derive.flow OUT.png [--hidden H] [--inputs D] [--steps T] [--seed S]``.

    Writes the vanishing-gradient figure and prints, per curve, log₁₀ of the norm at k = 10, T/2 and T
    (the figures the README quotes); ``--help`` prints the usage.  A bad
    flag or an unwritable output (a missing directory, a directory, a device)
    ends with one line on stderr and exit code 2, before any work.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "flow.png")
    >>> main([out, "--hidden", "4", "--inputs", "2", "--steps", "5"]), os.path.getsize(out) > 0
    log10 ||dh_T/dh_(T-k)||_2 at k = 2, 5
      rnn                      -0.49    -0.95
      lstm                     -1.06    -2.02
      lstm, forget bias +1     -0.90    -1.45
      gru_reset_after          -0.34    -0.87
    (0, True)
    """
    from .._io import check_writable
    from ..errors import SymrnnError

    args = _parser().parse_args(argv)
    options = dict(hidden=args.hidden, inputs=args.inputs, steps=args.steps, seed=args.seed)
    try:
        check_writable(args.output)  # before any work
        logs = gradient_flow(**options)
        vanishing_gradient_figure(args.output, logs=logs, **options)
    except SymrnnError as exc:
        return _fail(f"symrnn: error: {' '.join(str(exc).split())}")
    ks = sorted({min(10, args.steps), max(1, args.steps // 2), args.steps})
    print("log10 ||dh_T/dh_(T-k)||_2 at k = " + ", ".join(map(str, ks)))
    for label, values in logs.items():
        print(f"  {label:22} " + "  ".join(f"{values[k - 1]:7.2f}" for k in ks))
    return 0


def _quiet_rerun_warning() -> None:
    """``python -m symrnn.derive.flow``: silence runpy's warning that this module is already imported.

    ``symrnn.derive`` imports this module, and ``-m`` runs it again as
    ``__main__``; runpy then warns (harmlessly: ``__main__`` shares no state
    with the imported copy).  The filter is installed only in a process started
    as ``-m symrnn.derive.flow`` and matches only that one message.
    """
    import sys
    import warnings

    argv = list(getattr(sys, "orig_argv", ()))
    if "-m" in argv and argv.index("-m") + 1 < len(argv) and argv[argv.index("-m") + 1] == __name__:
        warnings.filterwarnings("ignore", message=f"'{__name__}' found in sys.modules", category=RuntimeWarning)


_quiet_rerun_warning()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
