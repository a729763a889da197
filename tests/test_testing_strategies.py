"""symrnn.testing: strategies drive a user's implementation against the reference evaluator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

import symrnn
from symrnn import numeric, testing
from symrnn.errors import InputError

GRU = symrnn.cell("gru_reset_after")


def my_rnn(params, xs, h0):
    """A user's own Elman RNN in plain NumPy (an implementation independent of symrnn)."""
    h, out = h0, []
    for x in xs:
        h = np.tanh(x @ params["W"].T + h @ params["U"].T + params["b"])
        out.append(h)
    return np.stack(out)


def my_gru(params, xs, h0, *, bug=False):
    """A user's PyTorch-layout GRU (reset after); ``bug`` swaps z and 1 - z."""
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    h, out = h0, []
    for x in xs:
        r = sig(x @ params["W_r"].T + h @ params["U_r"].T + params["b_r"])
        z = sig(x @ params["W_z"].T + h @ params["U_z"].T + params["b_z"])
        n = np.tanh(x @ params["W_n"].T + params["b_in"] + r * (h @ params["U_n"].T + params["b_hn"]))
        h = (1 - z) * h + z * n if bug else z * h + (1 - z) * n
        out.append(h)
    return np.stack(out)


@given(testing.examples(symrnn.cell("rnn"), max_size=4, length=4, batch=2))
def test_examples_drive_an_independent_rnn(ex):
    ref, final, _ = numeric.run(symrnn.cell("rnn"), ex.params, ex.inputs, ex.initial)
    mine = my_rnn(ex.params, ex.inputs["x"], ex.initial["h"])
    np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(final["h"], mine[-1], rtol=1e-12, atol=1e-12)


@given(testing.examples(GRU, max_size=3))
def test_examples_drive_a_correct_gru(ex):
    ref, _, _ = numeric.run(GRU, ex.params, ex.inputs, ex.initial)
    np.testing.assert_allclose(my_gru(ex.params, ex.inputs["x"], ex.initial["h"]), ref, rtol=1e-10, atol=1e-12)


def test_strategies_find_a_planted_bug():
    def differs(ex):
        ref, _, _ = numeric.run(GRU, ex.params, ex.inputs, ex.initial)
        return not np.allclose(my_gru(ex.params, ex.inputs["x"], ex.initial["h"], bug=True), ref)

    ex = find(testing.examples(GRU, max_size=2), differs,
              settings=settings(max_examples=200, database=None, phases=[Phase.generate],
                                suppress_health_check=list(HealthCheck)))
    assert differs(ex)


@given(testing.sizes(GRU, min_value=2, max_value=3).flatmap(
    lambda s: testing.params_for(GRU, s, bound=0.5).map(lambda p: (s, p))))
def test_params_respect_sizes_and_bounds(case):
    sizes, params = case
    assert all(2 <= v <= 3 for v in sizes.values())
    assert params.keys() == set(numeric.param_shapes(GRU, sizes))
    for name, value in params.items():
        assert value.shape == numeric.param_shapes(GRU, sizes)[name]
        assert np.all(np.abs(value) <= 0.5) and np.all(np.isfinite(value))


@given(testing.initial_states(symrnn.cell("lstm"), {"D": 2, "H": 3}, batch=2, bound=0.25))
def test_initial_states_respect_bound(states):
    assert set(states) == {"h", "c"}
    assert all(v.shape == (2, 3) and np.all(np.abs(v) <= 0.25) for v in states.values())


@pytest.mark.parametrize("make,argument", [
    (lambda: testing.sizes(GRU, max_value=0), "max_value"),
    (lambda: testing.sizes(GRU, min_value=3, max_value=2), "max_value"),
    (lambda: testing.params_for(GRU, {"D": 2}), "sizes"),
    (lambda: testing.params_for(GRU, {"D": 2, "H": 0}), "H"),
    (lambda: testing.params_for(GRU, {"D": 2, "H": 2}, bound=float("inf")), "bound"),
    (lambda: testing.sequences(GRU, {"D": 2, "H": 2}, length=0), "length"),
    (lambda: testing.sequences(GRU, {"D": 2, "H": 2}, batch=True), "batch"),
    (lambda: testing.initial_states(GRU, {"D": 2, "H": 2}, bound=-1), "bound"),
    (lambda: testing.examples(GRU, max_size="3"), "max_size"),
    (lambda: testing.examples("gru"), "desc"),
])
def test_invalid_arguments_name_the_argument(make, argument):
    with pytest.raises(InputError, match=argument):
        make()
