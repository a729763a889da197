"""SymPy specials in ``substitute`` are refused at the boundary (issue 15, defect 2).

Before the fix ``{"z": sp.nan}``, ``sp.oo``, ``10**400`` and ``Float("1e400")`` put
``nan``/``inf`` into the generated source (NameError at run time) and ``sp.zoo``,
``sp.I`` gave a late CompileError that did not name ``z``.  Now each is a
``SpecError`` naming the key, the value and what is expected; finite real
constants that are not plain numbers (pi, sqrt(2)) compile and agree with the
slow reference loop.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn.codegen.printer import to_source
from symrnn.errors import CompileError, SpecError
from symrnn.numeric import init_params, run

GRU = symrnn.cell("gru_reset_before")
H_PREV = GRU.unit("h_prev")
EXPECTED = "expected a finite real number representable as float64, or an expression in the cell's names"

SPECIALS = [
    (sp.nan, "nan", "infinite, undefined"),
    (sp.oo, "oo", "infinite, undefined"),
    (-sp.oo, "-oo", "infinite, undefined"),
    (sp.zoo, "zoo", "infinite, undefined"),
    (sp.Integer(10) ** 400, "1000000000", "overflows float64"),
    (10**400, "1000000000", "overflows float64"),
    (sp.Float("1e400"), "1.0e+400", "overflows float64"),
    (sp.exp(1000), "exp(1000)", "overflows float64"),
    (sp.Rational(1, 10**400), "1/1000000000", "underflows to 0"),
    (sp.Float("1e-400"), "1.0e-400", "underflows to 0"),
    (sp.I, "I", "complex"),
    (2 * sp.I, "2*I", "complex"),
    (sp.Rational(1, 2) + sp.I, "1/2 + I", "complex"),
    (sp.sqrt(-2), "sqrt(2)*I", "complex"),
    (sp.oo * H_PREV, "oo", "infinite, undefined"),
    (sp.I * H_PREV, "I", "complex"),
    (H_PREV + sp.nan, "nan", "infinite, undefined"),
]


@pytest.mark.parametrize("key", ["z", "b_z", "x", "h_prev"])
@pytest.mark.parametrize("value, shown, why", SPECIALS, ids=[s for _, s, _ in SPECIALS])
def test_specials_are_refused_naming_key_value_and_expectation(key, value, shown, why):
    with pytest.raises(SpecError) as err:
        GRU.substitute({key: value})
    message = str(err.value)
    assert message.startswith(f"substitute[{key!r}]: ")
    assert shown in message and why in message and EXPECTED in message


def test_a_huge_value_is_shortened_in_the_message():
    with pytest.raises(SpecError, match=r"1000000000000000000000000000000000000000\.\.\. \(401 characters\)"):
        GRU.substitute({"z": sp.Integer(10) ** 400})


@pytest.mark.parametrize("value, name", [(sp.Symbol("q"), "q"), (sp.Symbol("H"), "H"), (sp.Symbol("W_z") * H_PREV, "W_z")])
def test_a_value_reading_no_vector_of_the_cell_is_refused_naming_the_key(value, name):
    with pytest.raises(SpecError, match=rf"substitute\['z'\]: .* reads '{name}', which is not a vector of cell"):
        GRU.substitute({"z": value})


def test_replace_function_refuses_a_function_that_brings_specials():
    lstm = symrnn.cell("lstm")
    for new, why in ((lambda a: sp.oo * a, "infinite"), (lambda a: sp.I * a, "complex")):
        with pytest.raises(SpecError, match=re.escape("replace_function('h', new='<lambda>')") + f".*{why}"):
            lstm.replace_function("h", sp.tanh, new)


@pytest.mark.parametrize("value", [sp.pi / 4, sp.E / 3, sp.sqrt(2) / 2, sp.Rational(1, 3), sp.tanh(1),
                                   1 - GRU.unit("r"), sp.Float("1e-300"), sp.Rational(3, 10**300),
                                   sp.Float(0.999999997232426), sp.Float(0.333333333333)])  # once rounded to 1 and 1/3
def test_finite_constants_compile_and_match_the_reference_loop(value, rng):
    cell = GRU.substitute({"z": value})
    sizes = {"D": 2, "H": 3}
    kernel = symrnn.compile(cell, **sizes)
    kernel.params = init_params(cell, sizes, rng=rng)
    xs, h0 = rng.standard_normal((4, 2, 2)), rng.uniform(-1, 1, (2, 3))
    out, final, _ = kernel.forward(xs, {"h": h0})
    ref, ref_final, _ = run(cell, kernel.params, xs, {"h": h0})
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
    if value.is_number:  # h_t = (1 - z) n_t + z h_{t-1} with z the constant, by hand from the reference's n
        z = float(value)
        p = kernel.params
        n1 = np.tanh(xs[0] @ p["W_n"].T + (_r(p, xs[0], h0) * h0) @ p["U_n"].T + p["b_n"])
        np.testing.assert_allclose(out[0], (1 - z) * n1 + z * h0, rtol=0, atol=1e-12)


def _r(p, x, h):
    a = x @ p["W_r"].T + h @ p["U_r"].T + p["b_r"]
    return 1 / (1 + np.exp(-a))


def test_the_printer_refuses_constants_that_are_not_finite_floats():
    x = symrnn.Vec("x", 3)
    assert to_source(sp.pi * x, {"x": "X"}) == "3.141592653589793*X"
    for bad in (sp.oo * x, sp.Integer(10) ** 400 * x, sp.I * x, x + sp.zoo):
        with pytest.raises(CompileError, match="is not a finite real float64"):
            to_source(bad, {"x": "X"})
