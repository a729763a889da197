"""Shared test configuration.

Oracles (torch, torch_geometric, keras) are test extras that CI installs; a
test that needs one imports it with ``pytest.importorskip`` so a partial local
environment still runs the rest, while CI runs everything.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("KERAS_BACKEND", "torch")

settings.register_profile("ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# tests/fuzz reads HYPOTHESIS_PROFILE itself (quick unless "fuzz-long"); registered here so this loader accepts it
settings.register_profile("fuzz-long", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _torch_default_dtype(request):
    """torch's default dtype is global: each test gets its module's ``TORCH_DEFAULT_DTYPE`` (else float32).

    A module that set it at import time changed it for every test collected after it.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    module = getattr(request.node, "module", None)  # None for doctests and notebooks
    torch.set_default_dtype(getattr(module, "TORCH_DEFAULT_DTYPE", torch.float32))
    yield
    torch.set_default_dtype(torch.float32)


@pytest.fixture
def rng():
    """A seeded NumPy generator (each test gets the same stream)."""
    return np.random.default_rng(20261127)


@pytest.fixture(scope="session", autouse=True)
def fast_cache(tmp_path_factory):
    """One compiled-kernel cache (``SYMRNN_CACHE_DIR``) for the session: each cell structure compiles once,
    and no test writes to ``~/.cache/symrnn`` (subprocesses, such as benchmark workers, inherit it).

    An environment that names a cache directory keeps it (CI may keep one between runs).
    """
    if os.environ.get("SYMRNN_CACHE_DIR"):
        yield os.environ["SYMRNN_CACHE_DIR"]
        return
    path = str(tmp_path_factory.mktemp("symrnn-cache"))
    os.environ["SYMRNN_CACHE_DIR"] = path
    yield path
    os.environ.pop("SYMRNN_CACHE_DIR", None)


@pytest.fixture(params=["numpy", "numba"])
def backend(request):
    """The kernel backend an oracle test runs on: every torch / Keras / finite-difference check runs on both."""
    if request.param == "numba":
        pytest.importorskip("numba")
        request.getfixturevalue("fast_cache")
    return request.param
