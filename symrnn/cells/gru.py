"""Gated recurrent units, with the reset gate before or after the matrix product."""

from __future__ import annotations

from ..errors import SpecError
from ..spec import CellBuilder, sigmoid, tanh

REFERENCE = {
    "before": "Cho et al. 2014, Learning phrase representations using RNN encoder-decoder for statistical machine translation",
    "after": "Cho et al. 2014 as implemented by cuDNN, PyTorch nn.GRU and Keras GRU(reset_after=True)",
}


def gru(reset: str = "before"):
    """Gated recurrent unit.

    r_t = σ(W_r x_t + U_r h_{t-1} + b_r), z_t = σ(W_z x_t + U_z h_{t-1} + b_z),
    h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ h̃_t, with the candidate h̃_t

    * ``reset="before"`` (Cho et al. 2014, the study note):
      h̃_t = tanh(W_n x_t + U_n (r_t ⊙ h_{t-1}) + b_n);
    * ``reset="after"`` (PyTorch, Keras ``reset_after=True``, cuDNN):
      h̃_t = tanh(W_n x_t + b_in + r_t ⊙ (U_n h_{t-1} + b_hn)).

    The two agree when r = 1 (after merging b_in + b_hn into b_n), and differ
    otherwise; with r = 0 the reset-after form also drops b_hn.

    References
    ----------
    Cho, K. et al. (2014). Learning phrase representations using RNN
    encoder-decoder for statistical machine translation. EMNLP.

    Examples
    --------
    >>> gru("after").parameter_count("torch")
    3*D*H + 3*H**2 + 6*H
    """
    if reset not in REFERENCE:
        raise SpecError(f"gru: reset must be 'before' or 'after', got {reset!r}")
    b = CellBuilder(f"gru_reset_{reset}", family="gru", reference=REFERENCE[reset],
                    summary=f"GRU, reset gate applied {reset} the recurrent product")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    W = {k: b.param(f"W_{k}", H, D) for k in "rzn"}
    U = {k: b.param(f"U_{k}", H, H) for k in "rzn"}
    r = b.let("r", sigmoid(W["r"] @ x + U["r"] @ h + b.param("b_r", H)))
    z = b.let("z", sigmoid(W["z"] @ x + U["z"] @ h + b.param("b_z", H)))
    if reset == "before":
        hr = b.let("hr", r * h, latex=r"\mathbf{h}'")
        n = b.let("n", tanh(W["n"] @ x + U["n"] @ hr + b.param("b_n", H)), latex=r"\tilde{\mathbf{h}}")
    else:
        b_in, b_hn = b.param("b_in", H), b.param("b_hn", H)
        a_xn = b.linear(W["n"] @ x + b_in, "a_xn")
        a_hn = b.linear(U["n"] @ h + b_hn, "a_hn")
        n = b.let("n", tanh(a_xn + r * a_hn), latex=r"\tilde{\mathbf{h}}")
    b.update("h", z * h + (1 - z) * n)
    return b.build()


ENTRIES = {"gru_reset_before": (gru, {"reset": "before"}), "gru_reset_after": (gru, {"reset": "after"})}
"""Catalogue names this family contributes: ``name -> (factory, options)`` (collected by :mod:`symrnn.cells`)."""
