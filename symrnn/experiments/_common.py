"""Shared pieces of the experiments: running a grid of (cell, seed) trainings, statistics, plotting setup."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .tasks import task as make_task
from .train import History, Model, train

__all__ = ["Settings", "run_grid", "mean_std", "smooth", "pm", "pyplot", "significant", "save_png"]


@dataclass(frozen=True)
class Settings:
    """The knobs of an experiment (all recorded with its results).

    ``lr`` is Adam's learning rate; ``clip`` the global gradient-norm bound;
    ``forget_bias`` is added to the initial forget-gate bias ``b_f`` of the
    cells that have one (0: PyTorch's initialisation; 1: the remedy of
    Gers et al. 2000 and Jozefowicz et al. 2015).

    Examples
    --------
    >>> Settings(steps=1000, seeds=5).command_flags()
    '--task adding --length 30 --hidden 16 --batch-size 32 --steps 1000 --seeds 5 --lr 0.01'
    """

    task: str = "adding"
    length: int = 30
    hidden: int = 16
    batch_size: int = 32
    steps: int = 500
    seeds: int = 3
    lr: float = 1e-2
    clip: float = 1.0
    forget_bias: float = 0.0

    def check(self) -> "Settings":
        for name in ("length", "hidden", "batch_size", "steps", "seeds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name}={value!r} must be a positive integer")
        if not self.lr > 0:
            raise InputError(f"lr={self.lr!r} must be positive")
        make_task(self.task, length=self.length)
        return self

    def command_flags(self) -> str:
        """The CLI flags that reproduce these settings."""
        return (f"--task {self.task.replace('_', '-')} --length {self.length} --hidden {self.hidden} "
                f"--batch-size {self.batch_size} --steps {self.steps} --seeds {self.seeds} --lr {self.lr:g}"
                + (f" --forget-bias {self.forget_bias:g}" if self.forget_bias else ""))


def run_grid(names, settings: Settings, *, hidden_of=None, progress=None) -> dict[str, list[History]]:
    """Train every catalogue cell in ``names`` once per seed; ``{name: [History per seed]}``.

    Seed ``s`` fixes both the initial parameters and the data stream, so at a
    given seed every cell sees the same batches.  Each cell is compiled once;
    the runs are interleaved (seed by seed, every cell) so that wall-clock
    times on a shared machine are comparable across cells.
    """
    from .. import cell, compile as compile_kernel

    t = make_task(settings.task, length=settings.length)
    descs, kernels, hidden = {}, {}, {}
    for name in names:
        descs[name] = cell(name)
        hidden[name] = settings.hidden if hidden_of is None else hidden_of(name)
        kernels[name] = compile_kernel(descs[name], input_size=t.input_size, hidden_size=hidden[name])
    out = {name: [] for name in names}
    for seed in range(settings.seeds):  # seeds outside: a change of machine load hits every model alike
        for name in names:
            model = Model(descs[name], t, hidden=hidden[name], seed=seed, kernel=kernels[name])
            if settings.forget_bias and "b_f" in model.params:
                model.params["b_f"] += settings.forget_bias
            out[name].append(train(model, steps=settings.steps, batch_size=settings.batch_size,
                                   lr=settings.lr, seed=seed, clip=settings.clip))
            if progress is not None:
                progress(name, seed, out[name][-1])
    return out


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1; 0 for a single value)."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def significant(a, b, z: float = 2.0) -> bool:
    """Whether mean(a) − mean(b) exceeds ``z`` standard errors of the difference (unpaired; needs 2+ values each)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 2 or b.size < 2:
        return False
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return bool(a.mean() - b.mean() > z * se)


def smooth(values, window: int = 25) -> np.ndarray:
    """Trailing moving average (the first points average what exists so far)."""
    v = np.asarray(values, float)
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, v.size + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def pm(mean: float, std: float) -> str:
    """``mean ± std`` with 4 significant digits."""
    return f"{mean:.4g} ± {std:.2g}"


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend unless one is already chosen (imported lazily)."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - matplotlib is in the test and plot extras
        raise InputError("plotting needs matplotlib: pip install 'symrnn[plot]'") from exc
    import sys

    if "matplotlib.pyplot" not in sys.modules and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path) -> None:
    """Write ``fig`` as a PNG to ``path``: checked first, then written atomically."""
    import io

    from .._io import atomic_write, check_writable

    check_writable(path)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    atomic_write(path, buf.getvalue())
