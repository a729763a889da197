"""Generate the forward pass of a cell from its :class:`~symrnn.codegen.plan.Plan`.

The generated function runs a whole batched sequence:

1. the input projection of all T steps: one GEMM per input vector into the
   pre-activation buffer ``_P`` (T, B, NL), biases added once;
2. per step: one GEMM per previous-state vector (all gates at once) into a
   scratch buffer, added to ``_P[t]``; activation groups in place; the other pointwise stages printed
   from their SymPy expressions into preallocated storage; late linear stages
   (reading values of the same step) with their own GEMM;
3. with a mask (variable lengths), rows past a sequence's end keep their state.

It returns the tape: the arrays the backward pass reads, nothing else.

Every identifier of the generated code starts with an underscore — fixed ones
(``_P``, ``_T``, ``_np``) and ones derived from a name (``_X_x`` the input
sequence ``x``, ``_v_z`` the gate ``z`` at step t, ``_p_W`` a parameter, ``_s_h``
a state) — so user names, which never do, cannot shadow any of them
(:mod:`symrnn.codegen.naming`).

Every product goes through NumPy's ``matmul`` — never SciPy's BLAS wrappers,
although ``gemm`` with ``beta = 1`` would accumulate into ``_P[t]`` without the
scratch pass.  NumPy and SciPy wheels each bundle their own OpenBLAS with its
own thread pool, and a pool's threads spin for a while after each call: mixing
the two made the other pool's spinning threads compete with every GEMM.
Measured here (2 cores, LSTM, T = 100, B = 64, forward + backward): H = 128
float64 200 ms mixed vs 118 ms NumPy only; float32 124 vs 63 ms; H = 512
float32 674 vs 522 ms.  The extra pass over ``_P[t]`` costs far less.
"""

from __future__ import annotations

from .plan import Plan, prev_name
from .printer import cheapest, emit_into

__all__ = ["forward_source", "value_names", "Writer"]


class Writer:
    """Lines of Python source with indentation."""

    def __init__(self):
        self.lines: list[str] = []
        self.level = 0

    def __call__(self, *lines):
        for line in lines:
            self.lines.append("    " * self.level + line)

    def block(self):
        writer = self

        class _Block:
            def __enter__(self):
                writer.level += 1

            def __exit__(self, *exc):
                writer.level -= 1

        return _Block()

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def value_names(plan: Plan) -> dict:
    """Source name of every value at step ``t`` (bound at the top of the loop body)."""
    cell = plan.cell
    names = {}
    for d in cell.inputs:
        names[d.name] = f"_v_{d.name}"
    for p in cell.params:
        names[p.name] = f"_p_{p.name}"
    for s in plan.states:
        names[s] = f"_s_{s}"
        names[prev_name(s)] = f"_s_{prev_name(s)}"
    for name, loc in plan.storage.items():
        if loc[0] in ("slot", "tape", "temp"):
            names[name] = f"_v_{name}"
    return names


def cols(buffer: str, lo: int, hi: int, width: int) -> str:
    """``buffer[:, lo:hi]``, or the buffer itself when the range is all of it."""
    return buffer if (lo, hi) == (0, width) else f"{buffer}[:, {lo}:{hi}]"


def step_bindings(plan: Plan, buffer: str = "_Pt") -> list[str]:
    """``_v_name = …`` for every value of step ``_t`` (unused ones are pruned later)."""
    out = [f"_v_{d.name} = _X_{d.name}[_t]" for d in plan.cell.inputs]
    for s in plan.states:
        roll = s in plan.rolling
        out.append(f"_s_{s} = _S_{s}[(_t + 1) % 2]" if roll else f"_s_{s} = _S_{s}[_t + 1]")
        out.append(f"_s_{prev_name(s)} = _S_{s}[_t % 2]" if roll else f"_s_{prev_name(s)} = _S_{s}[_t]")
    for name, loc in plan.storage.items():
        if loc[0] == "slot":
            out.append(f"_v_{name} = {cols(buffer, loc[1], loc[2], plan.width)}")
        elif loc[0] == "tape":
            out.append(f"_v_{name} = _Y_{name}[_t]")
        elif loc[0] == "temp":
            out.append(f"_v_{name} = _Y_{name}")
    return out


def prune(lines: list[str]) -> list[str]:
    """Drop ``_v_…``, ``_s_…``, ``_d_…`` bindings whose name no other line reads."""
    import re

    out = list(lines)
    changed = True
    while changed:
        changed = False
        for i, line in enumerate(out):
            m = re.match(r"\s*(_[vsd]_\w+) = ", line)
            if m:
                word = re.compile(rf"\b{m.group(1)}\b")
                if not any(word.search(other) for j, other in enumerate(out) if j != i):
                    del out[i]
                    changed = True
                    break
    return out


