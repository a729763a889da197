"""The compiled backend's disk cache and its errors: a second process loads, a failed write leaves nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import symrnn
from symrnn.errors import InputError

pytest.importorskip("numba")

from symrnn.codegen.fast import cache  # noqa: E402

_PROBE = textwrap.dedent("""
    import json, sys, time
    import numpy as np, symrnn
    t0 = time.perf_counter()
    k = symrnn.compile(symrnn.cell(sys.argv[1]), D=3, H=4, backend="numba")
    seconds = time.perf_counter() - t0
    out, _, tape = k.forward(np.ones((2, 1, 3)))
    k.backward(tape, np.ones_like(out))
    mod = sys.modules[[m for m in sys.modules if m.startswith("symrnn_kernel_")][0]]
    stats = {f: (sum(getattr(mod, f).stats.cache_hits.values()), sum(getattr(mod, f).stats.cache_misses.values()))
             for f in ("_fwd", "_bwd")}
    print(json.dumps({"seconds": seconds, "stats": stats, "out": float(out.sum())}))
""")


def _probe(cache_dir, name):
    env = dict(os.environ, SYMRNN_CACHE_DIR=str(cache_dir))
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run([sys.executable, "-c", _PROBE, name], capture_output=True, text=True, env=env, check=True)
    import json

    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_compiled_kernel_without_compiling(tmp_path):
    first = _probe(tmp_path, "gru_reset_before")
    assert first["stats"] == {"_fwd": [0, 1], "_bwd": [0, 1]}  # compiled here
    files = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".py")
    assert len(files) == 1 and files[0].startswith("kernel_")
    second = _probe(tmp_path, "gru_reset_before")
    assert second["stats"] == {"_fwd": [1, 0], "_bwd": [1, 0]}  # loaded from numba's cache beside the module
    assert second["out"] == first["out"]


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(cache.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        cache.write_atomic(tmp_path / "kernel_x.py", "x = 1\n")
    assert list(tmp_path.iterdir()) == []


def test_the_cache_directory_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMRNN_CACHE_DIR", str(tmp_path))
    assert cache.module_path("x = 1\n").parent == tmp_path
    assert cache.module_path("x = 1\n") != cache.module_path("x = 2\n")


def test_bad_backends_are_named_before_any_work(monkeypatch):
    with pytest.raises(InputError, match="backend must be one of .*'cuda'"):
        symrnn.compile(symrnn.cell("lstm"), D=2, H=3, backend="cuda")
    with pytest.raises(InputError, match="backend"):
        symrnn.compile(symrnn.cell("bidirectional", cell_name="rnn"), D=2, H=3, backend=None)
    from symrnn import registry

    with pytest.raises(InputError, match="backend='numba'.*graph layer"):
        symrnn.compile(registry.model("gcn"), F=3, G=2, backend="numba")
    import symrnn.codegen.fast as fast

    monkeypatch.setattr(fast, "available", lambda: False)
    with pytest.raises(InputError, match=r"pip install 'symrnn\[fast\]'"):
        symrnn.compile(symrnn.cell("rnn"), D=2, H=3, backend="numba")
    assert symrnn.compile(symrnn.cell("rnn"), D=2, H=3, backend="auto").backend == "numpy"


def test_every_boundary_check_stays_on_the_compiled_backend(fast_cache):
    k = symrnn.compile(symrnn.cell("lstm"), D=3, H=4, backend="numba")
    with pytest.raises(InputError, match="dtype"):
        k.forward(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(InputError, match="lengths"):
        k.forward(np.zeros((5, 2, 3)), lengths=np.array([6, 1]))
    out, _, tape = k.forward(np.zeros((5, 2, 3)))
    with pytest.raises(InputError, match="d_outputs"):
        k.backward(tape, np.zeros((5, 2, 3)))
