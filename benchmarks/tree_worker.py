"""One tree-benchmark measurement in a process of its own: ``python benchmarks/tree_worker.py SPEC``.

``SPEC`` is a JSON object; the worker prints one JSON line and exits.  The
workload (a parent array, features, the loss weights R and, for N-ary
models, child positions) is read from ``SPEC["data"]``, an ``.npz`` file the
parent wrote once, so every process times the same trees.  Implementations:

* ``symrnn`` — :func:`symrnn.trees.forest_from_parents`, then the kernel's
  forward and backward (∂L/∂h = R, in the forest's row order);
* ``torch`` — :mod:`tree_torch`: its own levels from the parent array, then
  forward and ``loss.backward()`` (L = Σ h ⊙ R), fresh leaf tensors per call;
* ``networkx`` — :func:`symrnn.trees.forest` on the same trees as networkx
  graphs (built before timing): the layout from networkx alone;
* ``recursion`` — :func:`symrnn.trees.reference.run_forest`, the per-node
  recursion (forward only).

Modes: ``{"mode": "time", …}`` calls the implementation once to warm up
(none with ``"warmup": 0``), then ``calls`` more times (sized to ``budget_s``, clamped to
``min_calls``–``max_calls``), and reports per phase (layout, forward,
backward, their total) the median and minimum, the first call, the peak
resident memory and the thread settings.  ``{"mode": "check", …}`` returns
outputs (h and c per node) and every gradient in input order, as lists, for
the parent to compare.  Only the implementation's own libraries are
imported: a symrnn worker never imports torch, a torch worker never symrnn.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time

import numpy as np

PHASES = ("layout", "forward", "backward")


def model(name: str):
    from symrnn import trees

    return trees.child_sum_tree_lstm() if name == "child_sum" else trees.nary_tree_lstm(int(name[4:]))


def arity(name: str) -> int | None:
    return None if name == "child_sum" else int(name[4:])


def params(name: str, D: int, H: int, seed: int) -> dict:
    """The parameters of both sides: symrnn's names and shapes, uniform in ±0.9/√H (NumPy only)."""
    N = arity(name)
    rng = np.random.default_rng(seed + 1)
    names = [f"{w}_{g}" for w in "Wb" for g in "ifou"]
    if N is None:
        names += [f"U_{g}" for g in "ifou"]
    else:
        names += [f"U_{g}_{l + 1}" for g in "iou" for l in range(N)]
        names += [f"U_f{k + 1}_{l + 1}" for k in range(N) for l in range(N)]
    shape = {"W": (H, D), "b": (H,), "U": (H, H)}
    k = 0.9 / math.sqrt(H)
    return {n: rng.uniform(-k, k, shape[n[0]]) for n in sorted(names)}


class Symrnn:
    def __init__(self, spec, data):
        from symrnn import trees

        self.trees, self.data = trees, data
        self.kernel = trees.compile_tree(model(spec["model"]), D=spec["D"], H=spec["H"])
        self.params = params(spec["model"], spec["D"], spec["H"], spec["seed"])

    def call(self) -> dict:
        d, t = self.data, [time.perf_counter()]
        f = self.trees.forest_from_parents(d["parents"], d["X"], positions=d.get("positions"))
        t.append(time.perf_counter())
        run = self.kernel.forward(self.params, f)
        t.append(time.perf_counter())
        self.grads = self.kernel.backward(run, {"h": d["R"][f.node]})
        t.append(time.perf_counter())
        self.run = run
        return dict(zip(PHASES, np.diff(t)))

    def result(self) -> dict:
        self.call()
        f, node = self.run.forest, self.run.forest.node
        back = lambda a: _input_order(node, a)  # noqa: E731
        return {"states": {s: back(v) for s, v in self.run.states.items()},
                "grads": {n: (back(g) if n == "x" else g) for n, g in self.grads.items()},
                "levels": f.levels}


def _input_order(node, rows):
    out = np.empty_like(rows)
    out[node] = rows
    return out


