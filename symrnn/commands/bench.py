"""``symrnn bench``: generated kernels vs hand-written NumPy vs PyTorch CPU, as ratios."""

from __future__ import annotations

import json

NAME = "bench"
HELP = "time the generated kernels against hand-written NumPy and PyTorch (ratios, tape memory, codegen time)"


def add_arguments(parser):
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128, 512], help="hidden sizes H (= D)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"], choices=["lstm", "gru", "rnn"])
    parser.add_argument("-T", type=int, default=100, help="sequence length")
    parser.add_argument("-B", type=int, default=64, help="batch size")
    parser.add_argument("--repeats", type=int, default=5, help="timings per implementation (best kept)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args) -> int:
    from ..codegen import bench
    from ..errors import InputError

    if min(args.sizes) < 1 or args.T < 1 or args.B < 1 or args.repeats < 1:
        raise InputError("bench: sizes, -T, -B and --repeats must be positive")
    progress = None if args.json else (lambda row: print(
        f"  {row['cell']} H={row['H']} {row['dtype']}: fb gen/numpy {row['fb_gen/numpy']:.2f}", flush=True))
    result = bench.run(args.sizes, args.dtypes, args.cells, T=args.T, B=args.B, repeats=args.repeats,
                       use_torch=not args.no_torch, progress=progress)
    print(json.dumps(result, indent=2) if args.json else bench.format_table(result))
    return 0
