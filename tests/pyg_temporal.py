"""PyTorch Geometric Temporal 0.56.2 modules loaded from their files (its package __init__ imports torch_sparse).

``.ci/run`` installs it with ``--no-deps``; a test that needs it skips only when it is not installed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from pathlib import Path

import pytest


def load(relative: str):
    """The module ``torch_geometric_temporal/<relative>.py`` (e.g. ``"nn/recurrent/gconv_gru"``), loaded once."""
    spec = importlib.util.find_spec("torch_geometric_temporal")
    if spec is None:
        pytest.skip("torch-geometric-temporal is not installed (.ci/run installs 0.56.2 with --no-deps)")
    assert importlib.metadata.version("torch-geometric-temporal") == "0.56.2"
    path = Path(spec.submodule_search_locations[0]) / f"{relative}.py"
    key = "pyg_temporal_" + relative.rsplit("/", 1)[-1]
    if key not in sys.modules:  # PyG's MessagePassing reads its module's globals from sys.modules
        loaded = importlib.util.spec_from_file_location(key, path)
        sys.modules[key] = importlib.util.module_from_spec(loaded)
        loaded.loader.exec_module(sys.modules[key])
    return sys.modules[key]
