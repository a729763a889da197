"""Issue 20, item 6: every shell command of the README runs (``bench_catalogue.py`` once crashed at H = 10⁶).

The commands are read from the README as it is — its ``bash`` blocks and the
commands quoted in its text and tables — so a command added there is run here
without touching this file.  Each runs in a fresh directory (files the README
writes, such as ``docs/gate_ablation.png`` or ``lstm.pdf``, land there), as a
subprocess; the long ones with a few options appended that make them small
(same code path, smaller sizes), listed in :data:`SMALLER`.  Only installing
and the test suite itself are not run (:data:`NOT_RUN`, with the reason).
They run concurrently; each must exit 0 and write what it says it writes.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

NOT_RUN = {
    "pip install": "installs the package: .ci/run does it before the suite",
    "python -m pytest": "the test suite itself",
    "HYPOTHESIS_PROFILE=": "the test suite itself (the long fuzz profile)",
}

SMALLER = {  # prefix -> options appended (argparse keeps the last value of a repeated flag)
    "symrnn prove --report": ["gru_three_quarters_of_lstm", "bidirectional_reversal"],
    "symrnn experiment": ["--seeds", "1", "--steps", "2", "--length", "4", "--hidden", "3", "--batch-size", "2"],
    "symrnn bench": ["--cells", "rnn", "--sizes", "8", "--dtypes", "float64", "-T", "3", "-B", "2", "--repeats", "1",
                     "--no-jax", "--no-torch", "--no-codegen"],
    "python -m symrnn.derive.flow": ["--hidden", "4", "--inputs", "2", "--steps", "6"],
    "python benchmarks/bench_trees.py": ["--nodes", "200", "--repeat", "1"],
    "python benchmarks/bench_graphs.py": ["--nodes", "300", "--repeat", "1", "--rounds", "1"],
    "python benchmarks/bench_graphrnn.py": ["--epochs", "3", "--samples", "4", "--seeds", "1", "--hidden", "4"],
    "python benchmarks/bench_prove.py": ["--rounds", "1"],
    "python benchmarks/bench_torch_module.py": ["--cells", "mgu", "--sizes", "4", "-T", "3", "-B", "2", "--repeats", "1"],
    "python benchmarks/bench_compile.py": ["--cells", "mgu", "--dtypes", "float32", "--rounds", "1"],
    "python benchmarks/bench_stgcn.py": ["--nodes", "300", "--repeat", "1", "--rounds", "1"],
}

MY_PROOFS = """import symrnn
from symrnn.prove import Theorem, identity

D, H = symrnn.sizes("D H")
rnn_count = Theorem("rnn_count", "P = DH + H^2 + H",
                    lambda: identity(symrnn.cell("rnn").parameter_count(), D*H + H**2 + H))
"""


def readme_commands() -> list[str]:
    """Every command of the README, in order, once: bash-block lines (``&&`` chains split) and quoted commands."""
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```(?:bash|sh|shell|console)\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                out += [part.strip() for part in line.split("&&") if part.strip()]
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    out += [span.strip() for span in re.findall(r"`([^`\n]+)`", prose)
            if re.match(r"(?:[A-Z_]+=\S+\s+)*(?:symrnn|python)\s", span)]
    return list(dict.fromkeys(out))


COMMANDS = readme_commands()


def _argv(command: str) -> list[str]:
    """The command as a process runs it: ``symrnn`` the installed entry point, ``python`` this interpreter."""
    words = shlex.split(command) + next((extra for prefix, extra in SMALLER.items() if command.startswith(prefix)), [])
    if words[0] == "symrnn":
        exe = shutil.which("symrnn")
        words = ([exe] if exe else [sys.executable, "-m", "symrnn.cli"]) + words[1:]
    elif words[0] == "python":
        words[0] = sys.executable
    return [str(REPO / w) if w.startswith("benchmarks/") else w for w in words]


def _run(command: str, root: Path):
    slug = re.sub(r"\W+", "_", command)
    cwd = root / f"{slug[:50]}_{zlib.crc32(command.encode()):08x}"  # commands sharing a long prefix stay apart
    (cwd / "docs").mkdir(parents=True)
    (cwd / "my_proofs.py").write_text(MY_PROOFS)  # what `symrnn prove --from my_proofs.py` reads
    (cwd / "FILE.py").write_text(MY_PROOFS)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(_argv(command), cwd=cwd, capture_output=True, text=True, timeout=900, env=env)
    return cwd, proc


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("readme")
    runnable = [c for c in COMMANDS if not any(c.startswith(p) for p in NOT_RUN)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(runnable, pool.map(lambda c: _run(c, root), runnable)))


def test_the_readme_has_commands_of_every_kind():
    starts = {c.split()[0] + " " + c.split()[1] for c in COMMANDS if len(c.split()) > 1}
    assert {"symrnn list", "symrnn show", "symrnn prove", "symrnn derive", "symrnn bench"} <= starts
    assert "python benchmarks/bench_catalogue.py" in COMMANDS


@pytest.mark.parametrize("command", [c for c in COMMANDS if not any(c.startswith(p) for p in NOT_RUN)])
def test_readme_command_runs(command, results):
    cwd, proc = results[command]
    assert proc.returncode == 0, f"$ {command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr
    for path in re.findall(r"(?:-o |--report |--plot |^python -m symrnn\.derive\.flow )(\S+)", command):
        data = (cwd / path).read_bytes()
        assert data.startswith(b"%PDF" if path.endswith(".pdf") else b"\x89PNG"), (command, path)
    if command.startswith("symrnn show") and "--latex" in command:
        assert proc.stdout.startswith("\\begin{aligned}")
    if command == "python benchmarks/bench_catalogue.py":
        assert "n =  1000000" in proc.stdout  # the size that used to crash


def test_commands_left_out_say_why():
    left = [c for c in COMMANDS if any(c.startswith(p) for p in NOT_RUN)]
    assert all(NOT_RUN[next(p for p in NOT_RUN if c.startswith(p))] for c in left)
    assert not any(c.startswith("symrnn") for c in left)  # every symrnn command runs
