"""``symrnn experiment gates|gru-vs-lstm [options]``: the study note's empirical claims, measured.

``gates`` trains the LSTM and its gate-ablated variants (no forget / input /
output gate, coupled, peepholes) and prints the held-out loss as mean ± std
over seeds, then the verdict on the note's ordering (forget > input > output).
``gru-vs-lstm`` trains the LSTM and both GRU placements and prints parameter
counts, loss, time per step and time to a loss threshold, then the verdicts.
Both train symrnn's generated kernels with Adam (:mod:`symrnn.experiments`).

``--plot FILE.png`` writes the figure, ``--json`` prints everything (settings,
table, verdicts, loss curves) as JSON instead of Markdown.  Output files are
checked before any training and written atomically.  The exit code is 0
whatever the verdict (an experiment reports, it does not pass or fail); bad
flags exit 2 with one line.  The defaults finish in about a minute on two cores.
A progress bar (one step per model and seed) goes to stderr on a terminal,
never with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys

NAME = "experiment"
HELP = "run the study note's experiments on symrnn's kernels: gate ablation, GRU vs LSTM"


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _common(p):
    from ..experiments import Settings, TASKS

    d = Settings()
    p.add_argument("--seeds", type=_positive, default=d.seeds, metavar="N", help=f"seeds per model (default {d.seeds})")
    p.add_argument("--steps", type=_positive, default=d.steps, metavar="M", help=f"Adam steps per run (default {d.steps})")
    p.add_argument("--task", default=d.task.replace("_", "-"), choices=[t.replace("_", "-") for t in TASKS],
                   help=f"synthetic task (default {d.task})")
    p.add_argument("--length", type=_positive, default=d.length, metavar="T", help=f"sequence length (default {d.length})")
    p.add_argument("--hidden", type=_positive, default=d.hidden, metavar="H", help=f"hidden size (default {d.hidden})")
    p.add_argument("--batch-size", type=_positive, default=d.batch_size, metavar="B",
                   help=f"batch size (default {d.batch_size})")
    p.add_argument("--lr", type=_positive_float, default=d.lr, help=f"Adam learning rate (default {d.lr:g})")
    p.add_argument("--forget-bias", type=float, default=d.forget_bias, metavar="B",
                   help="add B to the initial forget-gate bias b_f (default 0: PyTorch's initialisation)")
    p.add_argument("--plot", metavar="FILE", help="write the figure as PNG")
    p.add_argument("--json", action="store_true", help="print settings, table, verdicts and curves as JSON")


def add_arguments(parser):
    sub = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT", parser_class=type(parser))
    sub.required = True
    g = sub.add_parser("gates", help="LSTM gate ablation: mean ± std of the final loss over seeds, ordering verdict",
                       description="LSTM gate ablation (Greff et al. 2017; Jozefowicz et al. 2015)")
    _common(g)
    g.add_argument("--variants", metavar="A,B,…",
                   help="comma-separated catalogue names (default: lstm and its no-forget, no-input, no-output, "
                        "coupled and peephole variants)")
    c = sub.add_parser("gru-vs-lstm", help="GRU against LSTM: parameters, loss against steps and wall time",
                       description="GRU against LSTM (Chung et al. 2014)")
    _common(c)
    c.add_argument("--same-parameters", action="store_true",
                   help="give each GRU the hidden size whose parameter count is closest to the LSTM's")
    c.add_argument("--threshold", type=_positive_float, default=0.25, metavar="F",
                   help="converged = smoothed training loss below F x the no-memory baseline (default 0.25)")


def _progress(stream, total: int, enabled: bool = True):
    """``(show, bar)``: ``show(name, seed, history)`` advancing a bar of ``total`` runs (silent off a terminal)."""
    from .._progress import Progress

    bar = Progress(total, "experiment", stream=stream, enabled=enabled)

    def show(name, seed, history):
        bar.advance(note=f"{name} seed {seed}: held-out loss {history.final['loss']:.4g}")

    return (show if bar.on else None), bar


def run(args) -> int:
    from .. import experiments
    from .._io import check_writable
    from ..errors import InputError

    if args.plot is not None:
        check_writable(args.plot)
    settings = experiments.Settings(task=args.task.replace("-", "_"), length=args.length, hidden=args.hidden,
                                     batch_size=args.batch_size, steps=args.steps, seeds=args.seeds, lr=args.lr,
                                     forget_bias=args.forget_bias).check()
    if args.experiment == "gates":
        variants = experiments.VARIANTS if args.variants is None else tuple(v.strip() for v in args.variants.split(",") if v.strip())
        from .. import cells

        for v in variants:
            cells.cell(v)  # unknown names fail here, before any training
        if not variants:
            raise InputError("--variants is empty")
        progress, bar = _progress(sys.stderr, len(dict.fromkeys(variants)) * settings.seeds, not args.json)
        with bar:
            result = experiments.gate_ablation(variants, settings, progress=progress)
        verdicts = [result.verdict()] if all(v in variants for v in ("lstm", *experiments.GATES.values())) else []
    else:
        progress, bar = _progress(sys.stderr, len(experiments.MODELS) * settings.seeds, not args.json)
        with bar:
            result = experiments.gru_vs_lstm(settings=settings, same_parameters=args.same_parameters,
                                             threshold=args.threshold, progress=progress)
        verdicts = result.verdicts()
    if args.plot is not None:
        result.plot(args.plot)
    if args.json:
        json.dump(result.to_dict(), sys.stdout)
        sys.stdout.write("\n")
        return 0
    flags = settings.command_flags()
    if args.experiment == "gru-vs-lstm":
        flags += f" --threshold {args.threshold:g}" + (" --same-parameters" if args.same_parameters else "")
    sys.stdout.write(f"$ symrnn experiment {args.experiment} {flags}\n\n{result.to_markdown()}\n")
    for v in verdicts:
        sys.stdout.write(f"\n{v.to_markdown()}\n")
    if args.plot is not None:
        sys.stdout.write(f"\nfigure: {args.plot}\n")
    return 0
