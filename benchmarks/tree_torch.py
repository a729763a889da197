"""The peer of symrnn's tree kernels: a level-batched Child-Sum and N-ary Tree-LSTM in PyTorch (autograd).

Written the way DGL's Tree-LSTM example and common PyTorch Tree-LSTM code
batch a forest, from the same bulk input symrnn takes (a parent array,
``-1`` for roots, optional child positions):

* levels — node heights, the topological generations of the child → parent
  graph — are computed with torch ops (leaves peeled level by level,
  ``index_add_`` counting the children still to finish);
* one level runs at once: the children's states are gathered
  (``index_select``), Child-Sum sums them with ``index_add`` and N-ary puts
  them into their slots with ``index_put``; every weight group is one
  matmul per level (``[W_i; W_o; W_u; W_f] x``, ``[U_i; U_o; U_u] h̃`` and
  ``U_f h_k`` for Child-Sum, one ``[U_·]`` on the slots for N-ary);
* states are kept per level and every op is out of place, so the backward
  pass is linear in the nodes (writing each level into one (N, H) buffer,
  as ``h[mask] = …`` code does, makes autograd copy that buffer once per
  level).

The equations are Tai, Socher & Manning (2015), with the W_f x term of the
forget gate (as symrnn's models); parameters are taken by symrnn's names
(``W_i``, ``U_f``, ``U_f1_2``, …) so that both sides get the same values.
This file imports nothing from symrnn.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Levels", "levels", "child_sum", "nary", "run", "input_order"]


@dataclass
class Levels:
    """A forest batched by level: ``order`` (nodes by level, index order within), level ``sizes``.

    ``groups[l]`` lists, per lower level ``lc`` holding children of level ``l``,
    ``(lc, child positions in level lc)``; ``parent[l]`` and ``slot[l]`` give,
    for the same children in the same order, the parent's position in level
    ``l`` and the child's slot.
    """

    order: torch.Tensor
    sizes: list
    groups: list
    parent: list
    slot: list


def _heights(parent: torch.Tensor) -> torch.Tensor:
    n = parent.numel()
    nonroot = torch.nonzero(parent >= 0).squeeze(1)
    waiting = torch.bincount(parent[nonroot], minlength=n)
    height = torch.full((n,), -1, dtype=torch.int64)
    frontier, level = torch.nonzero(waiting == 0).squeeze(1), 0
    while frontier.numel():
        height[frontier] = level
        up = parent[frontier]
        up = up[up >= 0]
        waiting.index_add_(0, up, torch.full_like(up, -1))
        frontier = torch.unique(up[waiting[up] == 0])
        level += 1
    return height


def _ranks(parent: torch.Tensor) -> torch.Tensor:
    """Each child's rank among its siblings by index: its slot when no positions are given."""
    n = parent.numel()
    child = torch.nonzero(parent >= 0).squeeze(1)
    by_parent = child[torch.argsort(parent[child], stable=True)]
    first = torch.cumsum(torch.bincount(parent[child], minlength=n), 0) - torch.bincount(parent[child], minlength=n)
    slot = torch.zeros(n, dtype=torch.int64)
    slot[by_parent] = torch.arange(by_parent.numel()) - first[parent[by_parent]]
    return slot


def levels(parent, positions=None) -> Levels:
    """The level batches of a forest given as a parent array (a valid forest: this peer checks nothing)."""
    parent = torch.as_tensor(parent, dtype=torch.int64)
    height = _heights(parent)
    L = int(height.max()) + 1
    order = torch.argsort(height, stable=True)
    counts = torch.bincount(height, minlength=L)
    start = torch.cumsum(counts, 0) - counts
    pos = torch.empty_like(order)
    pos[order] = torch.arange(order.numel()) - start[height[order]]
    slot = _ranks(parent) if positions is None else torch.as_tensor(positions, dtype=torch.int64)
    child = torch.nonzero(parent >= 0).squeeze(1)
    up = parent[child]
    key = height[up] * L + height[child]  # (parent level, child level)
    by_key = torch.argsort(key, stable=True)
    child, up, key = child[by_key], up[by_key], key[by_key]
    sizes = torch.bincount(key, minlength=L * L).tolist()
    groups, parents, slots = [[] for _ in range(L)], [[] for _ in range(L)], [[] for _ in range(L)]
    e = 0
    for k, m in enumerate(sizes):
        if m:
            lvl, lc = divmod(k, L)
            c = child[e:e + m]
            groups[lvl].append((lc, pos[c]))
            parents[lvl].append(pos[up[e:e + m]])
            slots[lvl].append(slot[c])
            e += m
    cat = lambda parts: torch.cat(parts) if parts else None  # noqa: E731
    return Levels(order, counts.tolist(), groups, [cat(p) for p in parents], [cat(s) for s in slots])


def _tensors(params: dict, dtype) -> dict:
    return {k: torch.as_tensor(v, dtype=dtype).requires_grad_(True) for k, v in params.items()}


