"""Where a value of step ``_t`` lives in the compiled kernels: one unit, a (B, n) block, or all T·B rows.

Arrays are the NumPy path's (:mod:`symrnn.codegen.forward`): ``_X_x`` (T, B, n)
inputs, ``_S_h`` (T + 1, B, n) states (two rolling buffers, rows ``_t0`` /
``_t1``, for a state the backward never reads), ``_P`` (T, B, NL) the slots,
``_Y_v`` (T, B, n) taped or (B, n) temporary values, ``_p_b`` per-unit
parameters.  A block is an address and a leading dimension, what BLAS takes
(:func:`~symrnn.codegen.fast.blas.mm`); a column block of ``_P`` has leading
dimension ``_NL``.
"""

from __future__ import annotations

from ..plan import Plan, prev_name
from .layout import Sizes

__all__ = ["Places"]


class Places:
    """Source expressions for the values of one plan (sizes by name through ``sizes``)."""

    def __init__(self, plan: Plan, sizes: Sizes):
        self.plan, self.sizes = plan, sizes
        self.prev = {prev_name(s): s for s in plan.states}
        self.NL = sizes.name("NL", "P", plan.width)

    def n(self, v: str) -> str:
        """Length of vector ``v``."""
        return self.sizes.name("n", v, self.plan.n[v])

    def lo(self, v: str) -> str:
        """First column of ``v``'s slot in ``_P`` (or ``_dA``)."""
        loc = self.plan.storage.get(v)
        if loc and loc[0] == "slot":  # one name per slot: the linear target's (then LLVM sees the same address)
            v = next(a for a, (lo, hi) in self.plan.slots.items() if (lo, hi) == loc[1:])
        return self.sizes.name("lo", v, self.plan.slots[v][0])

    def state_row(self, s: str, previous: bool) -> str:
        if s in self.plan.rolling:
            return "_t0" if previous else "_t1"
        return "_t" if previous else "(_t + 1)"

    def kind(self, v: str) -> str:
        plan = self.plan
        role = plan.role(v)
        if role in ("input", "param"):
            return role
        if v in self.prev:
            return "previous"
        if v in plan.states:
            return "state"
        return plan.storage[v][0]  # slot, tape, temp

    def unit(self, v: str, j: str = "_j") -> str:
        """The element of ``v`` for unit ``(_b, j)`` at step ``_t``."""
        k = self.kind(v)
        if k == "input":
            return f"_X_{v}[_t, _b, {j}]"
        if k == "param":
            return f"_p_{v}[{j}]"
        if k in ("previous", "state"):
            s = self.prev.get(v, v)
            return f"_S_{s}[{self.state_row(s, k == 'previous')}, _b, {j}]"
        if k == "slot":
            return f"_P[_t, _b, {self.lo(v)} + {j}]"
        if k == "tape":
            return f"_Y_{v}[_t, _b, {j}]"
        return f"_Y_{v}[_b, {j}]"

    def _address(self, array: str, offset: str) -> str:
        return f"{array}.ctypes.data + ({offset}) * _isz"

    def block(self, v: str) -> tuple[str, str]:
        """(address, leading dimension) of ``v``'s (B, n) rows at step ``_t``."""
        k = self.kind(v)
        n = self.n(v)
        if k == "input":
            return self._address(f"_X_{v}", f"_t * _B * {n}"), n
        if k in ("previous", "state"):
            s = self.prev.get(v, v)
            return self._address(f"_S_{s}", f"{self.state_row(s, k == 'previous')} * _B * {n}"), n
        if k == "slot":
            return self._address("_P", f"_t * _B * {self.NL} + {self.lo(v)}"), self.NL
        if k == "tape":
            return self._address(f"_Y_{v}", f"_t * _B * {n}"), n
        return self._address(f"_Y_{v}", "0"), n

    def sequence(self, v: str) -> tuple[str, str]:
        """(address, leading dimension) of ``v``'s T·B rows over all steps (a value the backward reads)."""
        k = self.kind(v)
        n = self.n(v)
        if k == "input":
            return self._address(f"_X_{v}", "0"), n
        if k == "previous":
            return self._address(f"_S_{self.prev[v]}", "0"), n
        if k == "state":
            return self._address(f"_S_{v}", f"_B * {n}"), n
        if k == "slot":
            return self._address("_P", self.lo(v)), self.NL
        return self._address(f"_Y_{v}", "0"), n
