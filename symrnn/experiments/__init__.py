"""Experiments on the generated kernels: Adam, synthetic memory tasks, training, and the study note's claims.

The study note makes two empirical claims besides its equations: in an LSTM
the forget gate contributes most to learning, then the input gate, then the
output gate (it cites Google's test: Jozefowicz, Zaremba & Sutskever 2015;
see also Greff et al. 2017); and a GRU performs like an LSTM with fewer
parameters, so it converges faster (Chung et al. 2014 compare the two).  A
verification toolkit proves what can be proved and measures the rest; this
package measures, with symrnn's own generated forward and backward kernels:

* :mod:`~symrnn.experiments.optim` — :class:`Adam` (equal to ``torch.optim.Adam``);
* :mod:`~symrnn.experiments.tasks` — the adding problem, temporal order, copy memory;
* :mod:`~symrnn.experiments.train` — :class:`Model` (kernel + linear read-out), :func:`train`;
* :mod:`~symrnn.experiments.gates` — :func:`gate_ablation` (``symrnn experiment gates``);
* :mod:`~symrnn.experiments.gru_vs_lstm` — :func:`gru_vs_lstm` (``symrnn experiment gru-vs-lstm``).

Examples
--------
>>> import symrnn
>>> from symrnn.experiments import Model, task, train
>>> t = task("adding", length=6)
>>> history = train(Model(symrnn.cell("gru_reset_before"), t, hidden=8, seed=0), steps=50, batch_size=16)
>>> history.final["loss"] < history.initial["loss"]
True
"""

from ._common import Settings
from .gates import GATES, VARIANTS, AblationResult, ClaimVerdict, gate_ablation
from .gru_vs_lstm import MODELS, ComparisonResult, gru_vs_lstm
from .optim import Adam, clip_by_global_norm
from .tasks import TASKS, Task, task
from .train import EVAL_SEED, History, Model, train

__all__ = [
    "Adam", "clip_by_global_norm", "Task", "task", "TASKS", "Model", "History", "train", "EVAL_SEED", "Settings",
    "gate_ablation", "AblationResult", "ClaimVerdict", "VARIANTS", "GATES", "gru_vs_lstm", "ComparisonResult", "MODELS",
]
