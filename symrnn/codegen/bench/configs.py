"""The benchmark's cells, configurations, and the inputs every worker rebuilds from a seed.

No data crosses processes: each worker calls :func:`inputs` with the same
:class:`Config` and gets bit-identical parameters, sequences, initial states and
loss weights (generated in float64, then cast), so implementations timed in
different processes work on the same numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from ...errors import InputError

__all__ = ["CELLS", "TORCH_TWIN", "HANDWRITTEN", "Config", "description", "mgu", "inputs"]

CELLS = {"lstm": "lstm", "gru": "gru_reset_after", "rnn": "rnn", "mgu": None, "lstm_peephole": "lstm_peephole"}
"""Benchmark name -> symrnn catalogue cell (``None``: a user cell built here, see :func:`mgu`)."""

TORCH_TWIN = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
"""Benchmark cells that have a ``torch.nn`` module computing the same function."""

HANDWRITTEN = ("lstm", "gru", "rnn")
"""Benchmark cells with a hand-written NumPy kernel (:mod:`symrnn.codegen.handwritten`)."""


@lru_cache(maxsize=None)
def mgu():
    """The minimal gated unit exactly as a user writes it in the README's "A cell of your own".

    References
    ----------
    Zhou, Wu, Zhang, Zhou (2016), Minimal gated unit for recurrent neural networks.

    Examples
    --------
    >>> [p.name for p in mgu().params]
    ['W_f', 'U_f', 'b_f', 'W_h', 'U_h', 'b_h']
    """
    import symrnn
    from symrnn import sigmoid, tanh

    b = symrnn.CellBuilder("mgu", reference="Zhou et al. 2016, Minimal gated unit")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    f = b.let("f", sigmoid(b.param("W_f", H, D) @ x + b.param("U_f", H, H) @ h + b.param("b_f", H)))
    fh = b.let("fh", f * h)
    hc = b.let("hc", tanh(b.param("W_h", H, D) @ x + b.param("U_h", H, H) @ fh + b.param("b_h", H)),
               latex=r"\tilde{\mathbf{h}}")
    b.update("h", (1 - f) * h + f * hc)
    return b.build()


def description(name: str):
    """The description behind benchmark cell ``name`` (a key of :data:`CELLS`).

    Examples
    --------
    >>> description("gru").name, description("mgu").state_names
    ('gru_reset_after', ('h',))
    """
    if name not in CELLS:
        raise InputError(f"bench: cell {name!r} is not one of the benchmark's cells {list(CELLS)}")
    if CELLS[name] is None:
        return mgu()
    from ...cells import cell

    return cell(CELLS[name])


@dataclass(frozen=True)
class Config:
    """One measured configuration: a benchmark cell at D = H, sequence length T, batch B, a dtype.

    Examples
    --------
    >>> c = Config("lstm", 4, 3, 2, "float64")
    >>> Config.from_dict(c.to_dict()) == c, c.label
    (True, 'lstm H=4 T=3 B=2 float64')
    """

    cell: str
    H: int
    T: int
    B: int
    dtype: str
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        return cls(**d)

    @property
    def label(self) -> str:
        return f"{self.cell} H={self.H} T={self.T} B={self.B} {self.dtype}"


def inputs(config: Config) -> dict:
    """Parameters (symrnn names), ``x`` (T, B, H), initial states (B, n) and ``d_out`` = R (T, B, H).

    Parameters are uniform in ±1/√H (PyTorch's default initialisation), the
    rest standard normal (initial states scaled by 0.5).  The loss of every
    fwd+bwd measurement is Σ_t h_t · R_t, so ∂L/∂h_t = R_t.

    Examples
    --------
    >>> a = inputs(Config("gru", 4, 3, 2, "float32"))
    >>> b = inputs(Config("gru", 4, 3, 2, "float64"))
    >>> a["x"].dtype, bool((a["x"] == b["x"].astype("float32")).all()), sorted(a["initial"])
    (dtype('float32'), True, ['h'])
    """
    from ...numeric.params import param_shapes, vector_sizes

    cell = description(config.cell)
    dt = np.dtype(config.dtype)
    sizes = {"D": config.H, "H": config.H}
    n = vector_sizes(cell, sizes)
    rng = np.random.default_rng(config.seed)
    k = 1 / np.sqrt(config.H)
    params = {p: rng.uniform(-k, k, shape).astype(dt) for p, shape in param_shapes(cell, sizes).items()}
    x = rng.standard_normal((config.T, config.B, config.H)).astype(dt)
    initial = {s: (0.5 * rng.standard_normal((config.B, n[s]))).astype(dt) for s in cell.state_names}
    d_out = rng.standard_normal((config.T, config.B, n[cell.output])).astype(dt)
    return {"params": params, "x": x, "initial": initial, "d_out": d_out}
