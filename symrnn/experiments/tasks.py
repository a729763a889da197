"""Synthetic sequence tasks where memory matters, as seeded batch generators.

Each task is a :class:`Task`: ``task.batch(rng, B)`` returns inputs ``(T, B, D)``
(float64) and targets, and says how a model is read out and scored:

* ``adding`` — Hochreiter & Schmidhuber (1997), experiment 4, in the form of
  Le, Jaitly & Hinton (2015): channel 0 holds values uniform in [0, 1),
  channel 1 marks exactly two steps, one in each half; the target is the sum
  of the two marked values (regression on the last output, mean squared
  error).  Predicting the constant 1 scores 1/6, the ``baseline``.
* ``temporal_order`` — Hochreiter & Schmidhuber (1997), experiment 6a, scaled
  to length T: one-hot symbols from {a, b, c, d} (distractors) except two
  steps, one in [0.1T, 0.2T) and one in [0.5T, 0.6T), that hold X or Y; the
  class is the ordered pair (XX, XY, YX, YY) (classification on the last
  output, cross-entropy; chance is ln 4).  The original's start and end
  markers are left out.
* ``copy`` — the copy-memory task (Hochreiter & Schmidhuber 1997; in the form
  of Arjovsky, Shah & Bengio 2016): ``n`` symbols from an alphabet of
  ``A`` = 8, then blanks, then a delimiter at step T − n − 1 after which the
  model must output the ``n`` symbols in order (classification on every
  output; only the last ``n`` steps are scored, the others carry the label
  −1; chance is ln A).

Examples
--------
>>> import numpy as np
>>> t = task("adding", length=10)
>>> xs, y = t.batch(np.random.default_rng(0), 4)
>>> xs.shape, y.shape, t.loss, t.readout
((10, 4, 2), (4, 1), 'mse', 'last')
>>> bool(np.allclose((xs[:, :, 0] * xs[:, :, 1]).sum(0), y[:, 0]))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InputError, UnknownNameError

__all__ = ["Task", "task", "TASKS", "adding_batch", "temporal_order_batch", "copy_batch"]


@dataclass(frozen=True)
class Task:
    """A synthetic task: sizes, read-out, loss and its seeded batch generator.

    Attributes
    ----------
    name : str
    length : int
        Sequence length T.
    input_size, output_size : int
        D of the inputs and the size of the read-out (1 for regression, the
        number of classes for classification).
    readout : {"last", "all"}
        Score the last output only, or every output.
    loss : {"mse", "xent"}
        Mean squared error, or softmax cross-entropy over integer labels
        (label −1: not scored).
    baseline : float
        The loss of the best input-independent prediction (what a model that
        remembers nothing reaches).
    reference : str
    """

    name: str
    length: int
    input_size: int
    output_size: int
    readout: str
    loss: str
    baseline: float
    reference: str
    generate: Callable

    def batch(self, rng, batch_size: int):
        """``(xs (T, B, D) float64, targets)``: (B, 1) floats for mse, (B,) or (T, B) integer labels for xent."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise InputError(f"batch_size={batch_size!r} must be a positive integer")
        return self.generate(np.random.default_rng(rng), self.length, int(batch_size))


def adding_batch(rng, T: int, B: int):
    """The adding problem: ``xs[:, b] = (value, marker)``, target = sum of the two marked values.

    Examples
    --------
    >>> import numpy as np
    >>> xs, y = adding_batch(np.random.default_rng(1), 6, 3)
    >>> xs[:, :, 1].sum(axis=0).tolist()
    [2.0, 2.0, 2.0]
    """
    values = rng.random((T, B))
    half = T // 2
    first = rng.integers(0, half, size=B)
    second = rng.integers(half, T, size=B)
    marks = np.zeros((T, B))
    marks[first, np.arange(B)] = 1.0
    marks[second, np.arange(B)] = 1.0
    xs = np.stack([values, marks], axis=-1)
    return xs, (values * marks).sum(axis=0)[:, None]