def param_lines(plan: Plan) -> list[str]:
    return [f"_p_{p.name} = _params[{p.name!r}]" for p in plan.cell.params]


def half(plan: Plan, lo: int) -> float:
    """0.5 for slots of sigmoid groups, else 1.

    The forward pass computes σ(a) = 0.5 + 0.5 tanh(a/2) with a/2 straight out of
    the GEMM (its rows scaled by 0.5 when stacked): one pass fewer per gate.  The
    backward pass uses the unscaled stacks and the true adjoint of a.
    """
    return 0.5 if any(f == "sigmoid" and g_lo <= lo < g_hi for f, g_lo, g_hi, _ in plan.groups) else 1.0


def source_stacks(plan: Plan, scaled: bool = False) -> list[str]:
    """Stacked matrices of every early source: ``_M_x`` (rows lo:hi of the slots)."""
    out = []
    for v, (lo, hi, blocks) in plan.sources.items():
        spec = [(b_lo - lo, b_hi - lo, f"_p_{m}", float(c) * (half(plan, b_lo) if scaled else 1.0))
                for b_lo, b_hi, m, c in blocks]
        out.append(f"_M_{v} = _stack({hi - lo}, {plan.n[v]}, [{', '.join(f'({a}, {b}, {m}, {c!r})' for a, b, m, c in spec)}], _dt)")
    return out


def forward_source(plan: Plan, fname: str = "_forward", *, methods=None) -> str:
    """Python source of the forward function (see the module docstring).

    ``methods`` maps the two array methods the source calls, ``copy`` and
    ``fill``, to another array library's spelling (torch: ``clone``, ``fill_``;
    :mod:`symrnn.pytorch`); the default is NumPy's.
    """
    cell = plan.cell
    spell = {"copy": "copy", "fill": "fill", **(methods or {})}
    names = value_names(plan)
    w = Writer()
    inputs = [d.name for d in cell.inputs]
    w(f"def {fname}(_xs, _params, _init, _mask):")
    with w.block():
        w('"""Forward pass of cell {!r}, generated from its description.'.format(cell.name), "")
        w("Parameters", "----------")
        w("_xs : dict", "    " + ", ".join(f"{n}: (T, B, {plan.n[n]})" for n in inputs))
        w("_params : dict", "    " + ", ".join(f"{p}: {s}" for p, s in plan.shapes.items()))
        w("_init : dict", "    initial states " + ", ".join(f"{s}: (B, {plan.n[s]})" for s in plan.states))
        w("_mask : (T, B, 1) bool array or None", "    True where step t of sequence b is valid.", "")
        w("Returns", "-------", "tape : dict", "    the arrays the backward pass reads.", '"""')
        for n in inputs:
            w(f"_X_{n} = _xs[{n!r}]")
        w(*param_lines(plan))
        first = plan.states[0]
        w(f"_B = _init[{first!r}].shape[0]", f"_dt = _init[{first!r}].dtype", f"_T = _X_{inputs[0]}.shape[0]")
        w(*source_stacks(plan, scaled=True))
        _input_projection(plan, w, spell["fill"])
        for s in plan.states:
            steps = "2" if s in plan.rolling else "_T + 1"
            w(f"_S_{s} = _np.empty(({steps}, _B, {plan.n[s]}), _dt)", f"_S_{s}[0] = _init[{s!r}]")
        for name, loc in plan.storage.items():
            if loc[0] == "tape":
                w(f"_Y_{name} = _np.empty((_T, _B, {plan.n[name]}), _dt)")
            elif loc[0] == "temp":
                w(f"_Y_{name} = _np.empty((_B, {plan.n[name]}), _dt)")
        rec = [(v, lo, hi) for v, (lo, hi, _) in plan.sources.items() if cell.role(v) == "previous"]
        for v, lo, hi in rec:
            w(f"_MT_{v} = _M_{v}.T", f"_R_{v} = _np.empty((_B, {hi - lo}), _dt)")
        w("_keep = None if _mask is None else ~_mask")
        w("for _t in _range(_T):")
        with w.block():
            body = Writer()
            body("_Pt = _P[_t]")
            body(*step_bindings(plan))
            for v, lo, hi in rec:  # numpy's BLAS only: see the module docstring
                body(f"_np.matmul({names[v]}, _MT_{v}, out=_R_{v})")
                body(f"{cols('_Pt', lo, hi, plan.width)} += _R_{v}")
            _bare_previous(plan, body, names)
            for f, lo, hi, _ in plan.groups:
                g = cols("_Pt", lo, hi, plan.width)
                body(f"{_FN[f]}({g}, out={g})")
            for name in plan.order:
                if name in plan.late:
                    _late(plan, body, name, names)
                elif name in plan.pointwise:
                    expr = plan.aux[name][0] if name in plan.aux else plan.exprs[name]
                    loc = plan.storage[name]
                    alias = None
                    if loc[0] == "slot":
                        alias = next((s.name for s in expr.free_symbols
                                      if plan.storage.get(s.name) == loc and s.name != name), None)
                    body(*emit_into(cheapest(expr), names[name], names, alias=alias))
                if name in plan.slots and name in plan.states:
                    body(f"{names[name]}[...] = {cols('_Pt', *plan.slots[name], plan.width)}")
            body("if _mask is not None:")
            with body.block():
                for s in plan.states:
                    body(f"_np.copyto({names[s]}, {names[prev_name(s)]}, where=_keep[_t])")
            w(*prune(body.lines))
        tape = {f"_X_{n}": f"_X_{n}" for n in inputs}
        tape.update({f"_S_{s}": f"_S_{s}" for s in plan.states if s not in plan.rolling})
        tape.update({f"_F_{s}": f"_S_{s}[{'_T % 2' if s in plan.rolling else '_T'}].{spell['copy']}()" for s in plan.states})
        tape.update({f"_Y_{n}": f"_Y_{n}" for n, loc in plan.storage.items() if loc[0] == "tape"})
        if any(plan.storage[n][0] == "slot" for n in plan.needed if n in plan.storage):
            tape["_P"] = "_P"
        w("return {" + ", ".join(f"{k!r}: {v}" for k, v in tape.items()) + "}")
    return w.text()


