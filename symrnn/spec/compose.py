"""Deep recurrent networks built from cells: stacked and bidirectional.

A stacked network is itself one step function — layer k reads layer k-1's new
output state at the same step — so :func:`stacked` returns a flat
:class:`~symrnn.spec.cell.Cell` whose names carry a layer prefix (``l1_``,
``l2_`` …) and keeps the layers for layer-by-layer kernels.  A bidirectional
layer runs one cell forwards and one backwards in time, which is not a single
step function; :class:`Bidirectional` holds the two cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
from sympy.matrices.expressions import MatrixSymbol

from ..errors import SpecError
from .cell import PREV, Cell, Decl, Equation
from .latex import cell_latex, name_latex, vector_latex
from .symbols import Vec, sizes as make_sizes

__all__ = ["rename", "stacked", "Stacked", "Bidirectional", "bidirectional"]


def _parts(cell: Cell, prefix: str, size_map: dict, wire: dict, mark=None) -> dict:
    """Declarations and equations of ``cell`` with names prefixed and sizes mapped.

    ``wire`` maps (unprefixed) input names to vectors (``Vec``) of another
    cell that take their place; those inputs are no longer declared.
    """

    def size(s):
        return sp.sympify(s).xreplace(size_map)

    inputs = {d.name for d in cell.inputs}  # inputs keep their names: x is shared

    def new(name):
        return wire[name].name if name in wire else name if name in inputs else prefix + name

    def tex(latex, name):
        return mark(latex or name_latex(name)) if mark else latex

    def decl(d):
        return Decl(prefix + d.name, tuple(size(s) for s in d.shape), tex(d.latex, d.name))

    units, mats = {}, {}
    for name, (_, d) in cell.declared.items():
        shape = tuple(size(s) for s in d.shape)
        if not d.is_matrix:
            units[Vec(name, d.size)] = Vec(new(name), shape[0])
        rows, cols = shape if d.is_matrix else (shape[0], 1)
        mats[cell.matrix(name)] = MatrixSymbol(new(name), rows, cols)

    def expr(e):
        return e.xreplace(mats if e.is_Matrix else units)

    return dict(
        inputs=tuple(Decl(d.name, (size(d.size),), d.latex) for d in cell.inputs if d.name not in wire),
        states=tuple(decl(d) for d in cell.states),
        params=tuple(decl(d) for d in cell.params),
        equations=tuple(
            Equation(prefix + e.target, expr(e.expr), size(e.size), e.anonymous, tex(e.latex, e.target))
            for e in cell.equations
        ),
    )


def rename(cell: Cell, prefix: str, size_map: dict | None = None, mark=None) -> Cell:
    """``cell`` with every name but its inputs' prefixed and size symbols substituted.

    ``mark`` maps a name's LaTeX to the renamed one's (e.g. adds a layer
    superscript); by default LaTeX is derived from the new name.

    Examples
    --------
    >>> import symrnn
    >>> rename(symrnn.cell("rnn"), "fw_").state_names
    ('fw_h',)
    """
    size_map = dict(size_map or {})
    parts = _parts(cell, prefix, size_map, {}, mark)
    new_sizes = dict.fromkeys(size_map.get(s, s) for s in cell.sizes)
    return Cell(
        prefix + cell.name, tuple(new_sizes), **parts,
        output=prefix + cell.output, family=cell.family, reference=cell.reference, summary=cell.summary,
    )


def _layer_mark(k):
    return lambda tex: f"{{{tex}}}^{{({k})}}"


def _one(cell: Cell, what: str):
    if len(cell.inputs) != 1:
        raise SpecError(f"stacked: layer {cell.name!r} must have exactly one input to be stacked, has {len(cell.inputs)}")
    sym = cell.inputs[0].size
    out = cell.declared[cell.output][1].size
    if not (isinstance(sym, sp.Symbol) and isinstance(out, sp.Symbol)):
        raise SpecError(f"stacked: layer {cell.name!r} must have a size symbol as input size and output size")
    return sym, out


@dataclass(frozen=True)
class Stacked:
    """A stack of recurrent layers; behaves as its flat :class:`Cell` (``.cell``).

    Layer k (1-based) has names prefixed ``l{k}_`` and hidden size ``H{k}``;
    layer 1 reads the input ``x`` of size ``D``; layer k reads layer k-1's
    output state at the same step.
    """

    layers: tuple
    cell: Cell = field(compare=False)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self.cell, attr)

    def parameter_count(self, form: str = "paper") -> sp.Expr:
        """Sum over the layers (the PyTorch form doubles biases per layer, where a
        layer's input side is the layer below, not a recurrent term)."""
        return sp.expand(sum((c.parameter_count(form) for c in self.layers), sp.S.Zero))

    def param_roles(self) -> dict[str, str]:
        """Roles per layer: a layer's matrix on the layer below is an ``input`` weight."""
        return {k: v for c in self.layers for k, v in c.param_roles().items()}

    def to_dict(self) -> dict:
        out = self.cell.to_dict()
        out["param_roles"] = self.param_roles()
        out["parameter_count"] = {f: str(self.parameter_count(f)) for f in ("paper", "torch")}
        out["layers"] = [c.name for c in self.layers]
        return out

    def __repr__(self):
        return f"<Stacked {[c.name for c in self.layers]}: {self.cell!r}>"


def stacked(*layers: Cell, name: str = "stacked") -> Stacked:
    """Stack cells: ``stacked(lstm, gru)`` feeds the LSTM's h_t into the GRU.

    Parameters
    ----------
    *layers : Cell
        One or more cells, each with one input vector whose size is a size
        symbol (D) and an output state whose size is a size symbol (H).

    Examples
    --------
    >>> import symrnn
    >>> net = symrnn.cells.stacked(symrnn.cell("rnn"), symrnn.cell("rnn"))
    >>> net.parameter_count()
    D*H1 + H1**2 + H1*H2 + H1 + H2**2 + H2
    """
    if not layers or not all(isinstance(c, Cell) for c in layers):
        raise SpecError(f"stacked: expected one or more Cell layers, got {layers!r}")
    (D,) = make_sizes("D")
    inputs, states, params, equations, sizes = (), (), (), (), [D]
    renamed = []
    prev_out = None
    for k, c in enumerate(layers, start=1):
        d_in, h_out = _one(c, "layer")
        Hk = sp.Symbol(f"H{k}", integer=True, positive=True)
        size_map = {s: sp.Symbol(f"{s.name}{k}", integer=True, positive=True) for s in c.sizes}
        size_map[h_out] = Hk
        size_map[d_in] = D if prev_out is None else prev_out.size
        sizes += [s for s in size_map.values() if s not in sizes]
        prefix = f"l{k}_"
        wire = {} if prev_out is None else {c.inputs[0].name: prev_out}
        mark = _layer_mark(k)
        parts = _parts(c, prefix, size_map, wire, mark)
        renamed.append(rename(c, prefix, size_map, mark))
        inputs += parts["inputs"]
        states += parts["states"]
        params += parts["params"]
        equations += parts["equations"]
        prev_out = Vec(prefix + c.output, Hk)
    flat = Cell(
        name, tuple(sizes), inputs, states, params, equations, output=prev_out.name, family="deep",
        reference="Graves, Mohamed & Hinton 2013, Speech recognition with deep recurrent neural networks",
        summary=f"{len(layers)} stacked layers: " + ", ".join(c.name for c in layers),
    )
    return Stacked(tuple(renamed), flat)


@dataclass(frozen=True)
class Bidirectional:
    """A bidirectional layer: ``forward`` runs t = 1..T, ``backward`` runs t = T..1.

    The output at step t is the concatenation [→h_t ; ←h_t] (PyTorch's and
    Keras' default merge).  Names are prefixed ``fw_`` and ``bw_``.

    References
    ----------
    Schuster & Paliwal 1997, Bidirectional recurrent neural networks.
    """

    forward: Cell
    backward: Cell
    name: str = "bidirectional"
    family: str = "deep"
    reference: str = "Schuster & Paliwal 1997, Bidirectional recurrent neural networks"
    summary: str = "a forward and a backward layer, outputs concatenated"

    @cached_property
    def sizes(self):
        return tuple(dict.fromkeys(self.forward.sizes + self.backward.sizes))

    def parameter_count(self, form: str = "paper") -> sp.Expr:
        """Both directions' parameters (see :meth:`Cell.parameter_count`)."""
        return sp.expand(self.forward.parameter_count(form) + self.backward.parameter_count(form))

    def latex(self, **options) -> str:
        """Both directions' equations (the backward one reads step t+1) and the merge."""
        fw = cell_latex(self.forward, **options)
        bw = cell_latex(self.backward, **options).replace("t-1}", "t+1}")
        out_f = vector_latex(self.forward, self.forward.output)
        out_b = vector_latex(self.backward, self.backward.output)
        merge = rf"\begin{{aligned}}\mathbf{{y}}_{{t}} &= \begin{{bmatrix}} {out_f} \\ {out_b} \end{{bmatrix}}\end{{aligned}}"
        return fw + "\n\\\\[4pt]\n" + bw + "\n\\\\[4pt]\n" + merge

    def to_dict(self) -> dict:
        return {
            "name": self.name, "family": self.family, "reference": self.reference, "summary": self.summary,
            "forward": self.forward.to_dict(), "backward": self.backward.to_dict(),
            "parameter_count": {f: str(self.parameter_count(f)) for f in ("paper", "torch")},
        }


def bidirectional(cell: Cell, backward: Cell | None = None, *, name: str = "bidirectional") -> Bidirectional:
    """A bidirectional layer of ``cell`` (and ``backward``, default the same cell).

    Examples
    --------
    >>> import symrnn
    >>> bi = symrnn.cells.bidirectional(symrnn.cell("gru_reset_after"))
    >>> bi.parameter_count("torch") == 2 * symrnn.cell("gru_reset_after").parameter_count("torch")
    True
    """
    if not isinstance(cell, Cell) or not (backward is None or isinstance(backward, Cell)):
        raise SpecError("bidirectional: expected Cell arguments")
    return Bidirectional(
        rename(cell, "fw_", mark=lambda t: rf"\overrightarrow{{{t}}}"),
        rename(backward or cell, "bw_", mark=lambda t: rf"\overleftarrow{{{t}}}"),
        name=name,
    )
