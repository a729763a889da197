"""Packaging: every subpackage ships in the wheel, and the proofs install as symrnn.proofs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_subpackage_is_listed_for_the_wheel():
    listed = set(_config()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "symrnn").rglob("__init__.py")}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert "symrnn.proofs" in listed and _config()["tool"]["setuptools"]["package-dir"]["symrnn.proofs"] == "proofs"


def test_oracles_are_never_runtime_dependencies():
    deps = " ".join(_config()["project"]["dependencies"]).lower()
    for oracle in ("torch", "keras", "torch_geometric", "tensorflow", "jax"):
        assert oracle not in deps
    test = _config()["project"]["optional-dependencies"]["test"]
    assert "torch>=2.3,<3" in test and "jax>=0.4.30" in test  # a range: a user's own torch is kept


def test_ci_installs_the_cpu_wheel_before_the_extras():
    from pathlib import Path

    run = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert run.index("pip install -q torch==2.13.0") < run.index('pip install -e ".[test]"')


def test_build_products_are_not_tracked():
    """Installing writes symrnn.egg-info/; a tracked copy made every install dirty the clone."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    assert tracked, "not a git checkout"
    assert not [p for p in tracked if ".egg-info/" in p or p.startswith(("build/", "dist/")) or p.endswith(".pyc")]
