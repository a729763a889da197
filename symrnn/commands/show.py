"""``symrnn show NAME [--latex|--json]``: one entry's equations, sizes and counts."""

from __future__ import annotations

import json

NAME = "show"
HELP = "show a catalogue entry: equations, parameters and parameter counts"


def add_arguments(parser):
    parser.add_argument("name", help="catalogue name (see `symrnn list`)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="print the equations as LaTeX")
    fmt.add_argument("--json", action="store_true", help="print the description as JSON")


def run(args) -> int:
    from .. import cells

    desc = cells.cell(args.name)
    if args.latex:
        print(desc.latex())
    elif args.json:
        print(json.dumps(desc.to_dict(), indent=2))
    else:
        print(text(desc))
    return 0


def text(desc) -> str:
    """A plain-text rendering: header, equations, parameters, counts."""
    d = desc.to_dict()
    lines = [f"{d['name']} ({d['family']}): {d['summary']}", f"  reference: {d['reference']}"]
    parts = [d] if "equations" in d else [d["forward"], d["backward"]]
    for part in parts:
        lines.append(f"  equations of {part['name']}:")
        lines += [f"    {e['target']} = {e['expr']}    [{e['kind']}]" for e in part["equations"]]
        lines.append("  parameters: " + ", ".join(f"{k}{tuple(v)}" for k, v in part["params"].items()))
    lines.append(f"  parameter count (paper): {d['parameter_count']['paper']}")
    lines.append(f"  parameter count (torch): {d['parameter_count']['torch']}")
    return "\n".join(lines)
