"""``symrnn show NAME [--latex|--json] [--option KEY=VALUE …] [--from FILE.py]``: one model's equations, sizes and counts.

Every model of :mod:`symrnn.registry` — cell, tree model, graph layer,
graph-recurrent cell — or one defined in a user's file (``--from``).
"""

from __future__ import annotations

import json

from ._models import add_model_arguments, kind, resolve

NAME = "show"
HELP = "show a model (cell, tree model, graph layer): equations, parameters and parameter counts"


def add_arguments(parser):
    parser.add_argument("name", help="model name (see `symrnn list`), or a name in the --from file")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="print the equations as LaTeX")
    fmt.add_argument("--json", action="store_true", help="print the description as JSON")
    add_model_arguments(parser)


def run(args) -> int:
    desc = resolve(args)
    if args.latex:
        print(desc.latex())
    elif args.json:
        print(json.dumps({"kind": kind(desc), **desc.to_dict()}, indent=2))
    else:
        print(text(desc))
    return 0


def _parts(desc) -> list:
    """The cells whose equations are shown: the cell itself, both directions, or a tree model's edge and node cells."""
    if kind(desc) == "tree":
        return [c for c in (desc.edge, desc.node) if c is not None]
    if hasattr(desc, "forward") and hasattr(desc, "backward") and not hasattr(desc, "equations"):
        return [desc.forward, desc.backward]
    return [getattr(desc, "cell", desc)]


def text(desc) -> str:
    """A plain-text rendering: header, equations (with index spaces for graphs), parameters, counts.

    Examples
    --------
    >>> import symrnn
    >>> print(text(symrnn.registry.model("gcn")).splitlines()[0])
    gcn (graph, graph): spatial GCN with the renormalisation trick
    """
    k = kind(desc)
    family = getattr(desc, "family", None) or desc.node.family
    lines = [f"{desc.name} ({k}, {family}): {desc.summary}", f"  reference: {desc.reference}"]
    for part in _parts(desc):
        lines.append(f"  equations of {part.name}:")
        for eq in part.to_dict()["equations"]:
            space = part.space(eq["target"]) if part.is_graph else None
            lines.append(f"    {eq['target']} = {eq['expr']}    [{eq['kind']}{f', per {space}' if space else ''}]")
        lines.append("  parameters: " + ", ".join(f"{p.name}{tuple(str(s) for s in p.shape)}" for p in part.params))
    if k == "tree":
        lines.append(f"  parameter count: {desc.parameter_count()}")
        lines.append(f"  children: {'any number, read through sums' if desc.arity is None else f'{desc.arity} ordered slots'}")
    else:
        lines.append(f"  parameter count (paper): {desc.parameter_count('paper')}")
        lines.append(f"  parameter count (torch): {desc.parameter_count('torch')}")
    return "\n".join(lines)
