"""Gate ablation: which LSTM gate matters most for learning?  Measured, reported as found.

The study note says, citing Google's test (Jozefowicz, Zaremba & Sutskever
2015), that in an LSTM the forget gate contributes most to learning, then the
input gate, then the output gate.  Greff et al. (2017) ran the large version
of this ablation (5400 runs, three tasks) and found removing the forget gate
or the output activation hurt most; Jozefowicz et al. found the forget gate
most important and the output gate least, except on language modelling.

:func:`gate_ablation` trains the catalogue's LSTM and its variants — no forget
gate, no input gate, no output gate, coupled input–forget gate, peepholes —
with symrnn's generated kernels on a memory task, several seeds each, and
reports the held-out loss after training as mean ± standard deviation.  A
gate's *contribution* is how much the loss rises when it is removed:
``Δ_g = mean loss(no g) − mean loss(lstm)``.  :meth:`AblationResult.verdict`
compares the order of Δ_f, Δ_i, Δ_o with the note's and calls the claim
*reproduced* only if the order holds and each step of it exceeds two standard
errors of the difference; *contradicted* if a step is reversed by that margin;
otherwise *inconclusive*.

References
----------
R. Jozefowicz, W. Zaremba, I. Sutskever, "An Empirical Exploration of
Recurrent Network Architectures", ICML 2015.
K. Greff, R. K. Srivastava, J. Koutník, B. R. Steunebrink, J. Schmidhuber,
"LSTM: A Search Space Odyssey", IEEE TNNLS 28(10), 2017.
S. Hochreiter, J. Schmidhuber, "Long Short-Term Memory", Neural Computation 9(8), 1997.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InputError
from ._common import Settings, mean_std, pm, pyplot, run_grid, save_png, significant, smooth

__all__ = ["VARIANTS", "GATES", "gate_ablation", "AblationResult", "ClaimVerdict"]

VARIANTS = ("lstm", "lstm_no_forget", "lstm_no_input", "lstm_no_output", "lstm_coupled", "lstm_peephole")
"""The default variants (catalogue names); any catalogue LSTM variant may be added."""

GATES = {"forget": "lstm_no_forget", "input": "lstm_no_input", "output": "lstm_no_output"}
"""Gate → the variant that removes it, in the order the note claims (most important first)."""


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim of the note against the measurement.

    ``status`` is ``reproduced``, ``contradicted`` or ``inconclusive``;
    ``found`` what was measured, in words; ``evidence`` one line per comparison.
    """

    claim: str
    status: str
    found: str
    evidence: tuple

    def to_markdown(self) -> str:
        lines = [f"**Claim:** {self.claim}", "", f"**Verdict at this scale:** {self.status}; found: {self.found}", ""]
        return "\n".join(lines + [f"* {e}" for e in self.evidence])


