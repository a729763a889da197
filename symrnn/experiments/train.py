"""Training on the generated kernels: a cell, a linear read-out, a loss, Adam.

:class:`Model` joins a :func:`symrnn.compile` kernel with a linear read-out
``y = W_y h + b_y`` on the last output or on every output; its
:meth:`~Model.loss_and_grads` runs the kernel's forward pass, the read-out and
the loss, and sends the loss gradient back through ``Kernel.backward`` — the
generated BPTT code, not an autograd library.  :func:`train` runs Adam
(:class:`~symrnn.experiments.optim.Adam`) with global-norm clipping on a
:class:`~symrnn.experiments.tasks.Task` and returns a :class:`History`.

The tests check one step against PyTorch autograd and against central finite
differences (``tests/test_experiment_train.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .optim import Adam, clip_by_global_norm
from .tasks import Task

__all__ = ["Model", "History", "train", "EVAL_SEED"]

EVAL_SEED = 2**31 - 1
"""Seed of the held-out evaluation batch: the same for every model and every seed."""


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name}={value!r} must be a positive integer")
    return int(value)


class Model:
    """A recurrent cell compiled by :func:`symrnn.compile` plus a linear read-out.

    Parameters
    ----------
    cell : Cell
        A single-input description (e.g. ``symrnn.cell("lstm")``).
    task : Task
        Gives the input size, the read-out size, the read-out placement and the loss.
    hidden : int
        Hidden size H.
    seed : int
        Seeds the cell's parameters (:func:`symrnn.numeric.init_params`,
        PyTorch's uniform (−1/√H, 1/√H)) and the read-out's.
    kernel : Kernel, optional
        A kernel of ``cell`` at these sizes to reuse (compiling is the slow part);
        its parameters are replaced.

    Attributes
    ----------
    params : dict
        The cell's parameters (the very arrays the kernel uses) plus ``W_y`` and ``b_y``.

    Examples
    --------
    >>> import numpy as np, symrnn
    >>> from symrnn.experiments import task
    >>> t = task("adding", length=8)
    >>> m = Model(symrnn.cell("gru_reset_after"), t, hidden=4, seed=0)
    >>> xs, y = t.batch(0, 3)
    >>> loss, grads = m.loss_and_grads(xs, y)
    >>> sorted(grads) == sorted(m.params), m.parameter_count()
    (True, 93)
    """

    def __init__(self, cell, task: Task, *, hidden: int, seed: int = 0, kernel=None):
        from .. import compile as compile_kernel
        from ..numeric import init_params

        if not isinstance(task, Task):
            raise InputError(f"task must be a Task (symrnn.experiments.task(name)), got {type(task).__name__}")
        hidden = _check_positive("hidden", hidden)
        if kernel is None:
            kernel = compile_kernel(cell, input_size=task.input_size, hidden_size=hidden)
        self.cell, self.task, self.kernel = cell, task, kernel
        kernel.params = init_params(cell, kernel.sizes, rng=seed, dtype=kernel.dtype)
        clash = {"W_y", "b_y"} & set(kernel.params)
        if clash:
            raise InputError(f"cell {cell.name!r} has parameters {sorted(clash)}, the read-out's names")
        rng = np.random.default_rng((seed, 1))
        k = 1 / np.sqrt(kernel.output_size)
        self.params = dict(kernel.params)
        self.params["W_y"] = rng.uniform(-k, k, (task.output_size, kernel.output_size))
        self.params["b_y"] = rng.uniform(-k, k, task.output_size)

    def parameter_count(self) -> int:
        """Number of trained numbers: the cell's plus the read-out's."""
        return int(sum(v.size for v in self.params.values()))

    def predict(self, xs):
        """Read-out values: (B, k) for ``readout="last"``, (T, B, k) for ``"all"``."""
        return self._forward(xs)[0]

    def _forward(self, xs):
        outputs, _, tape = self.kernel.forward(xs)
        h = outputs[-1] if self.task.readout == "last" else outputs
        return h @ self.params["W_y"].T + self.params["b_y"], h, outputs, tape

    def loss_and_grads(self, xs, targets):
        """The task's loss on one batch and its gradient with respect to every parameter.

        Returns
        -------
        loss : float
        grads : dict
            Same keys and shapes as :attr:`params`.
        """
        y, h, outputs, tape = self._forward(xs)
        loss, dy = _loss(self.task.loss, y, targets)
        grads = {"W_y": np.tensordot(dy, h, axes=(tuple(range(dy.ndim - 1)),) * 2), "b_y": dy.reshape(-1, dy.shape[-1]).sum(0)}
        dh = dy @ self.params["W_y"]
        if self.task.readout == "last":
            d_out = np.zeros_like(outputs)
            d_out[-1] = dh
        else:
            d_out = np.ascontiguousarray(dh)
        cell_grads = self.kernel.backward(tape, d_out)
        grads.update({name: cell_grads[name] for name in self.kernel.params})
        return loss, grads

    def evaluate(self, xs, targets) -> dict:
        """``{"loss": …}`` and, for classification, ``{"accuracy": …}`` over the scored outputs."""
        y = self.predict(xs)
        out = {"loss": _loss(self.task.loss, y, targets)[0]}
        if self.task.loss == "xent":
            scored = targets >= 0
            out["accuracy"] = float((y.argmax(-1) == targets)[scored].mean())
        return out


def _loss(kind, y, targets):
    """Loss value and its gradient with respect to the read-out values ``y``."""
    if kind == "mse":
        diff = y - targets
        return float(np.mean(diff * diff)), 2 * diff / diff.size
    z = y - y.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    scored = targets >= 0
    n = int(scored.sum())
    labels = np.where(scored, targets, 0)
    picked = np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    dy = np.exp(logp)
    np.put_along_axis(dy, labels[..., None], np.take_along_axis(dy, labels[..., None], axis=-1) - 1, axis=-1)
    dy *= scored[..., None] / n
    return float(-(picked * scored).sum() / n), dy


@dataclass
class History:
    """What :func:`train` records.

    Attributes
    ----------
    losses : numpy.ndarray
        Training loss at each step (on that step's batch, before the update).
    seconds : numpy.ndarray
        Cumulative wall-clock time after each step (forward, backward and update only).
    final : dict
        :meth:`Model.evaluate` on the held-out batch after training.
    initial : dict
        The same before training.
    """

    losses: np.ndarray
    seconds: np.ndarray
    final: dict
    initial: dict = field(default_factory=dict)


def train(model: Model, *, steps: int, batch_size: int = 32, lr: float = 1e-2, seed: int = 0,
          clip: float | None = 1.0, eval_size: int = 256) -> History:
    """Train ``model`` on its task with Adam; returns the loss curve and the held-out loss.

    Each step draws a fresh batch from a generator seeded by ``seed`` (so two
    models trained with the same seed see the same data); the held-out batch
    comes from :data:`EVAL_SEED`, the same for every model and seed.

    Parameters
    ----------
    model : Model
    steps, batch_size : int
    lr : float
        Adam's learning rate (Kingma & Ba 2015).
    seed : int
        Seeds the data stream.
    clip : float or None
        Global-norm gradient clipping (Pascanu et al. 2013); None for none.
    eval_size : int
        Size of the held-out batch.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.experiments import task
    >>> t = task("adding", length=6)
    >>> h = train(Model(symrnn.cell("lstm"), t, hidden=8), steps=60, batch_size=16)
    >>> len(h.losses), h.final["loss"] < h.initial["loss"]
    (60, True)
    """
    steps, batch_size, eval_size = (_check_positive(n, v) for n, v in
                                    (("steps", steps), ("batch_size", batch_size), ("eval_size", eval_size)))
    if clip is not None and not clip > 0:
        raise InputError(f"clip={clip!r} must be positive or None")
    held_out = model.task.batch(EVAL_SEED, eval_size)
    initial = model.evaluate(*held_out)
    opt = Adam(model.params, lr=lr)
    rng = np.random.default_rng(seed)
    losses, seconds, elapsed = np.empty(steps), np.empty(steps), 0.0
    for step in range(steps):
        xs, targets = model.task.batch(rng, batch_size)
        start = time.perf_counter()
        loss, grads = model.loss_and_grads(xs, targets)
        if not np.isfinite(loss):
            raise InputError(f"training diverged at step {step} (loss {loss}); lower lr={lr}")
        if clip is not None:
            clip_by_global_norm(grads, clip)
        opt.step(grads)
        elapsed += time.perf_counter() - start
        losses[step], seconds[step] = loss, elapsed
    return History(losses, seconds, model.evaluate(*held_out), initial)
