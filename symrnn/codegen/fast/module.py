"""The text of one compiled-kernel module: imports, the dtype, and ``_fwd`` / ``_bwd`` with their numba signatures.

The module holds no size and no parameter value (sizes come in ``_z``), so its
text — and the disk cache entry named by its hash (:mod:`.cache`) — is shared
by every kernel of the same cell structure and dtype.  Signatures are explicit,
so numba compiles (or loads its cache) when the module is imported, not on the
first call.
"""

from __future__ import annotations

import re

import numpy as np

from ..plan import Plan
from .backward import backward_arguments, backward_core
from .forward import forward_arguments, forward_core
from .scalar import imports

__all__ = ["module_source"]


def _type(arg: str, plan: Plan, dt: str) -> str:
    """The numba type of one core argument (every array C-contiguous)."""
    if arg == "_z":
        return "int64[::1]"
    if arg == "_hm":
        return "boolean"
    if arg == "_mask":
        return "boolean[:, ::1]"
    if arg in ("_bias",) or (arg.startswith("_p_") and len(plan.shapes[arg[3:]]) == 1):
        return f"{dt}[::1]"
    if arg.startswith(("_M_", "_p_", "_I_", "_F_")):
        return f"{dt}[:, ::1]"
    return f"{dt}[:, :, ::1]"  # _X_, _S_, _Y_, _P, _dout


def _decorated(source: str, args: list, plan: Plan, dt: str) -> str:
    sig = ", ".join(_type(a, plan, dt) for a in args)
    return f'@_njit("({sig},)", cache=True, error_model="numpy")\n' + source


_TOKEN = re.compile(r"\b_(X|v|p|S|Y|M|I|F|G|Gp|Gi|Gv|gp|dX|W|g|n|lo|slo|shi|glo|gn|c\d+)_(\w+)")


def canonical(source: str) -> str:
    """``source`` with every name a description chose replaced by its order of appearance (``_v_h`` -> ``_v_u0``).

    The compiled code's text then depends on the cell's structure only: renamed
    copies of a cell (the layers of a stacked or bidirectional network, PyTorch's
    ``l1_fw_`` prefixes) share one module and one numba cache entry.

    Examples
    --------
    >>> canonical("_v_h = _S_h[_t] + _p_W_h * _v__x0")
    '_v_u0 = _S_u0[_t] + _p_u1 * _v_u2'
    """
    order: dict[str, str] = {}

    def sub(m):
        return f"_{m.group(1)}_{order.setdefault(m.group(2), f'u{len(order)}')}"

    return _TOKEN.sub(sub, source)


def module_source(dtype, parts: list) -> str:
    """Module text from ``parts``: (function name, Layout, Sizes, "forward" | "backward").

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.codegen.plan import make_plan
    >>> from symrnn.codegen.fast.layout import layout, Sizes
    >>> lay = layout(make_plan(symrnn.cell("rnn"), {"D": 2, "H": 3}))
    >>> text = module_source("float32", [("_fwd", lay, Sizes(), "forward")])
    >>> "_K = _np.float32" in text, "def _fwd(_z, _X_u0" in text, "3" in text.split("def _fwd")[1].split(":")[0]
    (True, True, False)
    """
    dt = np.dtype(dtype).name
    head = [f'"""A compiled symrnn kernel ({dt}), generated from a cell description (names canonical)."""',
            "import numpy as _np", "from numba import njit as _njit",
            "from symrnn.codegen.fast.blas import SMALL as _SMALL, local_threads as _threads, mm as _mm",
            *imports(dt), f"_K = _np.{dt}", ""]
    out = ["\n".join(head)]
    for fname, lay, sizes, kind in parts:
        if kind == "forward":
            src, args = forward_core(lay, sizes, fname), forward_arguments(lay.plan)
        else:
            src, args = backward_core(lay, sizes, fname), backward_arguments(lay.plan)
        out.append(_decorated(canonical(src), args, lay.plan, dt))
    return "\n\n".join(out)

