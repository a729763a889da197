"""Long short-term memory and the variants of Greff et al. (2017).

The base is the PyTorch form (forget gate, no peepholes).  Each variant is
written out as its own equations, not derived by substitution, so that the
theorems "variant = LSTM with a gate fixed" are real statements to prove.
"""

from __future__ import annotations

from ..errors import SpecError
from ..spec import CellBuilder, sigmoid, tanh

GREFF = "Greff et al. 2017, LSTM: A search space odyssey (IEEE TNNLS)"

VARIANTS = {
    "vanilla": ("lstm", "Hochreiter & Schmidhuber 1997; Gers et al. 2000 (forget gate); the PyTorch form",
                "LSTM with forget gate, no peepholes"),
    "no_forget": ("lstm_no_forget", "Hochreiter & Schmidhuber 1997, Long short-term memory; " + GREFF,
                  "no forget gate: c_t = c_{t-1} + i_t * g_t (the constant error carousel)"),
    "peephole": ("lstm_peephole", "Gers & Schmidhuber 2000, Recurrent nets that time and count; " + GREFF,
                 "peepholes: i, f see c_{t-1}, o sees c_t, diagonal weights"),
    "coupled": ("lstm_coupled", "Cho et al. 2014; " + GREFF + " (CIFG)",
                "coupled input-forget gate: f_t = 1 - i_t"),
    "no_input": ("lstm_no_input", GREFF + " (NIG)", "no input gate: i_t = 1"),
    "no_output": ("lstm_no_output", GREFF + " (NOG)", "no output gate: o_t = 1"),
    "no_input_act": ("lstm_no_input_act", GREFF + " (NIAF)", "no input activation: the candidate is affine"),
    "no_output_act": ("lstm_no_output_act", GREFF + " (NOAF)", "no output activation: h_t = o_t * c_t"),
    "full_recurrence": ("lstm_full_recurrence", GREFF + " (FGR)",
                        "full gate recurrence: every gate also reads all gates at t-1"),
}


def lstm(variant: str = "vanilla"):
    """Long short-term memory cell, or one of its variants.

    Vanilla (PyTorch) form::

        i_t = σ(W_i x_t + U_i h_{t-1} + b_i)     f_t = σ(W_f x_t + U_f h_{t-1} + b_f)
        c̃_t = tanh(W_g x_t + U_g h_{t-1} + b_g)  o_t = σ(W_o x_t + U_o h_{t-1} + b_o)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t          h_t = o_t ⊙ tanh(c_t)

    Parameters
    ----------
    variant : str
        One of ``vanilla``, ``no_forget``, ``peephole``, ``coupled`` (f = 1 - i,
        as in Greff and the study note; TF-contrib couples i = 1 - f instead),
        ``no_input``, ``no_output``, ``no_input_act``, ``no_output_act``,
        ``full_recurrence``.

    References
    ----------
    Hochreiter, S. & Schmidhuber, J. (1997). Long short-term memory. Neural Computation 9(8).
    Greff, K. et al. (2017). LSTM: A search space odyssey. IEEE TNNLS 28(10).

    Examples
    --------
    >>> lstm().parameter_count()
    4*D*H + 4*H**2 + 4*H
    >>> lstm("coupled").parameter_count()
    3*D*H + 3*H**2 + 3*H
    """
    if variant not in VARIANTS:
        raise SpecError(f"lstm: variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    name, reference, summary = VARIANTS[variant]
    b = CellBuilder(name, family="lstm", reference=reference, summary=summary)
    D, H = b.sizes("D H")
    x = b.input("x", D)
    h, c = b.state("h", H), b.state("c", H)
    fgr = variant == "full_recurrence"
    gate_states = {}
    if fgr:  # the gates' values at t-1 are states
        gate_states = {k: b.state(k, H) for k in "ifo"}
    gates = {"i": variant not in ("no_input",), "f": variant not in ("no_forget", "coupled"),
             "o": variant != "no_output", "g": True}

    def pre(k):
        a = b.param(f"W_{k}", H, D) @ x + b.param(f"U_{k}", H, H) @ h + b.param(f"b_{k}", H)
        if fgr and k != "g":
            for j in "ifo":
                a = a + b.param(f"R_{j}{k}", H, H) @ gate_states[j]
        return a

    def peep(k, cell_value):
        return b.linear(pre(k), f"a_{k}") + b.param(f"p_{k}", H) * cell_value

    def gate(k, expr):  # under full gate recurrence the gates are states
        return b.update(k, expr) if fgr else b.let(k, expr)

    peephole = variant == "peephole"
    i = gate("i", sigmoid(peep("i", c) if peephole else pre("i"))) if gates["i"] else 1
    f = gate("f", sigmoid(peep("f", c) if peephole else pre("f"))) if gates["f"] else None
    if variant == "coupled":
        f = 1 - i
    elif f is None:
        f = 1
    if variant == "no_input_act":
        g = b.linear(pre("g"), "g", latex=r"\tilde{\mathbf{c}}", inline=False)
    else:
        g = b.let("g", tanh(pre("g")), latex=r"\tilde{\mathbf{c}}")
    c_new = b.update("c", f * c + i * g)
    o = None
    if gates["o"]:
        o_pre = pre("o")
        o = gate("o", sigmoid(b.linear(o_pre, "a_o") + b.param("p_o", H) * c_new) if peephole else sigmoid(o_pre))
    out = c_new if variant == "no_output_act" else tanh(c_new)
    b.update("h", out if o is None else o * out)
    return b.build(output="h")


ENTRIES = {name: (lstm, {"variant": v}) for v, (name, _, _) in VARIANTS.items()}
"""Catalogue names this family contributes: ``name -> (factory, options)`` (collected by :mod:`symrnn.cells`)."""
