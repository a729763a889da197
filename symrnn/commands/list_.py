"""``symrnn list [--json]``: every catalogue entry with its family and reference."""

from __future__ import annotations

import json

NAME = "list"
HELP = "list the catalogue: name, family and reference of every entry"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def entries():
    from .. import cells

    out = []
    for name in cells.names():
        desc = cells.cell(name)
        out.append({"name": name, "family": desc.family, "reference": desc.reference, "summary": desc.summary})
    return out


def run(args) -> int:
    rows = entries()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    fam = max(len(r["family"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['family']:<{fam}}  {r['reference']}")
    return 0
