"""Keras 3 (torch backend) LSTM and GRU layers against kernels loaded with symrnn.interop.keras."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from symrnn.errors import InputError  # noqa: E402
from symrnn.interop.keras import from_keras, params_from_keras  # noqa: E402

LAYERS = [("LSTM", {}), ("GRU", {"reset_after": True}), ("GRU", {"reset_after": False}),
          ("GRU", {"reset_after": True, "use_bias": False})]


@pytest.mark.parametrize("kind,options", LAYERS)
def test_keras_layer_outputs_equal_the_loaded_kernel(kind, options, backend):
    rng = np.random.default_rng(len(kind) + len(options))
    B, T, D, H = 2, 5, int(rng.integers(1, 5)), int(rng.integers(1, 6))
    layer = getattr(keras.layers, kind)(H, return_sequences=True, return_state=True, dtype="float64", **options)
    layer.build((B, T, D))
    layer.set_weights([rng.uniform(-0.8, 0.8, w.shape) for w in layer.get_weights()])  # nonzero biases
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H))
    c0 = rng.standard_normal((B, H))
    initial = [h0, c0] if kind == "LSTM" else [h0]
    ref, *ref_states = (keras.ops.convert_to_numpy(v) for v in layer(x, initial_state=initial))
    k = from_keras(layer, backend=backend)
    out, final, _ = k.forward(np.ascontiguousarray(x.transpose(1, 0, 2)),
                              {"h": h0, "c": c0} if kind == "LSTM" else {"h": h0})
    # Keras 3.15's torch backend loses float64 precision somewhere in the reset_after=False
    # GRU (measured: 4e-8 from a float64 transcription of its own formula, which symrnn
    # matches to 1e-16); every other layer agrees to 1e-10.
    tol = 1e-6 if options.get("reset_after") is False else 1e-10
    np.testing.assert_allclose(out.transpose(1, 0, 2), ref, rtol=0, atol=tol)
    np.testing.assert_allclose(final["h"], ref_states[0], rtol=0, atol=tol)
    if kind == "LSTM":
        np.testing.assert_allclose(final["c"], ref_states[1], rtol=0, atol=tol)


def test_gate_order_matters():
    """Swapping Keras' z and r columns (the PyTorch order) changes the outputs: the test can fail."""
    rng = np.random.default_rng(0)
    w = [rng.standard_normal((2, 9)), rng.standard_normal((3, 9)), rng.standard_normal((2, 9))]
    cell, p = params_from_keras(w, "gru")
    swapped = [np.concatenate([a[..., 3:6], a[..., 0:3], a[..., 6:]], axis=-1) for a in w]
    _, q = params_from_keras(swapped, "gru")
    assert np.array_equal(p["W_z"], q["W_r"]) and not np.array_equal(p["W_z"], q["W_z"])


def test_bad_weights_raise():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="bias has shape"):
        params_from_keras([rng.standard_normal((2, 9)), rng.standard_normal((3, 9)), np.zeros(9)], "gru")
    with pytest.raises(InputError, match="recurrent_kernel"):
        params_from_keras([rng.standard_normal((2, 8)), rng.standard_normal((3, 8))], "lstm")
    with pytest.raises(InputError, match="kind"):
        params_from_keras([], "rnn")
    layer = keras.layers.GRU(3, activation="relu")
    layer.build((1, 2, 2))
    with pytest.raises(InputError, match="activation"):
        from_keras(layer)
