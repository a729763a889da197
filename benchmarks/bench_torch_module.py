"""``symrnn.torch_module`` fwd+bwd on CPU against ``nn.LSTM`` / ``nn.GRU`` and the custom torch cell.

Each implementation runs in a process of its own, one per configuration and
repeat, and the ratios are paired by repeat (:mod:`symrnn.codegen.bench`); the
implementations are checked against the generated NumPy kernel before any timing.
``tm/pt`` is torch_module over ``torch.nn``, ``tm/custom`` over a custom torch
cell (a Python loop of torch ops with autograd, :mod:`symrnn.codegen.bench.custom_cells`);
below 1 torch_module is faster.  Targets (issue 17): tm/custom <= 1.0 everywhere,
tm/pt <= 1.2.  The figures of a shared machine are noisy: quote those of an idle one.

Usage: ``python benchmarks/bench_torch_module.py [--cells lstm gru mgu] [--sizes 32 128 512]
[--dtypes float32] [-T 100] [-B 64] [--repeats 5] [--json]``
"""

from __future__ import annotations

import argparse
import json
import sys

from symrnn.codegen import bench

IMPLEMENTATIONS = ("generated", "torch", "torch_custom", "torch_module")
TARGETS = {"tm/custom": 1.0, "tm/pt": 1.2}


def summary(result: dict) -> str:
    """One line per configuration: fwd+bwd milliseconds and the two ratios against their targets."""
    lines = [f"{'cell':14} {'H':>4} {'dtype':7} | {'tm ms':>8} {'pt ms':>8} {'cust ms':>8} | "
             + " ".join(f"{k:>9}" for k in TARGETS) + " | targets"]
    for r in result["rows"]:
        ms, ratios = r["ms"], r["ratios"]["fb"]
        cells = [f"{ms.get(i, {}).get('fb', float('nan')):8.1f}" for i in ("torch_module", "torch", "torch_custom")]
        met = [f"{k} {'met' if ratios[k] <= v else 'missed'}" for k, v in TARGETS.items() if k in ratios]
        lines.append(f"{r['cell']:14} {r['H']:4d} {r['dtype']:7} | {' '.join(cells)} | "
                     + " ".join(f"{ratios[k]:9.2f}" if k in ratios else f"{'-':>9}" for k in TARGETS)
                     + " | " + ", ".join(met))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "mgu"], choices=list(bench.CELLS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--dtypes", nargs="+", default=["float32"], choices=["float32", "float64"])
    parser.add_argument("-T", type=int, default=100)
    parser.add_argument("-B", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_torch_module.py " + " ".join(argv if argv is not None else sys.argv[1:])
    result = bench.run(args.cells, args.sizes, args.dtypes, T=args.T, B=args.B, repeats=args.repeats,
                       use_jax=False, only=IMPLEMENTATIONS, codegen=(), command=command.strip())
    print(json.dumps(result, indent=2) if args.json else bench.format_table(result) + "\n\n" + summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
