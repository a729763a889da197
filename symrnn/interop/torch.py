"""Weights in and out of PyTorch ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``.

PyTorch conventions (``torch.nn`` docs): ``weight_ih_l{k}`` is (G·H, in) with
gate rows LSTM ``i, f, g, o`` and GRU ``r, z, n``; ``weight_hh_l{k}`` is
(G·H, H); two biases ``bias_ih`` and ``bias_hh``; the reverse direction of a
bidirectional layer has the suffix ``_reverse``.  The two biases merge into
symrnn's one bias per gate, except the GRU's n gate, whose recurrent bias sits
inside r ⊙ (U_n h + b_hn): symrnn's ``gru_reset_after`` keeps ``b_in`` and
``b_hn`` apart.  ``bias=False`` gives zero biases.  torch is imported lazily:
it is a test extra, never a runtime dependency.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..spec.compose import rename

__all__ = ["from_torch", "to_torch", "torch_arrays", "params_from_torch", "initial_from_torch", "final_to_torch", "torch_cell"]

GATES = {"LSTM": "ifgo", "GRU": "rzn", "RNN": ""}


def torch_cell(module):
    """The symrnn cell matching a torch recurrent module (one layer, one direction)."""
    from .. import cells

    kind = _kind(module)
    if kind == "LSTM":
        return cells.cell("lstm")
    if kind == "GRU":
        return cells.cell("gru_reset_after")
    return cells.cell("rnn", activation=module.nonlinearity)


def _kind(module):
    try:
        import torch.nn as nn
    except ImportError as exc:  # pragma: no cover - torch is a test extra
        raise InputError("symrnn.interop.torch needs PyTorch (pip install torch)") from exc
    for kind, cls in (("LSTM", nn.LSTM), ("GRU", nn.GRU), ("RNN", nn.RNN)):
        if isinstance(module, cls):
            if getattr(module, "proj_size", 0):
                raise InputError(f"torch {kind} with proj_size={module.proj_size} is not supported "
                                 "(symrnn cells have no projection of h); use proj_size=0")
            return kind
    raise InputError(f"expected a torch nn.RNN, nn.LSTM or nn.GRU, got {type(module).__name__}")


def _prefix(module, layer: int, reverse: bool) -> str:
    if module.num_layers == 1 and not module.bidirectional:
        return ""
    direction = ("bw_" if reverse else "fw_") if module.bidirectional else ""
    return f"l{layer + 1}_{direction}"


def _directions(module):
    return (False, True) if module.bidirectional else (False,)


def params_from_torch(module, dtype=np.float64) -> dict:
    """symrnn parameters (numeric layout) of every layer and direction of ``module``.

    Single-layer unidirectional modules give the cell's own names (``W_i``…);
    otherwise names are prefixed ``l{k}_`` and, if bidirectional, ``fw_``/``bw_``.
    """
    kind = _kind(module)
    H = module.hidden_size
    sd = {k: v.detach().cpu().numpy().astype(dtype) for k, v in module.state_dict().items()}
    out = {}
    for layer in range(module.num_layers):
        for rev in _directions(module):
            sfx = f"_l{layer}" + ("_reverse" if rev else "")
            w_ih, w_hh = sd["weight_ih" + sfx], sd["weight_hh" + sfx]
            zeros = np.zeros(w_ih.shape[0], dtype)
            b_ih, b_hh = sd.get("bias_ih" + sfx, zeros), sd.get("bias_hh" + sfx, zeros)
            pre = _prefix(module, layer, rev)
            if kind == "RNN":
                out.update({pre + "W": w_ih, pre + "U": w_hh, pre + "b": b_ih + b_hh})
                continue
            for j, g in enumerate(GATES[kind]):
                rows = slice(j * H, (j + 1) * H)
                out[f"{pre}W_{g}"] = w_ih[rows].copy()
                out[f"{pre}U_{g}"] = w_hh[rows].copy()
                if kind == "GRU" and g == "n":
                    out[f"{pre}b_in"], out[f"{pre}b_hn"] = b_ih[rows].copy(), b_hh[rows].copy()
                else:
                    out[f"{pre}b_{g}"] = b_ih[rows] + b_hh[rows]
    return out


def from_torch(module, dtype=np.float64, *, backend="numpy"):
    """A symrnn kernel (one layer, one direction) or network computing what ``module`` computes.

    ``backend`` is :func:`symrnn.compile`'s ("numpy", "numba" or "auto").

    Sequences are in the module's layout: (T, B, D), or (B, T, D) for a
    ``batch_first=True`` module, whose kernel is then wrapped in a
    :class:`~symrnn.interop.layout.SequenceLayout` (inputs, outputs and their
    gradients batch-first; states stay (B, H), as in PyTorch).  Dropout between
    layers is not modelled (eval mode).

    Examples
    --------
    >>> import numpy as np, torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> gru = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True).double()
    >>> net = from_torch(gru)
    >>> x = np.random.default_rng(0).standard_normal((5, 2, 3))
    >>> out, final, _ = net.forward(x)
    >>> ref, h_n = gru(torch.from_numpy(x))
    >>> bool(np.allclose(out, ref.detach().numpy(), atol=1e-12))
    True
    >>> bool(np.allclose(final_to_torch(net, final), h_n.detach().numpy(), atol=1e-12))
    True
    """
    from ..codegen import Kernel, Network

    cell = torch_cell(module)
    D, H = module.input_size, module.hidden_size
    params = params_from_torch(module, dtype)
    if module.num_layers == 1 and not module.bidirectional:
        return _layout(Kernel(cell, {"D": D, "H": H}, dtype, params, backend), module)
    layers = []
    width = 2 if module.bidirectional else 1
    for layer in range(module.num_layers):
        d_in = D if layer == 0 else H * width
        entry = []
        for rev in _directions(module):
            c = rename(cell, _prefix(module, layer, rev))
            names = [p.name for p in c.params]
            entry.append((Kernel(c, {"D": d_in, "H": H}, dtype, {n: params[n] for n in names}, backend), rev))
        layers.append(entry)
    return _layout(Network(layers), module)


def _layout(kernel, module):
    """``kernel`` as it is, or batch-first at its boundary for a ``batch_first=True`` module."""
    if not module.batch_first:
        return kernel
    from .layout import SequenceLayout

    return SequenceLayout(kernel, batch_first=True)


def _state_names(obj, states):
    """Per (layer, direction), in PyTorch's h_n order: torch state name -> symrnn name."""
    kernels = obj.kernels if hasattr(obj, "kernels") else [obj]
    return [{s: k.output[: -len("h")] + s for s in states} for k in kernels]


