"""Tree models as symbolic descriptions: a node cell, an optional per-child cell, and gathers.

A node's update is a step function whose "previous state" is read from its
children.  Each model is held once, as real :class:`symrnn.Cell` s:

* ``node`` — the per-node step: input ``x`` (the node's feature), the gathered
  child vectors as inputs (``h_sum`` = h̃ = Σ_k h_k for Child-Sum; ``h_1 …
  h_N``, ``c_1 … c_N`` for the N child slots of an N-ary model), and the
  node's states ``h`` (and ``c``);
* ``edge`` — per child k (Child-Sum Tree-LSTM only): reads the parent's
  ``x`` and the child's states ``h_k``, ``c_k`` and computes the message
  ``m = f_k ⊙ c_k`` with its own forget gate f_k = σ(W_f x + U_f h_k + b_f)
  — Tai et al.'s form *with* the W^f x term (DGL's example drops it);
* ``gathers`` — how node inputs are read from children: ``sum`` over all
  children (Child-Sum: a symmetric sum), or ``slot`` ℓ (N-ary: the child at
  position ℓ, zero when absent — a leaf reads zero states).

Why this form (instead of one cell per child count): the per-node and
per-child cells are ordinary cells, so LaTeX, Jacobians, parameter
gradients and the prover's per-unit normal forms apply unchanged, and the
level-batched kernel runs each cell once per level with one GEMM per source
vector.  :func:`~symrnn.trees.expand.expand` writes the node with exactly K
children as one plain Cell (the gathers substituted: a sum over K children,
slots filled or zero); :func:`~symrnn.trees.expand.one_child` is K = 1 with
the child's states read as the previous states — the chain cell of the
degenerate case.

References
----------
Socher, R., Lin, C. C.-Y., Ng, A. Y. & Manning, C. D. (2011). Parsing natural
scenes and natural language with recursive neural networks. ICML.
Socher, R. et al. (2013). Recursive deep models for semantic compositionality
over a sentiment treebank. EMNLP.
Tai, K. S., Socher, R. & Manning, C. D. (2015). Improved semantic
representations from tree-structured long short-term memory networks. ACL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..errors import SpecError
from ..spec import CellBuilder, sigmoid, tanh
from ..spec.symbols import activations
from ..spec.cell import Cell, Decl

__all__ = ["Gather", "TreeModel", "recursive_nn", "child_sum_recursive_nn", "child_sum_tree_lstm",
           "nary_tree_lstm", "model", "names"]

SOCHER = "Socher et al. 2011 (ICML), Parsing natural scenes and natural language with recursive neural networks; Socher et al. 2013 (EMNLP)"
TAI = "Tai, Socher & Manning 2015 (ACL), Improved semantic representations from tree-structured LSTM networks"
ACTIVATIONS = activations("tanh", "relu")  # from the one function table


@dataclass(frozen=True)
class Gather:
    """Node input ``target`` read from the children.

    ``op`` is ``"sum"`` (over all children) or ``"slot"`` (the child at 0-based
    position ``slot``, zero when absent); ``source`` is a child state
    (``edge=False``) or a per-child value of the edge cell (``edge=True``).
    """

    target: str
    op: str
    source: str
    edge: bool = False
    slot: int | None = None


@dataclass(frozen=True)
class TreeModel:
    """A recursive network on trees: node cell, optional edge cell, gathers.

    Build one with a factory (:func:`child_sum_tree_lstm`, …).  ``arity`` is N
    for N-ary models (at most N children per node) and ``None`` for Child-Sum
    models (any number of children, order ignored).
    """

    name: str
    node: Cell
    edge: Cell | None
    gathers: tuple
    arity: int | None = None
    reference: str = ""
    summary: str = ""

    @property
    def states(self) -> tuple[str, ...]:
        return self.node.state_names

    @property
    def output(self) -> str:
        return self.node.output

    @property
    def sizes(self) -> tuple:
        return self.node.sizes

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.edge, self.node) if self.edge is not None else (self.node,)

    @property
    def params(self) -> tuple[Decl, ...]:
        """Every parameter (edge cell first), each once."""
        seen, out = set(), []
        for c in self.cells:
            for p in c.params:
                if p.name not in seen:
                    seen.add(p.name)
                    out.append(p)
        return tuple(out)

    @property
    def order_free(self) -> bool:
        """Whether children are read only through sums (the Child-Sum case)."""
        return all(g.op == "sum" for g in self.gathers)

    def parameter_count(self) -> sp.Expr:
        """Number of trainable scalars, a SymPy expression in the sizes.

        Examples
        --------
        >>> nary_tree_lstm(2).parameter_count()
        4*D*H + 10*H**2 + 4*H
        """
        return sp.expand(sp.Add(*(p.numel() for p in self.params)))

    def latex(self) -> str:
        """The equations at node j with children k ∈ C(j), as one LaTeX ``aligned`` block.

        Examples
        --------
        >>> print(child_sum_recursive_nn().latex())
        \\begin{aligned}
        \\tilde{\\mathbf{h}}_{j} &= \\sum_{k \\in C(j)} \\mathbf{h}_{k} \\\\
        \\mathbf{h}_{j} &= \\tanh\\left(\\mathbf{U} \\tilde{\\mathbf{h}}_{j} + \\mathbf{W} \\mathbf{x}_{j} + \\mathbf{b}\\right)
        \\end{aligned}
        """
        from ..spec.latex import equation_latex

        rows = []
        for g in self.gathers:
            if g.op == "sum" and not g.edge:
                rows.append(f"{_tree_index(_vlatex(self.node, g.target))} &= \\sum_{{k \\in C(j)}} {_child_latex(g.source)}")
        if self.edge is not None:
            for eq in self.edge.equations:
                if not eq.anonymous and eq.target not in self.edge.state_names:
                    rows.append(f"{_tree_index(_vlatex(self.edge, eq.target))} &= "
                                f"{_tree_index(equation_latex(self.edge, eq))}")
        for eq in self.node.equations:
            if not eq.anonymous:
                rows.append(f"{_tree_index(_vlatex(self.node, eq.target))} &= {_tree_index(equation_latex(self.node, eq))}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def to_dict(self) -> dict:
        """A JSON-ready summary (cells as :meth:`symrnn.Cell.to_dict`)."""
        return {"name": self.name, "arity": self.arity, "reference": self.reference, "summary": self.summary,
                "node": self.node.to_dict(), "edge": None if self.edge is None else self.edge.to_dict(),
                "gathers": [g.__dict__ for g in self.gathers], "latex": self.latex(),
                "parameter_count": str(self.parameter_count())}

    def __repr__(self) -> str:
        return f"<TreeModel {self.name!r}: arity {self.arity or 'any (child-sum)'}, states {list(self.states)}>"


def _vlatex(cell, name):
    from ..spec.latex import vector_latex

    return vector_latex(cell, name)


def _tree_index(tex: str) -> str:
    """Time index → tree index: x_t → x_j; child vectors drop the step index."""
    return re.sub(r"_\{t\}", "_{j}", tex.replace(",t}", "}"))


def _child_latex(state: str) -> str:
    return rf"\mathbf{{{state}}}_{{k}}"


# ------------------------------------------------------------------ factories
def recursive_nn(arity: int = 2, activation: str = "tanh") -> TreeModel:
    """Socher-style recursive neural network with N ordered children.

    ``h_j = f(W x_j + Σ_ℓ U_ℓ h_{jℓ} + b)``, i.e. p = f(W[c_1; …; c_N] + b)
    with the block columns U_ℓ of Socher's W, plus the node's own feature
    x_j (zero at internal nodes of a parse tree).  Absent children read zero.

    Parameters
    ----------
    arity : int
        N, the number of child slots.
    activation : {"tanh", "relu"}

    References
    ----------
    Socher et al. (2011), ICML; Socher et al. (2013), EMNLP.

    Examples
    --------
    >>> m = recursive_nn(2)
    >>> m.parameter_count(), [g.target for g in m.gathers]
    (D*H + 2*H**2 + H, ['h_1', 'h_2'])
    """
    _arity(arity)
    if activation not in ACTIVATIONS:
        raise SpecError(f"recursive_nn: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    b = CellBuilder(f"recursive_nn{arity}", family="recursive", reference=SOCHER,
                    summary=f"recursive NN, {arity} ordered children ({activation})")
    D, H = b.sizes("D H")
    x = b.input("x", D)
    kids = [b.input(f"h_{l}", H, latex=rf"\mathbf{{h}}_{{j{l}}}") for l in range(1, arity + 1)]
    b.state("h", H)
    pre = b.param("W", H, D) @ x + b.param("b", H)
    for l, h in enumerate(kids, start=1):
        pre = pre + b.param(f"U_{l}", H, H, latex=rf"\mathbf{{U}}_{{{l}}}") @ h
    b.update("h", ACTIVATIONS[activation](pre))
    gathers = tuple(Gather(f"h_{l}", "slot", "h", slot=l - 1) for l in range(1, arity + 1))
    return TreeModel(b.name, b.build(output="h"), None, gathers, arity, SOCHER, b.meta["summary"])


def child_sum_recursive_nn(activation: str = "tanh") -> TreeModel:
    """Recursive NN reading its children through their sum: h_j = f(W x_j + U Σ_k h_k + b).

    References
    ----------
    Socher et al. (2013), EMNLP; Tai et al. (2015), ACL (the Child-Sum form).

    Examples
    --------
    >>> child_sum_recursive_nn().parameter_count()
    D*H + H**2 + H
    """
    if activation not in ACTIVATIONS:
        raise SpecError(f"child_sum_recursive_nn: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    b = CellBuilder("child_sum_recursive_nn", family="recursive", reference=SOCHER + "; " + TAI,
                    summary=f"recursive NN over the sum of the children ({activation})")
    D, H = b.sizes("D H")
    x, hs = b.input("x", D), b.input("h_sum", H, latex=r"\tilde{\mathbf{h}}")
    b.state("h", H)
    b.update("h", ACTIVATIONS[activation](b.param("W", H, D) @ x + b.param("U", H, H) @ hs + b.param("b", H)))
    return TreeModel(b.name, b.build(output="h"), None, (Gather("h_sum", "sum", "h"),), None,
                     b.meta["reference"], b.meta["summary"])


def child_sum_tree_lstm() -> TreeModel:
    """Child-Sum Tree-LSTM (Tai et al. 2015, eqs. 2–8).

    ::

        h̃_j = Σ_k h_k
        i_j = σ(W_i x_j + U_i h̃_j + b_i)     f_jk = σ(W_f x_j + U_f h_k + b_f)
        o_j = σ(W_o x_j + U_o h̃_j + b_o)     u_j = tanh(W_u x_j + U_u h̃_j + b_u)
        c_j = i_j ⊙ u_j + Σ_k f_jk ⊙ c_k     h_j = o_j ⊙ tanh(c_j)

    One forget gate per child, with the W_f x_j term of the paper.

    References
    ----------
    Tai, Socher & Manning (2015), ACL.

    Examples
    --------
    >>> m = child_sum_tree_lstm()
    >>> m.parameter_count(), m.edge.state_names
    (4*D*H + 4*H**2 + 4*H, ('m',))
    """
    e = CellBuilder("child_sum_tree_lstm_edge", family="tree_lstm", reference=TAI,
                    summary="per-child forget gate and message of the Child-Sum Tree-LSTM")
    D, H = e.sizes("D H")
    x = e.input("x", D)
    hk = e.input("h_k", H, latex=r"\mathbf{h}_{k}")
    ck = e.input("c_k", H, latex=r"\mathbf{c}_{k}")
    e.state("m", H, latex=r"\mathbf{m}_{k}")
    f = e.let("f", sigmoid(e.param("W_f", H, D) @ x + e.param("U_f", H, H) @ hk + e.param("b_f", H)),
              latex=r"\mathbf{f}_{jk}")
    e.update("m", f * ck)
    edge = e.build(output="m")

    b = CellBuilder("child_sum_tree_lstm", family="tree_lstm", reference=TAI, summary="Child-Sum Tree-LSTM")
    D, H = b.sizes("D H")
    x = b.input("x", D)
    hs = b.input("h_sum", H, latex=r"\tilde{\mathbf{h}}")
    ms = b.input("m_sum", H, latex=r"\sum_{k \in C(j)} \mathbf{f}_{jk} \odot \mathbf{c}_{k}")
    b.state("h", H)
    b.state("c", H)

    def gate(k, fn):
        return fn(b.param(f"W_{k}", H, D) @ x + b.param(f"U_{k}", H, H) @ hs + b.param(f"b_{k}", H))

    i = b.let("i", gate("i", sigmoid))
    o = b.let("o", gate("o", sigmoid))
    u = b.let("u", gate("u", tanh), latex=r"\mathbf{u}")
    c = b.update("c", i * u + ms)
    b.update("h", o * tanh(c))
    gathers = (Gather("h_sum", "sum", "h"), Gather("m_sum", "sum", "m", edge=True))
    return TreeModel("child_sum_tree_lstm", b.build(output="h"), edge, gathers, None, TAI,
                     "Child-Sum Tree-LSTM (per-child forget gates with the W_f x term)")


def nary_tree_lstm(arity: int = 2) -> TreeModel:
    """N-ary Tree-LSTM (Tai et al. 2015, eqs. 9–14): position-specific matrices.

    ::

        i_j  = σ(W_i x_j + Σ_ℓ U_i^(ℓ) h_jℓ + b_i)        (o_j, u_j alike; u with tanh)
        f_jk = σ(W_f x_j + Σ_ℓ U_f^(kℓ) h_jℓ + b_f)       k = 1 … N
        c_j  = i_j ⊙ u_j + Σ_ℓ f_jℓ ⊙ c_jℓ              h_j = o_j ⊙ tanh(c_j)

    h_jℓ, c_jℓ are the states of the ℓ-th child (zero when that slot is empty).

    References
    ----------
    Tai, Socher & Manning (2015), ACL.

    Examples
    --------
    >>> nary_tree_lstm(3).parameter_count()
    4*D*H + 18*H**2 + 4*H
    """
    _arity(arity)
    N = arity
    b = CellBuilder(f"nary_tree_lstm{N}", family="tree_lstm", reference=TAI, summary=f"{N}-ary Tree-LSTM")
    D, H = b.sizes("D H")
    x = b.input("x", D)
    hs = [b.input(f"h_{l}", H, latex=rf"\mathbf{{h}}_{{j{l}}}") for l in range(1, N + 1)]
    cs = [b.input(f"c_{l}", H, latex=rf"\mathbf{{c}}_{{j{l}}}") for l in range(1, N + 1)]
    b.state("h", H)
    b.state("c", H)
    W = {k: b.param(f"W_{k}", H, D) for k in "ifou"}
    bias = {k: b.param(f"b_{k}", H) for k in "ifou"}

    def pre(k, name, lat):
        a = W[k] @ x + bias[k]
        for l, h in enumerate(hs, start=1):
            a = a + b.param(f"U_{name}_{l}", H, H, latex=rf"\mathbf{{U}}^{{({lat}{l})}}_{{{k}}}") @ h
        return a

    i = b.let("i", sigmoid(pre("i", "i", "")))
    o = b.let("o", sigmoid(pre("o", "o", "")))
    u = b.let("u", tanh(pre("u", "u", "")))
    fs = [b.let(f"f_{k}", sigmoid(pre("f", f"f{k}", f"{k}")), latex=rf"\mathbf{{f}}_{{j{k}}}")
          for k in range(1, N + 1)]
    cnew = i * u
    for f, c in zip(fs, cs):
        cnew = cnew + f * c
    c = b.update("c", cnew)
    b.update("h", o * tanh(c))
    gathers = tuple(Gather(f"{s}_{l}", "slot", s, slot=l - 1) for s in ("h", "c") for l in range(1, N + 1))
    return TreeModel(b.name, b.build(output="h"), None, gathers, N, TAI, b.meta["summary"])


def _arity(n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SpecError(f"arity must be an integer >= 1, got {n!r}")


FACTORIES = {"recursive_nn": recursive_nn, "child_sum_recursive_nn": child_sum_recursive_nn,
             "child_sum_tree_lstm": child_sum_tree_lstm, "nary_tree_lstm": nary_tree_lstm}


def names() -> list[str]:
    """Names accepted by :func:`model` (the tree models of :func:`symrnn.registry.names`)."""
    from ..registry import names as registered

    return list(registered("tree"))


def model(name: str, **options) -> TreeModel:
    """A tree model by name, e.g. ``model("nary_tree_lstm", arity=2)``: :func:`symrnn.registry.model` for trees.

    Examples
    --------
    >>> model("child_sum_tree_lstm").states
    ('h', 'c')
    """
    from ..registry import _model

    return _model(name, options, ("tree",))
