"""Linear coefficients stay exactly as typed (nsimplify used to round 0.999999997 to 1 and 0.333333333333 to 1/3)."""

import numpy as np

import symrnn
from symrnn.numeric import init_params, run


def test_float_coefficients_are_not_rounded():
    b = symrnn.CellBuilder("coeffs")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    W = b.param("W", H, D)
    b.update("h", symrnn.tanh(0.999999997232426 * (W @ x) + 0.333333333333 * (W @ x)))
    cell = b.build()
    p = init_params(cell, {"D": 2, "H": 3}, rng=0)
    xs = np.random.default_rng(1).normal(size=(2, 4, 2))
    want = np.tanh((0.999999997232426 + 0.333333333333) * xs[-1] @ p["W"].T)  # h_t reads no h_{t-1}
    got_ref = run(cell, p, xs)[0][-1]
    k = symrnn.compile(cell, input_size=2, hidden_size=3)
    for name, v in p.items():
        k.params[name][...] = v
    got_kernel = k.forward(xs)[0][-1]
    assert np.max(np.abs(got_ref - want)) < 1e-15 and np.max(np.abs(got_kernel - want)) < 1e-15
    assert np.max(np.abs(np.tanh(4 / 3 * xs[-1] @ p["W"].T) - want)) > 1e-10  # the rounded cell differs


def test_one_function_table_serves_parsing_numbers_and_catalogues():
    """Parsing, the reference evaluator (NumPy and mpmath), the code printer and the catalogues read FUNCTIONS."""
    import mpmath

    import importlib

    rnn_module = importlib.import_module("symrnn.cells.rnn")
    from symrnn.numeric.reference import NUMPY_FUNCTIONS, _mp_functions
    from symrnn.spec.parse import FUNCTION_NAMES
    from symrnn.spec.symbols import FUNCTIONS
    models = importlib.import_module("symrnn.trees.models")

    names = {row.name for row in FUNCTIONS.values()}
    assert set(FUNCTION_NAMES) == {"Abs"} | {r.name for r in FUNCTIONS.values() if r.arity == 1}
    assert names <= set(NUMPY_FUNCTIONS) and names <= set(_mp_functions())
    assert set(rnn_module.ACTIVATIONS.values()) <= {r.function for r in FUNCTIONS.values()}
    assert set(models.ACTIVATIONS.values()) <= {r.function for r in FUNCTIONS.values()}
    with mpmath.workdps(60):  # the precise face really is 60-digit: σ(40) is not 1
        assert _mp_functions()["sigmoid"](mpmath.mpf(40)) < 1
