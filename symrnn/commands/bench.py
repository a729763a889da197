"""``symrnn bench``: generated kernels vs their peers, each implementation in its own process, as paired ratios.

A progress bar (one step per configuration, the last ratios as its note) goes
to stderr on a terminal; nothing but the result is printed with ``--json`` or
when stderr is not a terminal.
"""

from __future__ import annotations

import json

NAME = "bench"
HELP = ("time the generated kernels against hand-written NumPy, PyTorch (nn.* and a custom autograd cell), JAX "
        "and the GEMM floor, each in its own process (paired ratios, tape memory, codegen time)")

_CELLS = ["lstm", "gru", "rnn", "mgu", "lstm_peephole"]


def add_arguments(parser):
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128, 512], help="hidden sizes H (= D)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--cells", nargs="+", default=_CELLS, choices=_CELLS,
                        help="catalogue cells (gru is gru_reset_after) and user cells (mgu: the README's MGU)")
    parser.add_argument("-T", type=int, default=100, help="sequence length")
    parser.add_argument("-B", type=int, default=64, help="batch size")
    parser.add_argument("--repeats", type=int, default=5,
                        help="worker processes per implementation and configuration (ratios are paired by repeat)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--no-jax", action="store_true", help="skip JAX even if installed")
    parser.add_argument("--only", nargs="+", metavar="IMPL",
                        choices=["numpy", "gemm", "torch", "torch_custom", "jax", "torch_module", "numba"],
                        help="time only these implementations (and the generated kernel, the checks' reference)")
    parser.add_argument("--no-codegen", action="store_true", help="skip the code generation times")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="also write the figures as JSON to FILE (the table is still printed)")


def command_line(args) -> str:
    """The full command (every option spelled out) that reproduces ``args``."""
    parts = ["symrnn bench", "--cells", *args.cells, "--sizes", *map(str, args.sizes), "--dtypes", *args.dtypes,
             "-T", str(args.T), "-B", str(args.B), "--repeats", str(args.repeats)]
    parts += [f for f, on in (("--no-torch", args.no_torch), ("--no-jax", args.no_jax),
                              ("--no-codegen", args.no_codegen), ("--json", args.json)) if on]
    parts += ["--only", *args.only] if args.only else []
    return " ".join(parts + (["-o", args.output] if args.output else []))


def run(args) -> int:
    from .._io import atomic_write, check_writable
    from .._progress import Progress
    from ..codegen import bench
    from ..errors import InputError

    if min(args.sizes) < 1 or args.T < 1 or args.B < 1 or args.repeats < 1:
        raise InputError(f"bench: sizes, -T, -B and --repeats must be positive, got sizes {args.sizes}, "
                         f"T={args.T}, B={args.B}, repeats={args.repeats}")
    if args.output:
        check_writable(args.output)  # before a run that may take most of an hour
    with Progress(len(args.cells) * len(args.sizes) * len(args.dtypes), "bench", enabled=not args.json) as bar:
        bar.show("checking the implementations")

        def progress(row):
            bar.advance(note=f"{row['cell']} H={row['H']} {row['dtype']}: "
                             + ", ".join(f"{k} {v:.2f}" for k, v in row["ratios"]["fb"].items()))

        result = bench.run(args.cells, args.sizes, args.dtypes, T=args.T, B=args.B, repeats=args.repeats,
                           use_torch=not args.no_torch, use_jax=not args.no_jax, only=args.only,
                           codegen=() if args.no_codegen else None, progress=progress, command=command_line(args))
    text = json.dumps(result, indent=2)
    if args.output:
        atomic_write(args.output, text + "\n")
    print(text if args.json else bench.format_table(result))
    return 0