@dataclass
class AblationResult:
    """Results of :func:`gate_ablation`: settings, per-variant histories, table, verdict and plot."""

    settings: Settings
    histories: dict
    parameters: dict
    baseline: float

    def finals(self, name) -> list[float]:
        """Held-out loss after training, one per seed."""
        return [h.final["loss"] for h in self.histories[name]]

    def rows(self) -> list[dict]:
        """One dict per variant: name, parameters, final loss mean and std, per-seed losses, seconds."""
        out = []
        for name, hs in self.histories.items():
            mean, std = mean_std(self.finals(name))
            row = {"variant": name, "parameters": self.parameters[name], "mean": mean, "std": std,
                   "finals": self.finals(name), "seconds": float(np.mean([h.seconds[-1] for h in hs]))}
            if "accuracy" in hs[0].final:
                row["accuracy"] = mean_std([h.final["accuracy"] for h in hs])
            out.append(row)
        return out

    def to_markdown(self) -> str:
        """The table as Markdown (what ``symrnn experiment gates`` prints)."""
        s = self.settings
        acc = "accuracy" in self.rows()[0]
        head = "| variant | parameters | held-out loss (mean ± std) | per seed |" + (" accuracy |" if acc else "") \
            + " train s/run |\n|---|---:|---|---|" + ("---|" if acc else "") + "---:|"
        lines = [f"Task `{s.task}` (T = {s.length}), H = {s.hidden}, batch {s.batch_size}, {s.steps} Adam steps "
                 f"(lr {s.lr:g}, clip {s.clip:g}), {s.seeds} seeds"
                 + (f", forget-gate bias +{s.forget_bias:g} at init" if s.forget_bias else "")
                 + f"; baseline (no memory) = {self.baseline:.4g}.", "", head]
        for r in self.rows():
            per_seed = ", ".join(f"{v:.3g}" for v in r["finals"])
            a = f" {pm(*r['accuracy'])} |" if acc else ""
            lines.append(f"| `{r['variant']}` | {r['parameters']} | {pm(r['mean'], r['std'])} | {per_seed} |{a} "
                         f"{r['seconds']:.1f} |")
        return "\n".join(lines)

    def contributions(self) -> dict:
        """Δ_g = mean loss without gate g − mean loss of the full LSTM, for the gates whose variant ran."""
        base = np.mean(self.finals("lstm"))
        return {g: float(np.mean(self.finals(v)) - base) for g, v in GATES.items() if v in self.histories}

    def verdict(self) -> ClaimVerdict:
        """The note's ordering (forget > input > output) checked against the measured Δ's."""
        claim = "In an LSTM the forget gate contributes most to learning, then the input gate, then the output gate."
        missing = [v for v in ("lstm", *GATES.values()) if v not in self.histories]
        if missing:
            raise InputError(f"the ordering needs the variants {missing} as well")
        delta = self.contributions()
        found = "contribution " + " > ".join(sorted(delta, key=delta.get, reverse=True)) + " (by mean Δ)"
        helped = [g for g in GATES if delta[g] < 0]
        if helped:
            found += f"; removing the {' and '.join(helped)} gate{'s' if len(helped) > 1 else ''} lowered the mean loss"
        evidence = [f"Δ_{g} = {delta[g]:+.4g} (loss without the {g} gate − loss of the LSTM)" for g in GATES]
        order = list(GATES)
        steps_ok, reversed_ = [], []
        for a, b in zip(order, order[1:]):
            fa, fb = self.finals(GATES[a]), self.finals(GATES[b])
            ok, rev = significant(fa, fb), significant(fb, fa)
            steps_ok.append(ok)
            reversed_.append(rev)
            word = "exceeds" if ok else ("is below" if rev else "is within two standard errors of")
            evidence.append(f"loss without {a} gate ({pm(*mean_std(fa))}) {word} loss without {b} gate "
                            f"({pm(*mean_std(fb))}) over {len(fa)} seeds")
        status = "reproduced" if all(steps_ok) else "contradicted" if any(reversed_) else "inconclusive"
        return ClaimVerdict(claim, status, found, tuple(evidence))

    def to_dict(self) -> dict:
        """JSON-ready: settings, rows, verdict, and each run's loss curve (``symrnn experiment gates --json``)."""
        v = self.verdict() if all(n in self.histories for n in ("lstm", *GATES.values())) else None
        return {"experiment": "gates", "settings": asdict(self.settings), "baseline": self.baseline,
                "rows": self.rows(), "verdict": None if v is None else asdict(v),
                "curves": {n: [h.losses.tolist() for h in hs] for n, hs in self.histories.items()}}

    def plot(self, path=None):
        """Bar chart of the held-out loss (mean ± std, seeds as dots) and the smoothed training curves.

        Returns the matplotlib Figure; writes a PNG to ``path`` (atomically) if given.
        """
        plt = pyplot()
        rows = self.rows()
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
        xs = np.arange(len(rows))
        ax1.bar(xs, [r["mean"] for r in rows], yerr=[r["std"] for r in rows], capsize=4, color="#9ecae1")
        for x, r in zip(xs, rows):
            ax1.plot([x] * len(r["finals"]), r["finals"], "k.", ms=5)
        ax1.axhline(self.baseline, ls="--", color="grey", label="no-memory baseline")
        ax1.set_xticks(xs, [r["variant"].replace("lstm_", "") for r in rows], rotation=30)
        ax1.set_ylabel("held-out loss after training")
        ax1.set_title(f"{self.settings.task}, T={self.settings.length}: mean ± std over {self.settings.seeds} seeds")
        ax1.legend()
        for name, hs in self.histories.items():
            ax2.plot(smooth(np.mean([h.losses for h in hs], axis=0)), label=name)
        ax2.axhline(self.baseline, ls="--", color="grey")
        ax2.set_yscale("log")
        ax2.set_xlabel("Adam step")
        ax2.set_ylabel("training loss (mean over seeds, smoothed)")
        ax2.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            save_png(fig, path)
        return fig


def gate_ablation(variants=VARIANTS, settings: Settings | None = None, *, progress=None, **overrides) -> AblationResult:
    """Train the LSTM and its gate-ablated variants on a memory task, several seeds each.

    Parameters
    ----------
    variants : sequence of str
        Catalogue names; the ordering verdict needs ``lstm`` and the three no-gate variants.
    settings : Settings, optional
        Defaults: adding problem, T = 30, H = 16, batch 32, 500 steps, 3 seeds, lr 0.01, clip 1.
    progress : callable, optional
        ``progress(name, seed, history)`` after each run.
    **overrides
        Fields of :class:`Settings` (``steps=``, ``seeds=`` …).

    Returns
    -------
    AblationResult

    Examples
    --------
    >>> r = gate_ablation(steps=5, seeds=2, length=6, hidden=4)
    >>> [row["variant"] for row in r.rows()][:3]
    ['lstm', 'lstm_no_forget', 'lstm_no_input']
    >>> r.verdict().status in ("reproduced", "contradicted", "inconclusive")
    True
    """
    from .. import cell
    from ..numeric import param_shapes

    settings = Settings(**{**asdict(settings or Settings()), **overrides}).check()
    names = tuple(dict.fromkeys(variants))
    if not names:
        raise InputError("variants is empty")
    histories = run_grid(names, settings, progress=progress)
    from .tasks import task

    t = task(settings.task, length=settings.length)
    params = {}
    for n in names:
        shapes = param_shapes(cell(n), {"D": t.input_size, "H": settings.hidden})
        params[n] = int(sum(np.prod(s) for s in shapes.values())) + t.output_size * (settings.hidden + 1)
    return AblationResult(settings, histories, params, t.baseline)
