"""Hand-written NumPy LSTM, GRU and simple RNN: the speed reference for the generated kernels.

Not library code: ``symrnn bench`` times the generated kernels against these.
They are written the way a careful NumPy programmer writes them — the input
projection of all T steps in one GEMM, all gates of a step in one GEMM, gate
rows reordered so that the sigmoid gates are contiguous (one call), in-place
pointwise updates, one GEMM per weight matrix for the gradients, every
product through NumPy's own BLAS (SciPy's ``gemm`` would accumulate in place,
but its separate OpenBLAS thread pool competes with NumPy's: see
:mod:`symrnn.codegen.forward`) — and they
use the PyTorch parameter layout (LSTM rows i, f, g, o; GRU r, z, n with
b_hn inside the reset product).

Each ``*_forward(x, p, h0[, c0])`` returns ``(outputs, tape)`` and each
``*_backward(tape, p, d_out)`` returns a gradient dict.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pack", "unpack", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward", "rnn_forward", "rnn_backward",
           "FORWARD", "BACKWARD"]


def _sig_half(half_a, out):
    """σ(a) from a/2 (the stacked weights of the sigmoid gates are pre-scaled by 0.5)."""
    np.tanh(half_a, out=out)
    out *= 0.5
    out += 0.5
    return out


def _halved(m, rows):
    out = m.copy()
    out[:rows] *= 0.5
    return out


def pack(kind: str, params: dict) -> dict:
    """Stacked matrices from symrnn-named parameters (LSTM rows i, f, o, g: sigmoids first)."""
    gates = {"lstm": "ifog", "gru": "rzn"}.get(kind)
    if gates is None:
        return {"W": params["W"], "U": params["U"], "b": params["b"]}
    out = {"W": np.concatenate([params[f"W_{g}"] for g in gates]),
           "U": np.concatenate([params[f"U_{g}"] for g in gates])}
    if kind == "lstm":
        out["b"] = np.concatenate([params[f"b_{g}"] for g in gates])
    else:
        out["bx"] = np.concatenate([params["b_r"], params["b_z"], params["b_in"]])
        out["bh"] = np.concatenate([np.zeros_like(params["b_r"]), np.zeros_like(params["b_z"]), params["b_hn"]])
    return out


def unpack(kind: str, grads: dict, H: int) -> dict:
    """symrnn-named gradients from the stacked ones a ``*_backward`` returns (the inverse of :func:`pack`).

    Input and initial-state gradients are renamed as the generated kernel names
    them: ``x``, ``h`` (from ``h0``) and, for the LSTM, ``c`` (from ``c0``).

    Examples
    --------
    >>> import numpy as np
    >>> H = 2
    >>> g = {"W": np.arange(12.).reshape(6, 2), "U": np.zeros((6, 2)), "bx": np.arange(6.),
    ...      "bh": np.arange(6.) + 10, "x": np.zeros((1, 1, 2)), "h0": np.zeros((1, 2))}
    >>> out = unpack("gru", g, H)
    >>> out["W_z"].tolist(), out["b_in"].tolist(), out["b_hn"].tolist(), sorted(out)[-2:]
    ([[4.0, 5.0], [6.0, 7.0]], [4.0, 5.0], [14.0, 15.0], ['h', 'x'])
    """
    gates = {"lstm": "ifog", "gru": "rzn"}.get(kind)
    out = {"x": grads["x"], "h": grads["h0"]}
    if kind == "lstm":
        out["c"] = grads["c0"]
    if gates is None:
        out.update(W=grads["W"], U=grads["U"], b=grads["b"])
        return out
    for j, g in enumerate(gates):
        rows = slice(j * H, (j + 1) * H)
        out[f"W_{g}"], out[f"U_{g}"] = grads["W"][rows], grads["U"][rows]
        if kind == "lstm":
            out[f"b_{g}"] = grads["b"][rows]
        elif g == "n":
            out["b_in"], out["b_hn"] = grads["bx"][rows], grads["bh"][rows]
        else:
            out[f"b_{g}"] = grads["bx"][rows]
    return out


def lstm_forward(x, p, h0, c0):
    T, B, D = x.shape
    H = h0.shape[1]
    W, U, b = (_halved(p[k], 3 * H) for k in ("W", "U", "b"))
    G = (x.reshape(T * B, D) @ W.T + b).reshape(T, B, 4 * H)
    Hs, Cs, TC = np.empty((T + 1, B, H), x.dtype), np.empty((T + 1, B, H), x.dtype), np.empty((T, B, H), x.dtype)
    Hs[0], Cs[0] = h0, c0
    UT, R = U.T, np.empty((B, 4 * H), x.dtype)
    for t in range(T):
        g = G[t]
        g += np.matmul(Hs[t], UT, out=R)
        _sig_half(g[:, :3 * H], out=g[:, :3 * H])
        np.tanh(g[:, 3 * H:], out=g[:, 3 * H:])
        c = Cs[t + 1]
        np.multiply(g[:, H:2 * H], Cs[t], out=c)
        c += g[:, :H] * g[:, 3 * H:]
        np.tanh(c, out=TC[t])
        np.multiply(g[:, 2 * H:3 * H], TC[t], out=Hs[t + 1])
    return Hs[1:], {"x": x, "G": G, "Hs": Hs, "Cs": Cs, "TC": TC}


def lstm_backward(tape, p, d_out):
    x, G, Hs, Cs, TC = tape["x"], tape["G"], tape["Hs"], tape["Cs"], tape["TC"]
    T, B, D = x.shape
    H = Hs.shape[2]
    dG = np.empty_like(G)
    dh, dc = np.zeros((B, H), x.dtype), np.zeros((B, H), x.dtype)
    dY = np.empty((B, 4 * H), x.dtype)
    for t in range(T - 1, -1, -1):
        g, d = G[t], dG[t]
        dh += d_out[t]
        i, f, o, gg = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
        tc = TC[t]
        np.multiply(dh, tc, out=dY[:, 2 * H:3 * H])
        dc += dh * o * (1 - tc * tc)
        np.multiply(dc, gg, out=dY[:, :H])
        np.multiply(dc, Cs[t], out=dY[:, H:2 * H])
        np.multiply(dc, i, out=dY[:, 3 * H:])
        dc *= f
        s = g[:, :3 * H]
        np.multiply(dY[:, :3 * H], s * (1 - s), out=d[:, :3 * H])
        np.multiply(dY[:, 3 * H:], 1 - gg * gg, out=d[:, 3 * H:])
        dh = d @ p["U"]
    dG2 = dG.reshape(T * B, 4 * H)
    return {"W": dG2.T @ x.reshape(T * B, D), "U": dG2.T @ Hs[:T].reshape(T * B, H), "b": dG2.sum(0),
            "x": (dG2 @ p["W"]).reshape(T, B, D), "h0": dh, "c0": dc}


def gru_forward(x, p, h0):
    T, B, D = x.shape
    H = h0.shape[1]
    W, U, bx = (_halved(p[k], 2 * H) for k in ("W", "U", "bx"))
    GX = (x.reshape(T * B, D) @ W.T + bx).reshape(T, B, 3 * H)
    Hs, AHN = np.empty((T + 1, B, H), x.dtype), np.empty((T, B, H), x.dtype)
    Hs[0] = h0
    UT, R = U.T, np.empty((B, 3 * H), x.dtype)
    for t in range(T):
        g = GX[t]
        np.matmul(Hs[t], UT, out=R)
        R[:, 2 * H:] += p["bh"][2 * H:]
        g[:, :2 * H] += R[:, :2 * H]
        _sig_half(g[:, :2 * H], out=g[:, :2 * H])
        AHN[t] = R[:, 2 * H:]
        n = g[:, 2 * H:]
        n += g[:, :H] * AHN[t]
        np.tanh(n, out=n)
        h = Hs[t + 1]
        np.subtract(Hs[t], n, out=h)
        h *= g[:, H:2 * H]
        h += n
    return Hs[1:], {"x": x, "G": GX, "Hs": Hs, "AHN": AHN}


def gru_backward(tape, p, d_out):
    x, G, Hs, AHN = tape["x"], tape["G"], tape["Hs"], tape["AHN"]
    T, B, D = x.shape
    H = Hs.shape[2]
    dGX, dGH = np.empty_like(G), np.empty_like(G)
    dh = np.zeros((B, H), x.dtype)
    dY = np.empty((B, 2 * H), x.dtype)
    for t in range(T - 1, -1, -1):
        g, dx, dhh = G[t], dGX[t], dGH[t]
        dh += d_out[t]
        r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
        dan = dx[:, 2 * H:]
        np.multiply(dh, 1 - z, out=dan)
        dan *= 1 - n * n
        np.multiply(dh, Hs[t] - n, out=dY[:, H:])
        np.multiply(dan, AHN[t], out=dY[:, :H])
        np.multiply(dan, r, out=dhh[:, 2 * H:])
        s = g[:, :2 * H]
        np.multiply(dY, s * (1 - s), out=dx[:, :2 * H])
        dhh[:, :2 * H] = dx[:, :2 * H]
        dh = dh * z + dhh @ p["U"]
    dX2, dH2 = dGX.reshape(T * B, 3 * H), dGH.reshape(T * B, 3 * H)
    return {"W": dX2.T @ x.reshape(T * B, D), "U": dH2.T @ Hs[:T].reshape(T * B, H),
            "bx": dX2.sum(0), "bh": dH2.sum(0), "x": (dX2 @ p["W"]).reshape(T, B, D), "h0": dh}


def rnn_forward(x, p, h0):
    T, B, D = x.shape
    H = h0.shape[1]
    A = (x.reshape(T * B, D) @ p["W"].T + p["b"]).reshape(T, B, H)
    Hs = np.empty((T + 1, B, H), x.dtype)
    Hs[0] = h0
    UT, R = p["U"].T, np.empty((B, H), x.dtype)
    for t in range(T):
        A[t] += np.matmul(Hs[t], UT, out=R)
        np.tanh(A[t], out=Hs[t + 1])
    return Hs[1:], {"x": x, "Hs": Hs}


def rnn_backward(tape, p, d_out):
    x, Hs = tape["x"], tape["Hs"]
    T, B, D = x.shape
    H = Hs.shape[2]
    dA = np.empty((T, B, H), x.dtype)
    dh = np.zeros((B, H), x.dtype)
    for t in range(T - 1, -1, -1):
        dh += d_out[t]
        h = Hs[t + 1]
        np.multiply(dh, 1 - h * h, out=dA[t])
        dh = dA[t] @ p["U"]
    dA2 = dA.reshape(T * B, H)
    return {"W": dA2.T @ x.reshape(T * B, D), "U": dA2.T @ Hs[:T].reshape(T * B, H), "b": dA2.sum(0),
            "x": (dA2 @ p["W"]).reshape(T, B, D), "h0": dh}


FORWARD = {"lstm": lstm_forward, "gru": gru_forward, "rnn": rnn_forward}
BACKWARD = {"lstm": lstm_backward, "gru": gru_backward, "rnn": rnn_backward}