def _gather(lv: Levels, lvl: int, states: list) -> torch.Tensor:
    return torch.cat([states[lc].index_select(0, idx) for lc, idx in lv.groups[lvl]])


def child_sum(lv: Levels, X: torch.Tensor, p: dict) -> tuple[list, list]:
    """Child-Sum Tree-LSTM, level by level: per-level lists of h and c (nodes of ``lv.order``)."""
    H = p["b_i"].shape[0]
    W = torch.cat([p["W_i"], p["W_o"], p["W_u"], p["W_f"]])
    b = torch.cat([p["b_i"], p["b_o"], p["b_u"], p["b_f"]])
    U = torch.cat([p["U_i"], p["U_o"], p["U_u"]])
    hs, cs = [], []
    for lvl, x in enumerate(X.index_select(0, lv.order).split(lv.sizes)):
        pre = torch.addmm(b, x, W.t())
        iou, wf = pre[:, :3 * H], pre[:, 3 * H:]
        if lv.groups[lvl]:
            idx = lv.parent[lvl]
            hk, ck = _gather(lv, lvl, hs), _gather(lv, lvl, cs)
            iou = iou + x.new_zeros(x.shape[0], H).index_add(0, idx, hk) @ U.t()
            f = torch.sigmoid(wf.index_select(0, idx) + hk @ p["U_f"].t())
            fc = x.new_zeros(x.shape[0], H).index_add(0, idx, f * ck)
        i, o, u = torch.sigmoid(iou[:, :H]), torch.sigmoid(iou[:, H:2 * H]), torch.tanh(iou[:, 2 * H:])
        c = i * u + fc if lv.groups[lvl] else i * u
        hs.append(o * torch.tanh(c))
        cs.append(c)
    return hs, cs


def nary(lv: Levels, X: torch.Tensor, p: dict, N: int) -> tuple[list, list]:
    """N-ary Tree-LSTM (children in slots 0 … N-1, absent ones zero), level by level."""
    H = p["b_i"].shape[0]
    W = torch.cat([p["W_i"], p["W_o"], p["W_u"], p["W_f"]])
    b = torch.cat([p["b_i"], p["b_o"], p["b_u"], p["b_f"]])
    rows = ["i", "o", "u"] + [f"f{k + 1}" for k in range(N)]
    U = torch.cat([torch.cat([p[f"U_{r}_{l + 1}"] for l in range(N)], 1) for r in rows])  # ((3+N)H, N H)
    hs, cs = [], []
    for lvl, x in enumerate(X.index_select(0, lv.order).split(lv.sizes)):
        pre = torch.addmm(b, x, W.t())
        n = x.shape[0]
        if lv.groups[lvl]:
            where = (lv.parent[lvl], lv.slot[lvl])
            hk = x.new_zeros(n, N, H).index_put(where, _gather(lv, lvl, hs))
            ck = x.new_zeros(n, N, H).index_put(where, _gather(lv, lvl, cs))
            A = hk.reshape(n, N * H) @ U.t()
            pre = torch.cat([pre[:, :3 * H] + A[:, :3 * H], pre[:, 3 * H:].repeat(1, N) + A[:, 3 * H:]], 1)
        else:
            pre = torch.cat([pre[:, :3 * H], pre[:, 3 * H:].repeat(1, N)], 1)
        i, o, u = torch.sigmoid(pre[:, :H]), torch.sigmoid(pre[:, H:2 * H]), torch.tanh(pre[:, 2 * H:3 * H])
        c = i * u
        if lv.groups[lvl]:
            f = torch.sigmoid(pre[:, 3 * H:]).reshape(n, N, H)
            c = c + (f * ck).sum(1)
        hs.append(o * torch.tanh(c))
        cs.append(c)
    return hs, cs


def run(parent, X, params: dict, *, arity: int | None = None, positions=None, R=None):
    """Layout, forward and (with ``R``, the gradient of the loss Σ h ⊙ R, input order) backward.

    Returns ``(lv, hs, cs, leaves)``: the batches, per-level states and the
    tensors holding gradients (``leaves["x"]`` is X, the others parameters).
    """
    dtype = torch.as_tensor(X).dtype
    lv = levels(parent, positions)
    X = torch.as_tensor(X).requires_grad_(True)
    p = _tensors(params, dtype)
    hs, cs = child_sum(lv, X, p) if arity is None else nary(lv, X, p, arity)
    if R is not None:
        Rs = torch.as_tensor(R, dtype=dtype).index_select(0, lv.order).split(lv.sizes)
        loss = sum((h * r).sum() for h, r in zip(hs, Rs))
        loss.backward()
    return lv, hs, cs, dict(p, x=X)


def input_order(lv: Levels, per_level: list) -> torch.Tensor:
    """Per-level rows back in input order, (N, ·)."""
    out = torch.empty_like(torch.cat(per_level))
    out[lv.order] = torch.cat(per_level)
    return out