def temporal_order_batch(rng, T: int, B: int):
    """The temporal-order task: one-hot over (a, b, c, d, X, Y); label 2·[first is Y] + [second is Y].

    Examples
    --------
    >>> import numpy as np
    >>> xs, y = temporal_order_batch(np.random.default_rng(2), 20, 5)
    >>> bool((xs[:, :, 4:].sum(axis=(0, 2)) == 2).all()), bool(((0 <= y) & (y < 4)).all())
    (True, True)
    """
    symbols = rng.integers(0, 4, size=(T, B))
    lo1, hi1 = int(0.1 * T), max(int(0.2 * T), int(0.1 * T) + 1)
    lo2, hi2 = int(0.5 * T), max(int(0.6 * T), int(0.5 * T) + 1)
    t1, t2 = rng.integers(lo1, hi1, size=B), rng.integers(lo2, hi2, size=B)
    which = rng.integers(0, 2, size=(2, B))
    symbols[t1, np.arange(B)] = 4 + which[0]
    symbols[t2, np.arange(B)] = 4 + which[1]
    return np.eye(6)[symbols], 2 * which[0] + which[1]


def copy_batch(rng, T: int, B: int, n: int = 5, alphabet: int = 8):
    """The copy-memory task: symbols 1..A at steps 0..n−1, delimiter A+1, recall in the last n steps.

    Inputs are one-hot over A + 2 symbols (0 = blank); labels are (T, B) with
    −1 except the last ``n`` steps, which hold the first ``n`` symbols − 1.

    Examples
    --------
    >>> import numpy as np
    >>> xs, y = copy_batch(np.random.default_rng(3), 14, 2)
    >>> bool(((xs[:5].argmax(-1) - 1) == y[-5:]).all()), int((y >= 0).sum())
    (True, 10)
    """
    symbols = np.zeros((T, B), dtype=np.int64)
    data = rng.integers(0, alphabet, size=(n, B))
    symbols[:n] = data + 1
    symbols[T - n - 1] = alphabet + 1
    labels = np.full((T, B), -1, dtype=np.int64)
    labels[T - n:] = data
    return np.eye(alphabet + 2)[symbols], labels


def _adding(length):
    return Task("adding", length, 2, 1, "last", "mse", 1 / 6,
                "Hochreiter & Schmidhuber 1997 (experiment 4); Le, Jaitly & Hinton 2015", adding_batch)


def _temporal_order(length):
    if length < 10:
        raise InputError(f"length={length} is too short for temporal_order (needs >= 10)")
    return Task("temporal_order", length, 6, 4, "last", "xent", math.log(4),
                "Hochreiter & Schmidhuber 1997 (experiment 6a)", temporal_order_batch)


def _copy(length):
    if length < 12:
        raise InputError(f"length={length} is too short for copy (needs >= 12: 5 symbols, delay, delimiter, recall)")
    return Task("copy", length, 10, 8, "all", "xent", math.log(8),
                "Hochreiter & Schmidhuber 1997; Arjovsky, Shah & Bengio 2016 (copying memory)", copy_batch)


TASKS = {"adding": _adding, "temporal_order": _temporal_order, "copy": _copy}
"""Task factories by name; each takes the sequence length."""


def task(name: str, *, length: int = 30) -> Task:
    """The task ``name`` (``adding``, ``temporal_order``, ``copy``) at sequence length ``length``.

    Raises
    ------
    UnknownNameError
        An unknown task name (the message lists the known ones).
    InputError
        A length that is not a positive integer, or too short for the task.

    Examples
    --------
    >>> task("temporal_order", length=20).baseline == math.log(4)
    True
    """
    key = str(name).replace("-", "_")
    if key not in TASKS:
        raise UnknownNameError(f"unknown task {name!r}; known tasks: {sorted(TASKS)}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 2:
        raise InputError(f"length={length!r} must be an integer >= 2")
    return TASKS[key](int(length))
