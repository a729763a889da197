"""The parent process: checks every implementation, then times each in processes of its own.

The parent imports neither torch nor JAX and times nothing itself; every figure
comes from a fresh worker (:mod:`.worker`), one per (implementation,
configuration, repeat).  Within a configuration the order of the
implementations alternates between repeats (forward, then reversed), so no
implementation always starts right after another.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ...errors import SymrnnError
from .configs import CELLS, Config, description, inputs
from .implementations import IMPLEMENTATIONS, available, supports
from .report import summarise

__all__ = ["BenchError", "CHECK_SIZES", "TOLERANCE", "spawn", "implementations", "agreement", "check", "run"]

WORKER = f"{__package__}.worker"
CHECK_SIZES = {"H": 4, "T": 3, "B": 2}
"""The small configuration at which every implementation's outputs and gradients are compared."""
TOLERANCE = {"float32": 1e-4, "float64": 1e-9}
"""Largest accepted max |a - b| / max(1, max |reference|) per dtype."""


class BenchError(SymrnnError, RuntimeError):
    """A benchmark worker failed, or an implementation disagrees with the generated kernel."""


def _env() -> dict:
    """The worker's environment: the caller's (thread settings untouched), this symrnn first on the path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def spawn(spec: dict) -> dict:
    """Run one worker in a fresh ``sys.executable`` process; its JSON answer plus ``process_s`` (wall seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", WORKER, json.dumps(spec)], capture_output=True, text=True,
                          env=_env(), check=False)
    wall = time.perf_counter() - t0
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        what = spec.get("impl", spec["mode"])
        raise BenchError(f"bench worker {what!r} ({spec['mode']}) failed with exit code {proc.returncode}:\n"
                         f"{proc.stderr[-3000:]}")
    return json.loads(lines[-1]) | {"process_s": wall}


def implementations(cell: str, *, use_torch: bool = True, use_jax: bool = True, only=None) -> list:
    """The implementations timed for ``cell`` here (installed libraries only), in table order.

    ``only`` keeps those implementations (names of :data:`.implementations.IMPLEMENTATIONS`)
    and the generated kernel, which every check compares against.

    Examples
    --------
    >>> [i for i in implementations("mgu", use_torch=False, use_jax=False) if i != "numba"]  # numba when installed
    ['generated', 'gemm']
    >>> implementations("lstm", only=["torch"], use_jax=False)
    ['generated', 'torch']
    """
    if only is not None:
        unknown = sorted(set(only) - set(IMPLEMENTATIONS))
        if unknown:
            raise BenchError(f"only: unknown implementations {unknown}; known: {list(IMPLEMENTATIONS)}")
    skip = (set() if use_torch else {"torch", "torch_custom", "torch_module"}) | (set() if use_jax else {"jax"})
    keep = set(IMPLEMENTATIONS) if only is None else {"generated", *only}
    return [i for i in IMPLEMENTATIONS if i in keep and i not in skip and supports(i, cell) and available(i)]


def _flat(result: dict) -> dict:
    out = {"outputs": np.asarray(result["outputs"], float)}
    for group in ("final", "grads"):
        out |= {f"{group}.{k}": np.asarray(v, float) for k, v in result.get(group, {}).items()}
    return out


def agreement(reference: dict, candidate: dict) -> dict:
    """Per quantity of ``reference`` (outputs, final states, gradients): max |a - b| / max(1, max |ref|).

    A quantity the candidate lacks or gives in another shape counts as ``inf``.

    Examples
    --------
    >>> ref = {"outputs": [[1.0, 2.0]], "grads": {"W": [4.0]}}
    >>> agreement(ref, {"outputs": [[1.0, 2.5]], "grads": {"W": [4.0]}})
    {'outputs': 0.25, 'grads.W': 0.0}
    >>> agreement(ref, {"outputs": [[1.0, 2.0]]})["grads.W"]
    inf
    """
    ref, cand = _flat(reference), _flat(candidate)
    out = {}
    for k, a in ref.items():
        b = cand.get(k)
        ok = b is not None and b.shape == a.shape
        out[k] = float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(a))))) if ok else float("inf")
    return out


def _reference_loop(config: Config) -> dict:
    """Forward outputs and final states of :func:`symrnn.numeric.run` (shares no code with any kernel)."""
    from ...numeric import run as reference_run

    data = inputs(config)
    out, final, _ = reference_run(description(config.cell), data["params"], data["x"], data["initial"])
    return {"outputs": out.tolist(), "final": {k: v.tolist() for k, v in final.items()}}


