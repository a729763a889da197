"""Benchmark: generated kernels vs hand-written NumPy vs PyTorch CPU, measured in one run.

Ratios, not absolute times, are the result (this machine may be shared): each
configuration times the three implementations back to back (order rotated, a
short pause before each: see :func:`_times`), ``repeats`` times;
a ratio is the median over repeats of the paired ratio (robust to load that
drifts between repeats), and the best time of each is reported as well.  Also reported: the tape's bytes against the
strict minimum the backward formulas read, the hand-written tape, the peak
memory of the generated forward (``tracemalloc``), code generation plus
loading time per catalogue cell, and the floor NumPy's BLAS sets: the same
GEMMs alone (:func:`gemm_floor`) against PyTorch.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from . import handwritten as hw

__all__ = ["CELLS", "bench_config", "gemm_floor", "codegen_times", "run", "format_table"]

CELLS = {"lstm": "lstm", "gru": "gru_reset_after", "rnn": "rnn"}
"""Benchmark name -> symrnn catalogue cell (the PyTorch forms)."""

_TORCH = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _times(fns: dict, repeats: int, pause: float = 0.05) -> dict:
    """Per implementation, the list of its times.

    Each repeat runs every implementation once, in an order rotated by one
    each repeat, after a ``pause`` (seconds).  NumPy's OpenBLAS and PyTorch's
    OpenMP pools keep their threads spinning for a while after a call; on a
    2-core machine whatever ran next was measured slowed by up to 2× by the
    previous library's spinning threads.  The pause lets them park, and the
    rotation spreads what remains evenly over the implementations.
    """
    names = list(fns)
    times = {k: [] for k in names}
    for r in range(repeats):
        for k in names[r % len(names):] + names[: r % len(names)]:
            time.sleep(pause)
            t0 = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t0)
    return times


def _ratio(times, a, b):
    return float(np.median(np.asarray(times[a]) / np.asarray(times[b])))


def _torch_module(kind, kernel, H, dtype):
    try:
        import torch
    except ImportError:
        return None, None
    from ..interop.torch import to_torch

    m = getattr(torch.nn, _TORCH[kind])(H, H)
    m = m.double() if dtype == np.float64 else m.float()
    to_torch(kernel.params, m)
    return torch, m


def gemm_floor(kernel, T: int, B: int):
    """A function running only the GEMMs the generated kernel runs, with NumPy, at its shapes.

    Per early source vector of the plan (slots ``lo:hi``): an input's projection
    of all T·B rows, its weight gradient and its input gradient; a previous
    state's T forward and T backward step products and its weight gradient
    (late linear stages, e.g. GRU with the reset gate before the product, are
    not counted: the benchmark's cells have none).
    Its time is the floor NumPy's BLAS sets for forward + backward: no
    pointwise work, no Python per step beyond the call.
    """
    plan, dt = kernel.plan, kernel.dtype
    rng = np.random.default_rng(0)
    work = []
    for v, (lo, hi, _) in plan.sources.items():
        n, m = plan.n[v], hi - lo
        M = rng.standard_normal((m, n)).astype(dt)
        X, D = rng.standard_normal((T, B, n)).astype(dt), rng.standard_normal((T, B, m)).astype(dt)
        work.append((kernel.cell.role(v) == "previous", X, D, M))

    def run():
        for step, X, D, M in work:
            if step:
                for t in range(T):
                    X[t] @ M.T
                    D[t] @ M
            else:
                X.reshape(T * B, -1) @ M.T
                D.reshape(T * B, -1) @ M
            D.reshape(T * B, -1).T @ X.reshape(T * B, -1)
    run.work = work  # (is a previous state, X (T, B, n), D (T, B, hi - lo), M (hi - lo, n)) per source
    return run


def bench_config(kind: str, H: int, dtype, *, T: int = 100, B: int = 64, repeats: int = 5, use_torch: bool = True) -> dict:
    """Time forward and forward+backward of one configuration; returns a row of figures."""
    import symrnn

    dtype = np.dtype(dtype)
    kernel = symrnn.compile(symrnn.cell(CELLS[kind]), D=H, H=H, dtype=dtype)
    rng = np.random.default_rng(0)
    kernel.params = {n: rng.uniform(-0.1, 0.1, v.shape).astype(dtype) for n, v in kernel.params.items()}
    p = hw.pack(kind, kernel.params)
    x = rng.standard_normal((T, B, H)).astype(dtype)
    h0 = np.zeros((B, H), dtype)
    args = (x, p, h0, h0) if kind == "lstm" else (x, p, h0)
    d_out = rng.standard_normal((T, B, H)).astype(dtype)

    def gen_fb():
        _, _, tape = kernel.forward(x)
        kernel.backward(tape, d_out)

    def hand_fb():
        _, tape = hw.FORWARD[kind](*args)
        hw.BACKWARD[kind](tape, p, d_out)

    fwd = {"generated": lambda: kernel.forward(x), "numpy": lambda: hw.FORWARD[kind](*args)}
    fb = {"generated": gen_fb, "numpy": hand_fb, "gemms": gemm_floor(kernel, T, B)}
    torch, module = _torch_module(kind, kernel, H, dtype) if use_torch else (None, None)
    if module is not None:
        xt = torch.from_numpy(x)
        dt = torch.from_numpy(d_out)

        def torch_fwd():
            with torch.no_grad():
                module(xt)

        def torch_fb():
            xg = xt.detach().requires_grad_(True)
            out, _ = module(xg)
            out.backward(dt)

        fwd["torch"], fb["torch"] = torch_fwd, torch_fb
    all_fwd, all_fb = _times(fwd, repeats), _times(fb, repeats)
    t_fwd, t_fb = ({k: min(v) for k, v in t.items()} for t in (all_fwd, all_fb))
    out, _, tape = kernel.forward(x)
    _, hand_tape = hw.FORWARD[kind](*args)
    hand_bytes = sum(a.nbytes for k, a in hand_tape.items() if k != "x")
    tracemalloc.start()
    kernel.forward(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    row = {"cell": kind, "H": H, "dtype": dtype.name, "T": T, "B": B,
           "fwd_ms": {k: v * 1e3 for k, v in t_fwd.items()}, "fb_ms": {k: v * 1e3 for k, v in t_fb.items()},
           "fwd_gen/numpy": _ratio(all_fwd, "generated", "numpy"), "fb_gen/numpy": _ratio(all_fb, "generated", "numpy"),
           "fb_gen/gemms": _ratio(all_fb, "generated", "gemms"),
           "tape_bytes": tape.nbytes, "tape/strict": tape.nbytes / tape.strict_nbytes,
           "tape/handwritten": tape.nbytes / hand_bytes, "forward_peak_bytes": peak}
    if "torch" in t_fwd:
        row["fwd_gen/torch"] = _ratio(all_fwd, "generated", "torch")
        row["fb_gen/torch"] = _ratio(all_fb, "generated", "torch")
        row["fb_gemms/torch"] = _ratio(all_fb, "gemms", "torch")
    return row


def codegen_times(names=None, size: int = 32) -> dict:
    """Seconds to generate and load the kernels of each catalogue cell (fresh compile)."""
    import symrnn
    from ..cells import names as all_names

    out = {}
    for name in names or all_names():
        desc = symrnn.cell(name)
        sizes = {s.name: size for s in desc.sizes}
        t0 = time.perf_counter()
        symrnn.compile(desc, **sizes)
        out[name] = time.perf_counter() - t0
    return out


def run(sizes=(32, 128, 512), dtypes=("float32", "float64"), cells=tuple(CELLS), *, T=100, B=64, repeats=5,
        use_torch=True, progress=None) -> dict:
    """Every configuration plus code generation times; ``progress(row)`` is called per row."""
    rows = []
    for H in sizes:
        for dt in dtypes:
            for kind in cells:
                row = bench_config(kind, H, dt, T=T, B=B, repeats=repeats, use_torch=use_torch)
                rows.append(row)
                if progress:
                    progress(row)
    return {"rows": rows, "codegen_s": codegen_times()}


def format_table(result: dict) -> str:
    """A plain-text table of the ratios, memory and code generation times."""
    head = (f"{'cell':5} {'H':>4} {'dtype':8} {'fwd gen/np':>10} {'fb gen/np':>10} {'fwd gen/pt':>10} "
            f"{'fb gen/pt':>10} {'gemms/pt':>10} {'fb gen ms':>10} {'fb np ms':>9} {'fb pt ms':>9} {'tape MB':>8} {'tape/min':>8}")
    lines = [head]
    for r in result["rows"]:
        pt = lambda k: f"{r[k]:10.2f}" if k in r else f"{'-':>10}"  # noqa: E731
        lines.append(f"{r['cell']:5} {r['H']:4d} {r['dtype']:8} {r['fwd_gen/numpy']:10.2f} {r['fb_gen/numpy']:10.2f} "
                     f"{pt('fwd_gen/torch')} {pt('fb_gen/torch')} {pt('fb_gemms/torch')} {r['fb_ms']['generated']:10.1f} "
                     f"{r['fb_ms']['numpy']:9.1f} {r['fb_ms'].get('torch', float('nan')):9.1f} "
                     f"{r['tape_bytes'] / 2**20:8.2f} {r['tape/strict']:8.3f}")
    lines.append("ratios: median over repeats of paired timings; ms: best of the repeats; "
                 "tape/min: tape bytes / bytes the backward formulas read;")
    lines.append("gemms/pt: the generated kernel's GEMMs alone, in NumPy (no pointwise work), / PyTorch forward+backward")
    cg = result.get("codegen_s", {})
    if cg:
        lines.append("")
        lines.append("code generation + loading (s): " + ", ".join(f"{k} {v:.2f}" for k, v in cg.items()))
        lines.append(f"slowest: {max(cg.values()):.2f} s")
    return "\n".join(lines)
