"""Fuzz-suite configuration: profiles, the per-case property, and the tally.

Profiles (``HYPOTHESIS_PROFILE``; registered in ``tests/conftest.py`` so the
shared loader knows them):

* ``ci`` / ``dev`` / unset — the quick profile: :data:`QUICK` cases per test
  (a few hundred in all, well under a minute);
* ``fuzz-long`` — :data:`LONG` cases per unit of weight (≥ 10,000 in all)::

      HYPOTHESIS_PROFILE=fuzz-long python -m pytest tests/fuzz -q -p no:cacheprovider

At the end pytest prints ``fuzz: N cases tried, ...`` with the number of cases
that returned a result, raised a ``symrnn`` error, or escaped (must be 0), and
the number of silent differences (must be 0): a case that ran without an error
but disagreed numerically with its oracle appends a line to :data:`SILENT`.
"""

from __future__ import annotations

import collections
import os
import warnings

import pytest
from hypothesis import HealthCheck, settings

from symrnn.errors import SymrnnError

LONG = 1200
QUICK = 20
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

TALLY = collections.Counter()
ESCAPED: list[str] = []
SILENT: list[str] = []


def fuzz(weight: float = 1.0):
    """Hypothesis settings of one fuzz test: ``weight`` × the profile's cases per test."""
    n = LONG if PROFILE == "fuzz-long" else QUICK
    return settings(max_examples=max(3, int(n * weight)), deadline=None, derandomize=PROFILE != "fuzz-long",
                    suppress_health_check=list(HealthCheck), database=None)


def call(fn, *args, **kwargs):
    """Call ``fn``; return its result, or ``None`` if it raised a ``SymrnnError``.

    The property of every fuzz case: anything else escaping (KeyError,
    IndexError, numpy errors, a RuntimeWarning, which is an error here) fails
    the test and is recorded.
    """
    TALLY["calls"] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        try:
            out = fn(*args, **kwargs)
        except SymrnnError as exc:
            TALLY["symrnn_errors"] += 1
            assert str(exc).strip(), f"{type(exc).__name__} with an empty message"
            return None
        except Exception as exc:  # hypothesis' own control flow (StopTest) is a BaseException: let it through
            ESCAPED.append(f"{getattr(fn, '__qualname__', fn)}: {type(exc).__name__}: {str(exc)[:200]}")
            raise
    TALLY["results"] += 1
    return out


@pytest.fixture(autouse=True)
def _count_cases():
    yield


def pytest_terminal_summary(terminalreporter):
    if TALLY:
        terminalreporter.write_line(
            f"fuzz ({PROFILE}): {TALLY['cases']} cases tried, {TALLY['calls']} public calls: "
            f"{TALLY['results']} returned, {TALLY['symrnn_errors']} raised a symrnn error, "
            f"{len(ESCAPED)} escaped (non-symrnn exceptions), {len(SILENT)} silent differences")
        for line in sorted(set(ESCAPED))[:20]:
            terminalreporter.write_line(f"  escaped: {line}")
        for line in sorted(set(SILENT))[:20]:
            terminalreporter.write_line(f"  silent: {line}")