def check(cells, dtypes, impls: dict) -> dict:
    """Compare every implementation with the generated kernel at :data:`CHECK_SIZES`, before any timing.

    One check worker per implementation covers every (cell, dtype); the
    generated kernel's forward is compared with the plain reference loop too.
    Returns the worst error per implementation and configuration; raises
    :class:`BenchError` if one exceeds :data:`TOLERANCE`.
    """
    configs = [Config(c, dtype=d, **CHECK_SIZES) for c in cells for d in dtypes]
    names = {i for c in cells for i in impls[c]} - {"gemm"}
    answers = {}
    for impl in sorted(names):
        mine = [c for c in configs if impl in impls[c.cell]]
        results = spawn({"mode": "check", "impl": impl, "configs": [c.to_dict() for c in mine]})["results"]
        answers[impl] = dict(zip(mine, results))
    worst, failures = {}, []
    for c in configs:
        generated = answers["generated"][c]
        pairs = {"reference_loop": (_reference_loop(c), generated)}  # (reference, candidate)
        pairs |= {i: (generated, a[c]) for i, a in answers.items() if i != "generated" and c in a}
        for impl, (reference, candidate) in pairs.items():
            errs = agreement(reference, candidate)
            key = max(errs, key=errs.get)
            worst.setdefault(impl, {})[c.label] = errs[key]
            if not errs[key] <= TOLERANCE[c.dtype]:
                failures.append(f"{impl} on {c.label}: {key} differs from the generated kernel's by {errs[key]:.3g}")
    if failures:
        raise BenchError("bench: implementations disagree before timing:\n  " + "\n  ".join(failures))
    return {"sizes": CHECK_SIZES, "tolerance": TOLERANCE, "max_error": worst}


def _time(config: Config, impls: list, repeats: int, opts: dict) -> dict:
    runs = {i: [] for i in impls}
    for r in range(repeats):
        for impl in impls if r % 2 == 0 else impls[::-1]:
            runs[impl].append(spawn({"mode": "time", "impl": impl, "config": config.to_dict(), **opts}))
    return runs


def codegen_times(names) -> dict:
    """Per cell, :func:`symrnn.compile` seconds in a first and in a second fresh process (and their wall times)."""
    out = {}
    for name in names:
        first, second = (spawn({"mode": "codegen", "cell": name}) for _ in range(2))
        out[name] = {"first_s": first["compile_s"], "second_s": second["compile_s"],
                     "first_process_s": first["process_s"], "second_process_s": second["process_s"]}
    return out


def _environment() -> dict:
    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "numpy": np.__version__, "blas": {k: blas.get(k) for k in ("name", "version")}, "threads": {}, "imported": {}}


def run(cells=tuple(CELLS), sizes=(32, 128, 512), dtypes=("float32", "float64"), *, T=100, B=64, repeats=5,
        use_torch=True, use_jax=True, only=None, codegen=None, timing=None, progress=None, command=None) -> dict:
    """Check, then time every configuration (H = D in ``sizes``) of every cell, and the code generation.

    Parameters
    ----------
    cells, sizes, dtypes : sequences
        Benchmark cells (keys of :data:`.configs.CELLS`), hidden sizes, dtype names.
    T, B, repeats : int
        Sequence length, batch size, worker processes per implementation and configuration.
    use_torch, use_jax : bool
        Include those peers when installed.
    only : sequence of str, optional
        Time only these implementations (and the generated kernel, the checks' reference).
    codegen : sequence of str, optional
        Cells whose code generation is timed (default: the whole catalogue and ``mgu``; ``()``: none).
    timing : dict, optional
        Worker timing options (``warmup``, ``min_calls``, ``max_calls``, ``budget_s``).
    progress : callable, optional
        Called with each row when it is done.
    command : str, optional
        The command line that produced the run, kept in the result.

    Returns
    -------
    dict
        ``command``, ``environment``, ``check``, ``rows`` (see :func:`.report.summarise`), ``codegen``.
    """
    from ...cells import names as catalogue

    impls = {c: implementations(c, use_torch=use_torch, use_jax=use_jax, only=only) for c in cells}
    result = {"command": command, "environment": _environment(), "check": check(cells, dtypes, impls), "rows": []}
    for H in sizes:
        for dt in dtypes:
            for cell in cells:
                runs = _time(Config(cell, H, T, B, dt), impls[cell], repeats, dict(timing or {}))
                for impl, workers in runs.items():
                    result["environment"]["threads"].setdefault(impl, workers[0]["threads"])
                    seen = result["environment"]["imported"].setdefault(impl, {})
                    for w in workers:  # a library counts as imported if any worker of impl imported it
                        seen |= {lib: seen.get(lib, False) or on for lib, on in w["imported"].items()}
                row = summarise(Config(cell, H, T, B, dt), runs)
                result["rows"].append(row)
                if progress:
                    progress(row)
    names = list(catalogue()) + ["mgu"] if codegen is None else list(codegen)
    result["codegen"] = codegen_times(names)
    return result
