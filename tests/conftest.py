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
