"""GRU against LSTM: parameter counts, and loss against steps and wall time.  Measured, reported as found.

The study note says a GRU performs like an LSTM with fewer parameters, so it
converges faster.  The parameter part is exact and proved for every size
(``symrnn prove gru_three_quarters_of_lstm``: 3(DH + H² + H) against
4(DH + H² + H)).  The rest is measured here: :func:`gru_vs_lstm` trains the
LSTM and the GRU in both placements of the reset gate (before the product:
Cho et al. 2014 and the note; after: PyTorch, cuDNN) with symrnn's generated
kernels, same task, same seeds, same data, and records the held-out loss, the
time per step, and the steps and seconds until the smoothed training loss
first falls below ``threshold × baseline``.  By default the hidden size is
the same for all; ``same_parameters=True`` gives each GRU the hidden size
whose parameter count is closest to the LSTM's, as Chung et al. (2014) did.

References
----------
J. Chung, C. Gulcehre, K. Cho, Y. Bengio, "Empirical Evaluation of Gated
Recurrent Neural Networks on Sequence Modeling", NIPS 2014 Deep Learning Workshop.
K. Cho et al., "Learning Phrase Representations using RNN Encoder–Decoder
for Statistical Machine Translation", EMNLP 2014.
R. Jozefowicz, W. Zaremba, I. Sutskever, "An Empirical Exploration of
Recurrent Network Architectures", ICML 2015.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import sympy as sp

from ..errors import InputError
from ._common import Settings, mean_std, pm, pyplot, run_grid, save_png, significant, smooth
from .gates import ClaimVerdict

__all__ = ["MODELS", "gru_vs_lstm", "ComparisonResult"]

MODELS = ("lstm", "gru_reset_before", "gru_reset_after")
"""The compared catalogue cells; the first is the reference."""


def _count(name, D, H, out):
    from .. import cell
    from ..numeric import param_shapes

    shapes = param_shapes(cell(name), {"D": D, "H": H})
    return int(sum(np.prod(s) for s in shapes.values())) + out * (H + 1)


@dataclass
class ComparisonResult:
    """Results of :func:`gru_vs_lstm`: settings, histories, hidden sizes, counts, table, verdicts and plot."""

    settings: Settings
    histories: dict
    hidden: dict
    parameters: dict
    baseline: float
    threshold: float

    def reach(self, name):
        """Per seed: (steps, seconds) until the smoothed training loss first falls below the threshold, or None."""
        out = []
        for h in self.histories[name]:
            below = np.flatnonzero(smooth(h.losses) < self.threshold * self.baseline)
            out.append(None if below.size == 0 else (int(below[0]) + 1, float(h.seconds[below[0]])))
        return out

    def rows(self) -> list[dict]:
        from .. import cell

        out = []
        for name, hs in self.histories.items():
            reach = self.reach(name)
            hit = [r for r in reach if r is not None]
            mean, std = mean_std([h.final["loss"] for h in hs])
            out.append({
                "model": name, "hidden": self.hidden[name], "parameters": self.parameters[name],
                "count": sp.latex(cell(name).parameter_count()), "mean": mean, "std": std,
                "finals": [h.final["loss"] for h in hs],
                "ms_per_step": float(np.median([1e3 * h.seconds[-1] / len(h.losses) for h in hs])),
                "reached": len(hit), "steps_to_threshold": float(np.median([r[0] for r in hit])) if hit else None,
                "seconds_to_threshold": float(np.median([r[1] for r in hit])) if hit else None,
            })
        return out

    def to_markdown(self) -> str:
        s = self.settings
        lines = [f"Task `{s.task}` (T = {s.length}), batch {s.batch_size}, {s.steps} Adam steps (lr {s.lr:g}), "
                 f"{s.seeds} seeds; threshold = {self.threshold:g} × baseline {self.baseline:.4g}; "
                 "times are medians over seeds of the reaching runs.", "",
                 "| model | H | parameters (cell: count) | held-out loss (mean ± std) | ms/step | reached | "
                 "steps to threshold | s to threshold |", "|---|---:|---|---|---:|---:|---:|---:|"]
        for r in self.rows():
            st = "—" if r["steps_to_threshold"] is None else f"{r['steps_to_threshold']:.0f}"
            se = "—" if r["seconds_to_threshold"] is None else f"{r['seconds_to_threshold']:.2f}"
            lines.append(f"| `{r['model']}` | {r['hidden']} | {r['parameters']} (${r['count']}$) | "
                         f"{pm(r['mean'], r['std'])} | {r['ms_per_step']:.2f} | {r['reached']}/{s.seeds} | {st} | {se} |")
        return "\n".join(lines)

    def verdicts(self) -> list[ClaimVerdict]:
        """For each GRU: 'performs like the LSTM with fewer parameters, so converges faster'."""
        rows = {r["model"]: r for r in self.rows()}
        ref = rows.get("lstm")
        if ref is None:
            raise InputError("the comparison needs 'lstm' among the models")
        out = []
        for name, r in rows.items():
            if name == "lstm":
                continue
            fg, fl = r["finals"], ref["finals"]
            worse, better = significant(fg, fl), significant(fl, fg)
            perf = "worse than" if worse else "better than" if better else "within two standard errors of"
            ev = [f"parameters {r['parameters']} vs {ref['parameters']} (ratio {r['parameters'] / ref['parameters']:.3f})",
                  f"held-out loss {pm(r['mean'], r['std'])} is {perf} the LSTM's {pm(ref['mean'], ref['std'])}",
                  f"time per step {r['ms_per_step']:.2f} ms vs {ref['ms_per_step']:.2f} ms",
                  f"reached the threshold in {r['reached']}/{len(fg)} seeds vs {ref['reached']}/{len(fl)}"]
            faster_steps = faster_s = None
            if r["reached"] and ref["reached"]:
                faster_steps = r["steps_to_threshold"] < ref["steps_to_threshold"]
                faster_s = r["seconds_to_threshold"] < ref["seconds_to_threshold"]
                ev.append(f"median steps to threshold {r['steps_to_threshold']:.0f} vs {ref['steps_to_threshold']:.0f}, "
                          f"seconds {r['seconds_to_threshold']:.2f} vs {ref['seconds_to_threshold']:.2f}")
            fewer = r["parameters"] < ref["parameters"]
            if worse or r["reached"] < ref["reached"] or (faster_steps is False and faster_s is False):
                status = "contradicted"
            elif fewer and not worse and r["reached"] >= ref["reached"] and faster_steps and faster_s:
                status = "reproduced"
            else:
                status = "inconclusive"
            found = (f"{perf.split(' of')[0].replace('within two standard errors', 'as good as')} the LSTM in loss; "
                     + ("not comparable in speed (a model never reached the threshold)" if faster_s is None else
                        f"{'faster' if faster_s else 'slower'} in wall time, {'faster' if faster_steps else 'slower'} in steps")
                     + f"; a step costs {'less' if r['ms_per_step'] < ref['ms_per_step'] else 'more'} than the LSTM's")
            out.append(ClaimVerdict(f"{name}: performs like the LSTM with fewer parameters, so converges faster.",
                                    status, found, tuple(ev)))
        return out

    def to_dict(self) -> dict:
        return {"experiment": "gru-vs-lstm", "settings": asdict(self.settings), "baseline": self.baseline,
                "threshold": self.threshold, "rows": self.rows(), "verdicts": [asdict(v) for v in self.verdicts()],
                "curves": {n: {"loss": [h.losses.tolist() for h in hs], "seconds": [h.seconds.tolist() for h in hs]}
                           for n, hs in self.histories.items()}}

    def plot(self, path=None):
        """Smoothed training loss against wall time and against steps (mean over seeds); PNG to ``path`` if given."""
        plt = pyplot()
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
        for name, hs in self.histories.items():
            loss = smooth(np.mean([h.losses for h in hs], axis=0))
            label = f"{name} (H={self.hidden[name]}, {self.parameters[name]} params)"
            line, = ax1.plot(np.mean([h.seconds for h in hs], axis=0), loss, label=label)
            ax2.plot(np.arange(1, loss.size + 1), loss, color=line.get_color(), label=label)
        for ax in (ax1, ax2):
            ax.axhline(self.baseline, ls="--", color="grey", lw=1, label="no-memory baseline")
            ax.axhline(self.threshold * self.baseline, ls=":", color="grey", lw=1,
                       label=f"threshold ({self.threshold:g} × baseline): steps and seconds to it in the table")
            ax.set_yscale("log")
            ax.set_ylabel("training loss (mean over seeds, smoothed)")
        ax1.set_xlabel("wall-clock seconds (forward + backward + Adam)")
        ax2.set_xlabel("Adam step")
        ax1.set_title(f"{self.settings.task}, T={self.settings.length}, {self.settings.seeds} seeds")
        ax2.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            save_png(fig, path)
        return fig


def gru_vs_lstm(models=MODELS, settings: Settings | None = None, *, same_parameters: bool = False,
                threshold: float = 0.25, progress=None, **overrides) -> ComparisonResult:
    """Train the LSTM and the GRUs on the same task, seeds and data; compare counts, loss and time.

    Parameters
    ----------
    models : sequence of str
        Catalogue names; must include ``lstm`` (the reference).
    settings : Settings, optional
        Defaults as :func:`~symrnn.experiments.gates.gate_ablation`'s.
    same_parameters : bool
        Give each other model the hidden size whose parameter count is closest
        to the LSTM's (Chung et al. 2014); default: the same H for all.
    threshold : float
        "Converged" means the smoothed training loss below ``threshold × baseline``.
    **overrides
        Fields of :class:`~symrnn.experiments._common.Settings`.

    Examples
    --------
    >>> r = gru_vs_lstm(steps=5, seeds=2, length=6, hidden=4)
    >>> [(row["model"], row["parameters"]) for row in r.rows()]
    [('lstm', 117), ('gru_reset_before', 89), ('gru_reset_after', 93)]
    >>> [v.status in ("reproduced", "contradicted", "inconclusive") for v in r.verdicts()]
    [True, True]
    """
    from .tasks import task

    settings = Settings(**{**asdict(settings or Settings()), **overrides}).check()
    if not 0 < threshold < 1:
        raise InputError(f"threshold={threshold!r} must lie in (0, 1) (a fraction of the baseline loss)")
    names = tuple(dict.fromkeys(models))
    if "lstm" not in names:
        raise InputError(f"models={list(names)} must include 'lstm', the reference")
    t = task(settings.task, length=settings.length)
    D, out, H = t.input_size, t.output_size, settings.hidden
    hidden = {n: H for n in names}
    if same_parameters:
        target = _count("lstm", D, H, out)
        for n in names:
            hidden[n] = min(range(1, 4 * H + 1), key=lambda h: abs(_count(n, D, h, out) - target))
    histories = run_grid(names, settings, hidden_of=hidden.get, progress=progress)
    params = {n: _count(n, D, hidden[n], out) for n in names}
    return ComparisonResult(settings, histories, hidden, params, t.baseline, threshold)