_FN = {"sigmoid": "_sigmoid_of_half", "tanh": "_np.tanh", "relu": "_relu", "exp": "_np.exp"}


def _input_projection(plan, w, fill="fill"):
    cell = plan.cell
    w(f"_P = _np.empty((_T, _B, {plan.width}), _dt)")
    w(f"_P2 = _P.reshape(_T * _B, {plan.width})")
    ins = [(v, lo, hi) for v, (lo, hi, _) in plan.sources.items() if cell.role(v) == "input"]
    first = max(ins, key=lambda s: s[2] - s[1]) if ins else None
    if first is None:
        w(f"_P2.{fill}(0)")
    else:
        v, lo, hi = first
        target = "_P2" if (lo, hi) == (0, plan.width) else f"_P2[:, {lo}:{hi}]"
        w(f"_np.matmul(_X_{v}.reshape(_T * _B, {plan.n[v]}), _M_{v}.T, out={target})")
        if lo > 0:
            w(f"_P2[:, :{lo}] = 0")
        if hi < plan.width:
            w(f"_P2[:, {hi}:] = 0")
        first = v
    for v, lo, hi in ins:
        if v != first:
            w(f"_P2[:, {lo}:{hi}] += _X_{v}.reshape(_T * _B, {plan.n[v]}) @ _M_{v}.T")
    if plan.biases:
        w("_P2 += _stack_bias(" + str(plan.width) + ", [" +
          ", ".join(f"({lo}, {hi}, _p_{b}, {float(c) * half(plan, lo)!r})" for lo, hi, b, c in plan.biases) + "], _dt)")
    for eq in cell.equations:  # bare input vectors in a linear stage
        if eq.is_linear:
            lo, hi = plan.slots[eq.target]
            for t in cell.terms(eq.target):
                if t.matrix is None and cell.role(t.vector) == "input":
                    w(f"_P[:, :, {lo}:{hi}] += {float(t.coeff) * half(plan, lo)!r} * _X_{t.vector}")


def _bare_previous(plan, w, names):
    cell = plan.cell
    for eq in cell.equations:
        if eq.is_linear and eq.target not in plan.late:
            lo, hi = plan.slots[eq.target]
            for t in cell.terms(eq.target):
                if t.matrix is None and cell.role(t.vector) == "previous":
                    w(f"_Pt[:, {lo}:{hi}] += {float(t.coeff) * half(plan, lo)!r} * {names[t.vector]}")


def _late(plan, w, name, names):
    """A linear stage reading values of the same step: its own GEMMs, added to its slot."""
    cell = plan.cell
    for t in cell.terms(name):
        role = cell.role(t.vector)
        if role in ("param", "input") or (t.matrix is None and role == "param"):
            continue
        part = f"{names[t.vector]} @ _p_{t.matrix}.T" if t.matrix else names[t.vector]
        ref = cols("_Pt", *plan.slots[name], plan.width)
        w(f"{ref} += {part}" if t.coeff == 1 else f"{ref} += {float(t.coeff)!r} * ({part})")