def initial_from_torch(obj, h0, c0=None) -> dict:
    """symrnn initial states from PyTorch's ``h0`` (and ``c0``), (L·dirs, B, H) arrays."""
    names = _state_names(obj, ("h", "c") if c0 is not None else ("h",))
    out = {}
    for j, entry in enumerate(names):
        out[entry["h"]] = np.ascontiguousarray(np.asarray(h0)[j])
        if c0 is not None:
            out[entry["c"]] = np.ascontiguousarray(np.asarray(c0)[j])
    return out


def final_to_torch(obj, final: dict, state: str | None = None):
    """What the torch module returns as its final state, from symrnn final states (or their gradients).

    ``h_n`` for an RNN or GRU and the pair ``(h_n, c_n)`` for an LSTM, as
    ``nn.LSTM`` returns them; each is (L·dirs, B, H).  ``state="h"`` or
    ``state="c"`` gives that one array alone.

    Parameters
    ----------
    obj : Kernel, Network or SequenceLayout
        What :func:`from_torch` returned.
    final : dict
        symrnn final states by name (``forward``'s second result, or the
        initial-state gradients ``backward`` returns).
    state : {None, "h", "c"}

    Raises
    ------
    InputError
        ``state`` is not ``None``, ``"h"`` or ``"c"``, or ``"c"`` for a model without a cell state.

    Examples
    --------
    >>> import numpy as np, torch
    >>> _ = torch.manual_seed(0)
    >>> lstm = torch.nn.LSTM(3, 4, num_layers=2).double()
    >>> net = from_torch(lstm)
    >>> _, final, _ = net.forward(np.ones((5, 2, 3)))
    >>> h_n, c_n = final_to_torch(net, final)
    >>> _, (ref_h, ref_c) = lstm(torch.ones(5, 2, 3, dtype=torch.float64))
    >>> bool(np.allclose(h_n, ref_h.detach().numpy())), bool(np.allclose(c_n, ref_c.detach().numpy()))
    (True, True)
    """
    if state not in (None, "h", "c"):
        raise InputError(f"final_to_torch: state must be None (what the module returns), 'h' or 'c'; got {state!r}")
    kernels = obj.kernels if hasattr(obj, "kernels") else [getattr(obj, "kernel", obj)]
    has_cell = all(k.output[: -len("h")] + "c" in k.cell.state_names for k in kernels)
    if state == "c" and not has_cell:
        raise InputError("final_to_torch: state='c' needs an LSTM; this model has no cell state")
    wanted = ("h", "c") if state is None and has_cell else (state or "h",)
    names = _state_names(obj, wanted)
    arrays = tuple(np.stack([final[entry[s]] for entry in names]) for s in wanted)
    return arrays if len(arrays) > 1 else arrays[0]