class Torch:
    def __init__(self, spec, data):
        import tree_torch

        import torch

        self.tt, self.torch, self.data, self.spec = tree_torch, torch, data, spec
        if spec.get("threads"):
            torch.set_num_threads(int(spec["threads"]))
        self.params = params(spec["model"], spec["D"], spec["H"], spec["seed"])
        self.X, self.R = torch.from_numpy(data["X"]), torch.from_numpy(data["R"])

    def call(self) -> dict:
        tt, torch, d = self.tt, self.torch, self.data
        N = arity(self.spec["model"])
        t = [time.perf_counter()]
        lv = tt.levels(d["parents"], d.get("positions"))
        t.append(time.perf_counter())
        X = self.X.detach().requires_grad_(True)
        p = tt._tensors(self.params, X.dtype)
        hs, cs = tt.child_sum(lv, X, p) if N is None else tt.nary(lv, X, p, N)
        Rs = self.R.index_select(0, lv.order).split(lv.sizes)
        loss = sum((h * r).sum() for h, r in zip(hs, Rs))
        t.append(time.perf_counter())
        loss.backward()
        t.append(time.perf_counter())
        self.last = (lv, hs, cs, dict(p, x=X))
        return dict(zip(PHASES, np.diff(t)))

    def result(self) -> dict:
        self.call()
        lv, hs, cs, leaves = self.last
        states = {"h": self.tt.input_order(lv, hs), "c": self.tt.input_order(lv, cs)}
        return {"states": {s: v.detach().numpy() for s, v in states.items()},
                "grads": {n: t.grad.numpy() for n, t in leaves.items()}, "levels": len(lv.sizes)}

    def threads(self) -> dict:
        return {"torch_num_threads": self.torch.get_num_threads(), "torch": self.torch.__version__}


class Networkx:
    def __init__(self, spec, data):
        import networkx as nx
        from symrnn import trees

        self.trees, parents, positions = trees, data["parents"], data.get("positions")
        roots = np.flatnonzero(parents < 0).tolist() + [parents.size]  # the workloads' trees are ranges of nodes
        self.graphs = []
        for r, end in zip(roots[:-1], roots[1:]):
            G = nx.DiGraph()
            G.add_nodes_from((v, {"x": x}) for v, x in zip(range(r, end), data["X"][r:end]))
            kids = range(r + 1, end)
            G.add_edges_from((int(parents[c]), c, {} if positions is None else {"position": int(positions[c])})
                             for c in kids)
            self.graphs.append(G)

    def call(self) -> dict:
        t0 = time.perf_counter()
        self.trees.forest(self.graphs)
        return {"layout": time.perf_counter() - t0, "forward": 0.0, "backward": 0.0}


class Recursion:
    """The per-node recursion (``reference.run_forest``): one matrix-vector product per gate and node.

    ``run_tree`` decides which paper's equations to run once per tree (it once did so per node,
    rebuilding the catalogue models: 12–40 ms per node).
    """

    def __init__(self, spec, data):
        from symrnn import trees

        self.trees, self.model = trees, model(spec["model"])
        self.forest = trees.forest_from_parents(data["parents"], data["X"], positions=data.get("positions"))
        self.params = params(spec["model"], spec["D"], spec["H"], spec["seed"])

    def call(self) -> dict:
        t0 = time.perf_counter()
        self.trees.reference.run_forest(self.model, self.params, self.forest)
        return {"layout": 0.0, "forward": time.perf_counter() - t0, "backward": 0.0}


IMPLEMENTATIONS = {"symrnn": Symrnn, "torch": Torch, "networkx": Networkx, "recursion": Recursion}


def _summary(calls: list, first: dict) -> dict:
    out = {}
    for ph in PHASES + ("total",):
        xs = [c[ph] if ph != "total" else sum(c[p] for p in PHASES) for c in calls]
        out[ph] = {"median_s": statistics.median(xs), "min_s": min(xs),
                   "first_s": first[ph] if ph != "total" else sum(first[p] for p in PHASES)}
    return out


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory (VmHWM: since its exec, unlike ru_maxrss, which keeps the forking parent's)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None


def measure(spec: dict) -> dict:
    """Run one spec (see the module docstring) in this process; the JSON-able answer."""
    data = dict(np.load(spec["data"]))
    impl = IMPLEMENTATIONS[spec["impl"]](spec, data)
    if spec["mode"] == "check":
        r = impl.result()
        return {"states": {k: v.tolist() for k, v in r["states"].items()},
                "grads": {k: np.asarray(v).tolist() for k, v in r["grads"].items()}, "levels": r["levels"]}
    if spec.get("warmup", 1):
        first = impl.call()
        warm = sum(first.values())
        calls = min(spec.get("max_calls", 10), max(spec.get("min_calls", 3), math.ceil(spec.get("budget_s", 3.0) / warm)))
        timed = [impl.call() for _ in range(calls)]
    else:  # one cold call (the per-node recursion: seconds per call, nothing to warm)
        calls, timed = 1, [impl.call()]
        first = timed[0]
    answer = {"calls": calls, "phases": _summary(timed, first),
              "peak_rss_mb": _peak_rss_mb(),
              "threads": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
              "imported": {lib: lib in sys.modules for lib in ("symrnn", "torch", "networkx")}}
    if hasattr(impl, "threads"):
        answer["threads"] |= impl.threads()
    return answer


if __name__ == "__main__":  # argv[1]: the JSON spec; the answer: one JSON line
    print(json.dumps(measure(json.loads(sys.argv[1]))), flush=True)
