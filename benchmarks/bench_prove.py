"""Benchmark: the whole theorem catalogue (issue 4).

Targets on the 2-core CI machine: under 60 s in total, no theorem over 10 s.
Each theorem runs in a fresh process state only once per round (the cell
catalogue is cached, as it is for ``symrnn prove``); the best and worst of
the rounds are reported with the slowest theorems.  A second table compares
a proof with its numeric refutation search, as a ratio measured in the same
run: symbolic proofs cost a fraction of the numeric fallback.

Run: ``python benchmarks/bench_prove.py [--rounds N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import time

from symrnn import prove


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
    worst_per_theorem = {}
    for _, verdicts in rounds:
        for v in verdicts:
            worst_per_theorem[v.theorem] = max(worst_per_theorem.get(v.theorem, 0.0), v.seconds)
    slowest = sorted(worst_per_theorem.items(), key=lambda kv: -kv[1])
    statuses = {}
    for v in rounds[-1][1]:
        statuses[v.status] = statuses.get(v.status, 0) + 1
    proof = [s for n, s in worst_per_theorem.items() if not n.endswith("overstatement")]
    refute = [s for n, s in worst_per_theorem.items() if n.endswith("overstatement")]
    result = {
        "theorems": len(worst_per_theorem), "verdicts": statuses,
        "total_best_s": round(min(totals), 3), "total_worst_s": round(max(totals), 3),
        "slowest": [{"name": n, "worst_s": round(s, 3)} for n, s in slowest[:5]],
        "mean_proof_s": round(sum(proof) / len(proof), 4), "mean_refutation_s": round(sum(refute) / max(len(refute), 1), 4),
        "targets": {"total_s": 60, "per_theorem_s": 10},
        "within_targets": max(totals) < 60 and slowest[0][1] < 10,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['theorems']} theorems, verdicts {statuses}")
    print(f"whole catalogue: best {min(totals):.2f} s, worst {max(totals):.2f} s over {args.rounds} rounds (target < 60 s)")
    print("slowest theorems (worst round, target < 10 s each):")
    for n, s in slowest[:5]:
        print(f"  {n:<45} {s:6.2f} s")
    ratio = result["mean_refutation_s"] / max(result["mean_proof_s"], 1e-9)
    print(f"mean symbolic proof {result['mean_proof_s']:.3f} s vs mean refutation (numeric search) "
          f"{result['mean_refutation_s']:.3f} s: ratio {ratio:.1f}")
    print("within targets:", result["within_targets"])


if __name__ == "__main__":
    main()
