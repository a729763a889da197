"""Plain per-node recursion: the oracle for the level-batched kernel.

Written from the papers' equations, one node at a time in post-order, with
NumPy matrix-vector products; it reads no description and shares no code
with the kernel (only the tree validation of :mod:`symrnn.trees.tree`).
Slow on purpose.

References
----------
Socher et al. (2011, 2013); Tai, Socher & Manning (2015), ACL.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..numeric.reference import stable_sigmoid as _sig
from .models import TreeModel
from .forest import Forest, forest as make_forest
from .tree import RootedTree

__all__ = ["paper_form", "node_step", "run_tree", "run_forest"]

_ACT = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}


def paper_form(model: TreeModel) -> tuple[str, str | None]:
    """Which paper's recursion ``model`` is, decided by its description, never by its name.

    Returns ``(kind, activation)``; the model must equal (as a description)
    the catalogue model it is compared with.  Anything else — a user model,
    even one named like a catalogue model — raises :class:`InputError`: this
    oracle is written from the papers, and checking another model against it
    would check the wrong thing.

    Examples
    --------
    >>> from symrnn.trees import recursive_nn
    >>> paper_form(recursive_nn(2, activation="relu"))
    ('recursive_nn', 'relu')
    """
    from . import models

    if not isinstance(model, TreeModel):
        raise InputError(f"reference: model must be a TreeModel, got {type(model).__name__}")
    candidates = [("child_sum_tree_lstm", None, models.child_sum_tree_lstm)]
    for act in _ACT:
        candidates.append(("child_sum_recursive_nn", act, lambda act=act: models.child_sum_recursive_nn(act)))
        if model.arity is not None:
            candidates.append(("recursive_nn", act, lambda act=act: models.recursive_nn(model.arity, act)))
    if model.arity is not None:
        candidates.append(("nary_tree_lstm", None, lambda: models.nary_tree_lstm(model.arity)))
    for kind, act, make in candidates:
        if make() == model:
            return kind, act
    raise InputError(f"reference: {model.name!r} is not one of the catalogue models this per-node recursion is "
                     "written for (recursive_nn, child_sum_recursive_nn, child_sum_tree_lstm, nary_tree_lstm, as "
                     "built by their factories); evaluate a user model from its description instead "
                     "(symrnn.trees.compile_tree, or symrnn.numeric.step on symrnn.trees.expand(model, K))")


def node_step(model: TreeModel, p: dict, x: np.ndarray, kids: list) -> dict:
    """One node: ``kids`` is ``[(slot, {"h": …, "c": …}), …]`` in child order.

    Examples
    --------
    >>> import numpy as np
    >>> from symrnn.trees import child_sum_recursive_nn
    >>> p = {"W": np.eye(2), "U": np.eye(2), "b": np.zeros(2)}
    >>> node_step(child_sum_recursive_nn(), p, np.zeros(2), [(0, {"h": np.ones(2)})])["h"].round(4)
    array([0.7616, 0.7616])
    """
    return _step(paper_form(model), model.arity, p, x, kids)


def _step(form, arity, p, x, kids) -> dict:
    """One node of the recursion ``form = (kind, activation)`` (``paper_form`` decided once per run)."""
    kind, act = form
    if kind == "child_sum_recursive_nn":
        hs = sum((s["h"] for _, s in kids), np.zeros_like(p["b"]))
        return {"h": _ACT[act](p["W"] @ x + p["U"] @ hs + p["b"])}
    if kind == "recursive_nn":
        a = p["W"] @ x + p["b"]
        for slot, s in kids:
            a = a + p[f"U_{slot + 1}"] @ s["h"]
        return {"h": _ACT[act](a)}
    if kind == "child_sum_tree_lstm":
        hs = sum((s["h"] for _, s in kids), np.zeros_like(p["b_i"]))
        i = _sig(p["W_i"] @ x + p["U_i"] @ hs + p["b_i"])
        o = _sig(p["W_o"] @ x + p["U_o"] @ hs + p["b_o"])
        u = np.tanh(p["W_u"] @ x + p["U_u"] @ hs + p["b_u"])
        c = i * u
        wf = p["W_f"] @ x + p["b_f"]  # the W_f x term, shared by every child's forget gate
        for _, s in kids:
            f = _sig(wf + p["U_f"] @ s["h"])
            c = c + f * s["c"]
        return {"h": o * np.tanh(c), "c": c}
    if kind == "nary_tree_lstm":
        N = arity
        H = p["b_i"].shape[0]
        h = [np.zeros(H) for _ in range(N)]
        cc = [np.zeros(H) for _ in range(N)]
        for slot, s in kids:
            h[slot], cc[slot] = s["h"], s["c"]

        def pre(k, name):
            return p[f"W_{k}"] @ x + p[f"b_{k}"] + sum(p[f"U_{name}_{l + 1}"] @ h[l] for l in range(N))

        i, o, u = _sig(pre("i", "i")), _sig(pre("o", "o")), np.tanh(pre("u", "u"))
        c = i * u
        for k in range(N):
            c = c + _sig(pre("f", f"f{k + 1}")) * cc[k]
        return {"h": o * np.tanh(c), "c": c}
    raise AssertionError(kind)  # paper_form returns one of the kinds above


def run_tree(model: TreeModel, params: dict, tree: RootedTree) -> dict:
    """States of every node of one tree: ``{node: {"h": …, "c": …}}`` (post-order loop, no Python recursion)."""
    form, out = paper_form(model), {}  # decided once: building the catalogue models per node cost 12-40 ms
    for v in tree.order:
        kids = [(k if pos is None else pos, out[c]) for k, (c, pos) in enumerate(tree.children[v])]
        out[v] = _step(form, model.arity, params, tree.features[v], kids)
    return out


def run_forest(model: TreeModel, params: dict, trees) -> dict:
    """States ``(N, H)`` per name in the row order of ``forest(trees)`` (for comparing with the kernel)."""
    f = trees if isinstance(trees, Forest) else make_forest(trees)
    per_tree = [run_tree(model, params, t) for t in f.trees]
    states = per_tree[0][f.trees[0].root].keys()
    return {s: np.stack([per_tree[k][v][s] for k, v in f.nodes]) for s in states}
