"""One benchmark measurement in a process of its own: ``python -m symrnn.codegen.bench.worker SPEC``.

``SPEC`` is a JSON object; the worker prints one JSON line and exits.  Modes:

* ``{"mode": "time", "impl": …, "config": {…}}`` — build the implementation
  from the configuration's seed (:func:`.configs.inputs`), call fwd+bwd
  ``warmup`` times, then time ``calls`` more calls, then the same for forward
  only; ``calls`` = ``budget_s`` / (the last warm-up call), clamped to
  ``min_calls``–``max_calls``.  Reported per measure: calls, median, min, max
  (seconds) and the first warm-up call (``first_s``: JIT compilation, first
  allocations); plus the implementation's other figures (tape memory, …), its
  thread settings, and whether torch / JAX were imported.
* ``{"mode": "check", "impl": …, "configs": [{…}, …]}`` — outputs, final
  states and every gradient as nested lists, at each (small) configuration,
  for the parent to compare.
* ``{"mode": "codegen", "cell": NAME}`` — seconds of :func:`symrnn.compile`
  for a catalogue cell (or ``mgu``) at size 32 in this fresh process.

Only the implementation's own module is imported (:data:`.implementations.IMPLEMENTATIONS`):
a NumPy worker never imports torch, a torch worker never imports JAX.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import statistics
import sys
import time

from .configs import Config
from .implementations import IMPLEMENTATIONS

__all__ = ["time_calls", "thread_info", "measure", "main"]

ENV_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")


def _implementation(impl: str, config: Config):
    module, cls = IMPLEMENTATIONS[impl]
    return getattr(importlib.import_module(f"{__package__}.{module}"), cls)(config)


def time_calls(fn, *, warmup: int = 2, min_calls: int = 5, max_calls: int = 100, budget_s: float = 0.5) -> dict:
    """Call ``fn`` ``warmup`` times, then time a number of calls sized to ``budget_s``.

    Examples
    --------
    >>> r = time_calls(lambda: None, warmup=1, min_calls=3, max_calls=4, budget_s=1.0)
    >>> r["calls"], r["min_s"] <= r["median_s"] <= r["max_s"]
    (4, True)
    """
    warm = []
    for _ in range(warmup):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    last = warm[-1] if warm else 0.0
    calls = min(max_calls, max(min_calls, math.ceil(budget_s / last) if last > 0 else max_calls))
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"calls": calls, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "first_s": warm[0] if warm else None}


def thread_info() -> dict:
    """CPU count, thread variables of the environment and, if threadpoolctl is installed, the loaded pools."""
    info = {"cpu_count": os.cpu_count(), "env": {k: os.environ[k] for k in ENV_THREADS if k in os.environ}}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["threadpools"] = None
    else:
        info["threadpools"] = [{k: d.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
                               for d in threadpool_info()]
    return info


def _lists(value):
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value.tolist()


def _imported() -> dict:
    return {lib: lib in sys.modules for lib in ("numpy", "scipy", "torch", "jax")}


def _codegen(name: str) -> dict:
    from ...cells import cell
    from .. import compile as compile_kernel
    from .configs import mgu

    desc = mgu() if name == "mgu" else cell(name)
    sizes = {s.name: 32 for s in desc.sizes}
    t0 = time.perf_counter()
    compile_kernel(desc, **sizes)
    return {"compile_s": time.perf_counter() - t0}


def measure(spec: dict) -> dict:
    """Run one worker spec in this process (see the module docstring); returns the JSON-able answer."""
    mode = spec["mode"]
    if mode == "codegen":
        return _codegen(spec["cell"])
    if mode == "check":
        out = []
        for c in spec["configs"]:
            out.append(_lists(_implementation(spec["impl"], Config.from_dict(c)).result()))
        return {"results": out, "imported": _imported()}
    impl = _implementation(spec["impl"], Config.from_dict(spec["config"]))
    opts = {k: spec[k] for k in ("warmup", "min_calls", "max_calls", "budget_s") if k in spec}
    answer = {"fb": time_calls(impl.fb, **opts), "fwd": time_calls(impl.fwd, **opts)}
    answer["extra"] = impl.extra() if hasattr(impl, "extra") else {}
    answer["threads"] = thread_info() | (impl.threads() if hasattr(impl, "threads") else {})
    answer["imported"] = _imported()
    return answer


def main(argv=None) -> int:
    """Entry point: ``argv[0]`` is the JSON spec; prints the answer as one JSON line."""
    argv = sys.argv[1:] if argv is None else argv
    print(json.dumps(measure(json.loads(argv[0]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