def torch_arrays(values: dict, module, *, gradients: bool = False) -> dict:
    """PyTorch parameter arrays by torch name from symrnn-named ``values``.

    For parameters, merged biases go to ``bias_ih`` and ``bias_hh`` is zero
    (except the GRU's n gate, which keeps ``b_hn``): the same function.  With
    ``gradients=True`` the values are gradients, and ∂L/∂b_ih = ∂L/∂b_hh = ∂L/∂b.
    """
    kind = _kind(module)
    H = module.hidden_size
    new = {}
    for layer in range(module.num_layers):
        for rev in _directions(module):
            sfx = f"_l{layer}" + ("_reverse" if rev else "")
            pre = _prefix(module, layer, rev)
            if kind == "RNN":
                w_ih, w_hh, b_ih = values[pre + "W"], values[pre + "U"], values[pre + "b"]
                b_hh = b_ih if gradients else np.zeros_like(b_ih)
            else:
                gates = GATES[kind]
                w_ih = np.concatenate([values[f"{pre}W_{g}"] for g in gates])
                w_hh = np.concatenate([values[f"{pre}U_{g}"] for g in gates])
                merged = {g: values[f"{pre}b_{g}"] for g in gates if not (kind == "GRU" and g == "n")}
                if kind == "GRU":
                    merged["n"] = values[f"{pre}b_in"]
                b_ih = np.concatenate([merged[g] for g in gates])
                b_hh = b_ih.copy() if gradients else np.zeros_like(b_ih)
                if kind == "GRU":
                    b_hh[2 * H:] = values[f"{pre}b_hn"]
            new.update({"weight_ih" + sfx: w_ih, "weight_hh" + sfx: w_hh})
            if module.bias:
                new.update({"bias_ih" + sfx: b_ih, "bias_hh" + sfx: b_hh})
            elif not gradients and (np.any(b_ih) or np.any(b_hh)):
                raise InputError(f"to_torch: the module has bias=False but {pre or 'the '}biases are not zero")
    return new


def to_torch(params: dict, module) -> None:
    """Copy symrnn parameters (named as :func:`params_from_torch` names them) into ``module``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> lstm = torch.nn.LSTM(2, 3).double()
    >>> params = params_from_torch(lstm)
    >>> params["b_f"] = params["b_f"] + 1.0
    >>> to_torch(params, lstm)
    >>> bool(np.allclose(params_from_torch(lstm)["b_f"], params["b_f"]))
    True
    """
    import torch

    new = torch_arrays(params, module)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.as_tensor(new[name], dtype=p.dtype))
