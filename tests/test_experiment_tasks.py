"""The task generators: targets recomputed by plain loops, seeding, and bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symrnn.errors import InputError, UnknownNameError
from symrnn.experiments import task


def test_adding_targets_are_the_sum_of_the_two_marked_values(rng):
    xs, y = task("adding", length=11).batch(rng, 50)
    for b in range(50):
        marked = [t for t in range(11) if xs[t, b, 1] == 1.0]
        assert len(marked) == 2 and marked[0] < 11 // 2 <= marked[1]
        assert y[b, 0] == pytest.approx(xs[marked[0], b, 0] + xs[marked[1], b, 0])
    assert set(np.unique(xs[:, :, 1])) == {0.0, 1.0} and (0 <= xs[:, :, 0]).all() and (xs[:, :, 0] < 1).all()


def test_adding_baseline_is_the_variance_of_the_target(rng):
    _, y = task("adding", length=20).batch(rng, 20000)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, rel=0.03)


def test_temporal_order_labels(rng):
    T = 40
    xs, y = task("temporal_order", length=T).batch(rng, 60)
    symbols = xs.argmax(-1)
    assert np.allclose(xs.sum(-1), 1.0)
    for b in range(60):
        relevant = [(t, s) for t, s in enumerate(symbols[:, b]) if s >= 4]
        (t1, s1), (t2, s2) = relevant
        assert 4 <= t1 < 8 and 20 <= t2 < 24
        assert y[b] == 2 * (s1 == 5) + (s2 == 5)
    assert task("temporal_order", length=T).baseline == math.log(4)


def test_copy_recalls_the_first_symbols_after_the_delimiter(rng):
    T, n = 16, 5
    xs, y = task("copy", length=T).batch(rng, 8)
    symbols = xs.argmax(-1)
    assert (symbols[T - n - 1] == 9).all() and (symbols[n:T - n - 1] == 0).all()
    assert (y[: T - n] == -1).all() and (y[T - n:] == symbols[:n] - 1).all()


def test_seeded():
    t = task("copy", length=14)
    a, b = t.batch(5, 3), t.batch(5, 3)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_bad_arguments():
    with pytest.raises(UnknownNameError, match="adding"):
        task("parity")
    with pytest.raises(InputError, match="length"):
        task("adding", length=1)
    with pytest.raises(InputError, match="too short"):
        task("copy", length=8)
    with pytest.raises(InputError, match="batch_size"):
        task("adding").batch(0, 0)
