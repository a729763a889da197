"""The README's Python examples run as written, and its claims match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_readme_example_runs(k, capsys):
    namespace: dict = {}
    exec(compile(BLOCKS[k], f"README block {k}", "exec"), namespace)
    if "print(claim.run().status)" in BLOCKS[k]:
        assert capsys.readouterr().out.strip().endswith("proved")
    if "mgu.parameter_count()" in BLOCKS[k]:
        assert "2*D*H + 2*H**2 + 2*H" in capsys.readouterr().out
