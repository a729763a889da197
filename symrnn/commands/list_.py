"""``symrnn list [--json]``: every model — cells, tree models, graph layers — with its kind, family and paper."""

from __future__ import annotations

import json

NAME = "list"
HELP = "list every model (cells, tree models, graph layers): name, kind, family and paper"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true",
                        help="print JSON: name, kind, family, paper (also as reference), summary and options of each")


def entries() -> list[dict]:
    """One dict per registered model, in the order of :func:`symrnn.registry.names`."""
    from .. import registry

    return [{**e.to_dict(), "reference": e.paper} for e in registry.entries()]


def run(args) -> int:
    rows = entries()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = {k: max(len(r[k]) for r in rows) for k in ("name", "kind", "family")}
    for r in rows:
        print(f"{r['name']:<{width['name']}}  {r['kind']:<{width['kind']}}  {r['family']:<{width['family']}}  {r['paper']}")
    return 0
