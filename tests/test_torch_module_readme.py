"""The README's "Scale out" section: its Python block is the runnable example, which proves and trains under DDP.

``tests/test_readme.py`` executes the block (definitions only: the training runs under
``__main__``) and ``tests/test_readme_commands.py`` runs the section's command; here
the block must be ``symrnn/pytorch/scale_out.py`` verbatim, and a run must prove
the property, lower the loss on both ranks' data and end with identical weights.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"^## Scale out.*?(?=^## )", text, re.S | re.M).group(0)


def test_the_block_is_the_example_module_verbatim():
    (block,) = re.findall(r"```python\n(.*?)```", _section(), re.S)
    source = (ROOT / "symrnn" / "pytorch" / "scale_out.py").read_text(encoding="utf-8")
    body = source.split('"""', 2)[2].lstrip("\n")
    assert block == body
    assert "python -m symrnn.pytorch.scale_out" in _section()


def test_the_example_proves_trains_and_ends_with_identical_weights():
    proc = subprocess.run([sys.executable, "-m", "symrnn.pytorch.scale_out"], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == "proved"
    losses = [float(m.group(1)) for m in map(re.compile(r"step +\d+ +loss (\S+)").match, lines) if m]
    assert len(losses) == 4 and losses[-1] < 0.5 * losses[0], losses
    assert lines[-1] == "both ranks hold the same weights"
