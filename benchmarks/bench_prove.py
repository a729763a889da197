"""Benchmark: the whole theorem catalogue (issues 4 and 14).

Targets on the 2-core CI machine: under 30 s in total, no theorem over 10 s;
reported with the share of the time spent cross-examining proofs and the
check that every round gives the same verdicts and counterexamples.
Each theorem runs in a fresh process state only once per round (the cell
catalogue is cached, as it is for ``symrnn prove``); the best and worst of
the rounds are reported with the slowest theorems, the time of each
catalogue module and the mean time per verdict (a symbolic proof against a
refutation, which adds a numeric counterexample search), all measured in
the same run.

Run: ``python benchmarks/bench_prove.py [--rounds N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import time

from symrnn import prove


def modules() -> dict[str, list[str]]:
    """Theorem names of each catalogue module (rnn: gru, lstm, deep; graphs, trees: other issues)."""
    import importlib
    import pkgutil

    import symrnn.proofs
    from symrnn.prove.runner import collect

    out = {}
    for info in pkgutil.iter_modules(symrnn.proofs.__path__):
        module = importlib.import_module(f"symrnn.proofs.{info.name}")
        out[info.name] = [t.name for t in collect(module)]
    return out


def one_round():
    start = time.perf_counter()
    verdicts = prove.run(prove.catalogue())
    return time.perf_counter() - start, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rounds = [one_round() for _ in range(args.rounds)]
    totals = [t for t, _ in rounds]
    worst = {}
    for _, verdicts in rounds:
        for v in verdicts:
            worst[v.theorem] = max(worst.get(v.theorem, 0.0), v.seconds)
    slowest = sorted(worst.items(), key=lambda kv: -kv[1])
    last = {v.theorem: v.status for v in rounds[-1][1]}
    fingerprints = [[(v.theorem, v.status, (v.result.counterexample or {}).get("difference")) for v in vs] for _, vs in rounds]
    cross = [sum(v.cross_seconds for v in vs) for _, vs in rounds]
    statuses = {}
    for status in last.values():
        statuses[status] = statuses.get(status, 0) + 1
    by_module = {m: round(sum(worst[n] for n in names), 3) for m, names in modules().items()}
    by_status = {}
    for name, status in last.items():
        by_status.setdefault(status, []).append(worst[name])
    result = {
        "theorems": len(worst), "verdicts": statuses,
        "total_best_s": round(min(totals), 3), "total_worst_s": round(max(totals), 3),
        "worst_seconds_by_module": by_module,
        "mean_seconds_by_verdict": {k: round(sum(v) / len(v), 4) for k, v in by_status.items()},
        "slowest": [{"name": n, "worst_s": round(s, 3)} for n, s in slowest[:5]],
        "cross_examination_share": round(sum(cross) / sum(totals), 3),
        "same_verdicts_every_round": all(f == fingerprints[0] for f in fingerprints),
        "unexpected": sum(not v.as_expected for v in rounds[-1][1]),
        "targets": {"total_s": 30, "per_theorem_s": 10},
        "within_targets": max(totals) < 30 and slowest[0][1] < 10,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['theorems']} theorems, verdicts {statuses}")
    print(f"whole catalogue: best {min(totals):.2f} s, worst {max(totals):.2f} s over {args.rounds} rounds (target < 30 s); "
          f"cross-examination {100 * result['cross_examination_share']:.0f} % of the time; same verdicts and "
          f"counterexamples every round: {result['same_verdicts_every_round']}; unexpected: {result['unexpected']}")
    print("worst-round seconds by module: " + ", ".join(f"{m} {t:.2f}" for m, t in by_module.items()))
    print("mean seconds by verdict: " + ", ".join(f"{k} {v:.3f}" for k, v in result["mean_seconds_by_verdict"].items()))
    print("slowest theorems (worst round, target < 10 s each):")
    for n, s in slowest[:5]:
        print(f"  {n:<45} {s:6.2f} s")
    print("within targets:", result["within_targets"])


if __name__ == "__main__":
    main()
