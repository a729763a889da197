"""Rows of figures from the workers' answers, paired ratios, and the printed table."""

from __future__ import annotations

import statistics

__all__ = ["RATIOS", "MEASURES", "paired_ratio", "summarise", "format_table"]

MEASURES = ("fb", "fwd")
"""fwd+bwd (loss Σ h_t·R_t) and forward only."""

RATIOS = {
    "gen/pt": ("generated", "torch"),
    "gen/custom": ("generated", "torch_custom"),
    "gen/np": ("generated", "numpy"),
    "gen/jax": ("generated", "jax"),
    "gen/floor": ("generated", "gemm"),
    "pt/floor": ("torch", "gemm"),
    "tm/pt": ("torch_module", "torch"),
    "tm/custom": ("torch_module", "torch_custom"),
    "nb/pt": ("numba", "torch"),
    "nb/custom": ("numba", "torch_custom"),
    "nb/floor": ("numba", "gemm"),
    "nb/gen": ("numba", "generated"),
}
"""Ratio name -> (numerator, denominator) implementation; below 1 the numerator is faster."""


def paired_ratio(a, b) -> float:
    """Median over repeats r of a[r] / b[r]: each repeat's workers ran back to back, so load drift cancels.

    Examples
    --------
    >>> paired_ratio([1.0, 10.0, 3.0], [2.0, 5.0, 1.0])  # ratios 0.5, 2, 3 (the medians' ratio would be 1.5)
    2.0
    """
    if len(a) != len(b) or not a:
        raise ValueError(f"paired_ratio: need equally many repeats, got {len(a)} and {len(b)}")
    return statistics.median(x / y for x, y in zip(a, b))


def summarise(config, runs: dict) -> dict:
    """One row: per implementation and measure the workers' median times, paired ratios, tape memory.

    ``runs`` maps an implementation to its workers' answers, one per repeat, in repeat order.
    """
    per = {i: {m: [w[m]["median_s"] for w in ws] for m in MEASURES} for i, ws in runs.items()}
    ratios = {m: {name: paired_ratio(per[a][m], per[b][m]) for name, (a, b) in RATIOS.items()
                  if a in per and b in per} for m in MEASURES}
    row = config.to_dict() | {
        "ms": {i: {m: 1e3 * statistics.median(v) for m, v in t.items()} for i, t in per.items()},
        "repeats_ms": {i: {m: [1e3 * x for x in v] for m, v in t.items()} for i, t in per.items()},
        "calls": {i: {m: [w[m]["calls"] for w in ws] for m in MEASURES} for i, ws in runs.items()},
        "first_call_ms": {i: {m: 1e3 * statistics.median(w[m].get("first_s") or 0.0 for w in ws) for m in MEASURES}
                          for i, ws in runs.items()},
        "ratios": ratios,
        "worker_s": {i: statistics.median(w.get("process_s", 0.0) for w in ws) for i, ws in runs.items()},
    }
    if "generated" in runs:
        mem = dict(runs["generated"][0]["extra"])
        mem["tape/strict"] = mem["tape_bytes"] / mem["tape_strict_bytes"]
        if "numpy" in runs:
            mem["tape/handwritten"] = mem["tape_bytes"] / runs["numpy"][0]["extra"]["tape_bytes"]
        row["memory"] = mem
    if "gemm" in runs:
        extra = runs["gemm"][0]["extra"]
        row["floor_gflops"] = {m: 2 * extra[f"multiply_adds_{m}"] / (1e6 * row["ms"]["gemm"][m]) for m in MEASURES}
    return row


def _threads_line(env: dict) -> str:
    parts = [f"cpu_count {env.get('cpu_count')}"]
    for impl, info in env.get("threads", {}).items():
        bits = [f"{k[len('torch_'):]} {v}" for k, v in info.items() if k.startswith("torch_num")]
        pools = info.get("threadpools")
        bits.append("threadpoolctl not installed" if pools is None else
                    ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in pools))
        if info.get("env"):
            bits.append(" ".join(f"{k}={v}" for k, v in info["env"].items()))
        parts.append(f"{impl}: " + "; ".join(bits))
    return "threads (library defaults): " + " | ".join(parts)


def format_table(result: dict) -> str:
    """The ratios side by side (fwd+bwd, then forward only), times, tape memory, code generation.

    Examples
    --------
    >>> row = {"cell": "rnn", "H": 8, "dtype": "float64", "ms": {"generated": {"fb": 2.0, "fwd": 1.0}},
    ...        "ratios": {"fb": {"gen/np": 0.9}, "fwd": {"gen/np": 1.1}}}
    >>> print(format_table({"command": "symrnn bench --cells rnn", "rows": [row]}).splitlines()[2])
    rnn              8 float64 |            0.90 |            1.10 |      2.0       -       -       -        -        -        -
    """
    used = [n for n in RATIOS if any(n in r["ratios"][m] for r in result["rows"] for m in MEASURES)]
    cols = " ".join(f"{n:>{max(6, len(n))}}" for n in used)
    head = (f"{'cell':13} {'H':>4} {'dtype':7} | fwd+bwd: {cols} | forward: {cols} | "
            f"{'gen ms':>8} {'pt ms':>7} {'cust ms':>7} {'np ms':>7} {'floor ms':>8} {'tape MB':>8} {'tape/min':>8}")
    lines = [f"command: {result.get('command')}", head]
    for r in result["rows"]:
        cells = [" ".join(_num(r["ratios"][m].get(n), max(6, len(n)), 2) for n in used) for m in MEASURES]
        ms = [_num(r["ms"].get(i, {}).get("fb"), w, 1) for i, w in
              (("generated", 8), ("torch", 7), ("torch_custom", 7), ("numpy", 7), ("gemm", 8))]
        mem = r.get("memory", {})
        tape = mem.get("tape_bytes")
        lines.append(f"{r['cell']:13} {r['H']:4d} {r['dtype']:7} | {' ' * 9}{cells[0]} | {' ' * 9}{cells[1]} | "
                     f"{' '.join(ms)} {_num(tape and tape / 2**20, 8, 2)} {_num(mem.get('tape/strict'), 8, 3)}")
    lines += ["ratios: median over repeats of paired worker times (each worker: its own process, the median of its "
              "timed calls); below 1 the generated kernel is faster; ms: fwd+bwd, median over repeats;",
              "floor: the generated kernel's GEMMs alone with NumPy's BLAS; custom: a torch cell written as a Python "
              "loop with autograd; tape/min: tape bytes / bytes the backward formulas read"]
    if any(r.get("memory", {}).get("forward_without_tape") is False for r in result["rows"]):
        lines.append("generated forward-only keeps a tape: this kernel has no forward(..., tape=False)")
    if "environment" in result:
        lines.append(_threads_line(result["environment"]))
    cg = result.get("codegen") or {}
    if cg:
        lines.append("code generation + loading at size 32 (s), first process / second process: "
                     + ", ".join(f"{k} {v['first_s']:.2f}/{v['second_s']:.2f}" for k, v in cg.items()))
        walls = sorted(v["first_process_s"] for v in cg.values())
        lines.append(f"slowest first compile: {max(v['first_s'] for v in cg.values()):.2f} s; a whole first process "
                     f"(start, import, compile): median {walls[len(walls) // 2]:.2f} s, slowest {walls[-1]:.2f} s")
    return "\n".join(lines)


def _num(value, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"
