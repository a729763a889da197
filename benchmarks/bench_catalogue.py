"""Benchmark: build and render every registered model (cells, tree models, graph layers).

Target: under 2 s for the cells, and independent of the sizes.  Descriptions
are symbolic in their sizes; the second table substitutes a number for every
size symbol in every declared shape and in the parameter count — SymPy
arithmetic only, nothing is allocated — so H = 10⁶ costs what H = 8 does.

Run: ``python benchmarks/bench_catalogue.py``
"""

from __future__ import annotations

import time

import sympy as sp

from symrnn import registry


def build_and_render(kind: str | None = None) -> float:
    registry.clear_cache()  # measure real construction, not the registry's cache
    start = time.perf_counter()
    for name in registry.names(kind):
        desc = registry.model(name)
        desc.latex()
        desc.parameter_count()
    return time.perf_counter() - start


def _cells(desc) -> list:
    """The cells of a description: itself, both directions, or a tree model's node and edge cells."""
    if hasattr(desc, "forward") and hasattr(desc, "backward") and not hasattr(desc, "equations"):
        return [desc.forward, desc.backward]
    return list(desc.cells) if hasattr(desc, "node") else [desc]


def shapes_at(size: int) -> float:
    """Every declared shape and every parameter count with all sizes set to ``size`` (symbolic substitution)."""
    start = time.perf_counter()
    for name in registry.names():
        desc = registry.model(name)
        for c in _cells(desc):
            values = {s: size for s in c.sizes}
            for d in (*c.inputs, *c.states, *c.params):
                shape = tuple(int(sp.sympify(n).xreplace(values)) for n in d.shape)
                assert all(n >= 1 for n in shape), (name, d.name, shape)
        count = int(sp.sympify(desc.parameter_count()).xreplace({s: size for c in _cells(desc) for s in c.sizes}))
        has_params = any(c.params for c in _cells(desc))  # the spectral filter's θ is an input: no parameter
        assert count >= (1 if has_params else 0), (name, count)
    return time.perf_counter() - start


def main() -> None:
    for kind in registry.KINDS:
        if registry.names(kind):
            runs = [build_and_render(kind) for _ in range(3)]
            print(f"build + LaTeX + counts, {len(registry.names(kind))} {registry.LABELS[kind]}: "
                  f"best {min(runs):.3f} s, worst {max(runs):.3f} s" + (" (target < 2 s)" if kind == "cell" else ""))
    print("shapes and counts of every model with every size set to n (symbolic; nothing allocated):")
    base = None
    for size in (8, 128, 4096, 10**6):
        t = min(shapes_at(size) for _ in range(3))
        base = base or t
        print(f"  n = {size:>8}: {t * 1e3:7.1f} ms  (ratio to n=8: {t / base:.2f})")


if __name__ == "__main__":
    main()
