"""Generated NumPy kernels of graph layers: one step over the nodes and edges of a graph.

:class:`LayerKernel` compiles the sources of :mod:`symrnn.codegen.layer` for
concrete feature sizes and a dtype, holds the parameters (the numeric layout
of :mod:`symrnn.numeric`: ``W @ x``, i.e. (out, in) as PyTorch's
``Linear.weight``) and checks every array at its boundary.  The graph is
given per call (a networkx graph, a :class:`~symrnn.graphs.graph.Graph` or
prebuilt :class:`~symrnn.graphs.operators.GraphOperators`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import CompileError, InputError
from ..numeric.params import init_params, param_shapes, real_array, resolve_sizes, vector_sizes
from ..spec.cell import PREV
from .kernel import check_dtype
from .layer import layer_backward_source, layer_forward_source
from .naming import foreign_identifiers
from .runtime import RUNTIME

__all__ = ["LayerKernel", "LayerTape"]


@dataclass(frozen=True, eq=False)
class LayerTape:
    """What the backward pass reads: the step's values and the graph's operators."""

    kernel: "LayerKernel"
    operators: object
    values: dict
    params: dict  # the parameters of this forward pass (backward uses these, whatever the kernel holds later)


class LayerKernel:
    """Forward and backward of one graph layer (or one step of a graph-recurrent cell).

    Examples
    --------
    >>> import networkx as nx, numpy as np, symrnn
    >>> b = symrnn.GraphBuilder("mean_layer")
    >>> F, = b.sizes("F")
    >>> x = b.node_input("x", F)
    >>> _ = b.output("h", b.propagate("mean_in", x))
    >>> k = symrnn.compile(b.build(), F=1)
    >>> G = nx.DiGraph(); G.add_nodes_from([0, 1, 2]); G.add_edges_from([(0, 2), (1, 2)])
    >>> out, tape = k.forward(G, {"x": np.array([[1.0], [3.0], [5.0]])})   # rows in G.nodes order
    >>> out["h"].ravel().tolist()
    [0.0, 0.0, 2.0]
    >>> k.backward(tape, {"h": np.ones((3, 1))})["x"].ravel().tolist()
    [0.5, 0.5, 0.0]
    """

    def __init__(self, cell, sizes: Mapping[str, int], dtype=np.float64, params=None):
        if not cell.is_graph:
            raise CompileError(f"{cell.name!r} has no graph vectors; compile it with symrnn.compile as a cell")
        self.cell = cell
        self.sizes = {s.name: v for s, v in resolve_sizes(cell, sizes).items()}
        self.dtype = check_dtype(dtype)
        self.shapes = param_shapes(cell, self.sizes)
        self.n = vector_sizes(cell, self.sizes)
        self.source = layer_forward_source(cell, self.shapes, self.n) + "\n\n" + layer_backward_source(cell, self.shapes, self.n)
        foreign = foreign_identifiers(self.source)
        if foreign:
            raise CompileError(f"layer {cell.name!r}: generated code would use identifiers {sorted(foreign)} outside its "
                               "reserved namespace (a symrnn bug; please report it)")
        namespace = dict(RUNTIME)
        exec(compile(self.source, f"<symrnn layer {cell.name}>", "exec"), namespace)
        self._forward, self._backward = namespace["_forward"], namespace["_backward"]
        self._backwards = {frozenset(): self._backward}  # one generated backward per set of gradients left out
        self.params = init_params(cell, self.sizes, rng=0, dtype=self.dtype) if params is None else params

    @property
    def params(self) -> dict:
        """Parameter arrays by name; assigning checks names, shapes and values and casts to the kernel dtype."""
        return self._params

    @params.setter
    def params(self, values):
        if not isinstance(values, Mapping):
            raise InputError(f"params must be a dict of arrays, got {type(values).__name__}")
        missing = [p for p in self.shapes if p not in values]
        extra = [p for p in values if p not in self.shapes]
        if missing or extra:
            raise InputError(f"params of {self.cell.name!r}: missing {missing}, unexpected {extra}")
        self._params = {p: real_array(values[p], f"params[{p!r}]", shape, self.dtype) for p, shape in self.shapes.items()}

    def operators(self, graph, **options):
        """The graph's operators (built once; pass them back as ``graph`` to reuse them)."""
        from ..graphs.operators import GraphOperators

        fixed = dict(self.cell.graph)  # the description's own options: part of the model, not overridable
        if isinstance(graph, GraphOperators):
            wrong = sorted(k for k, v in fixed.items() if getattr(graph, k) != v)
            if wrong:
                raise InputError(f"graph: operators built with {', '.join(f'{k}={getattr(graph, k)!r}' for k in wrong)}, "
                                 f"but {self.cell.name!r} fixes {', '.join(f'{k}={fixed[k]!r}' for k in wrong)}")
            return graph
        clash = sorted(k for k in options if k in fixed and options[k] != fixed[k])
        if clash:
            raise InputError(f"{self.cell.name!r} fixes the graph options {', '.join(f'{k}={fixed[k]!r}' for k in clash)}; "
                             f"got {', '.join(f'{k}={options[k]!r}' for k in clash)}")
        return GraphOperators(graph, **{**options, **fixed})

    def _vectors(self, ops, given, names, what):
        given = {} if given is None else given
        if not isinstance(given, Mapping):
            raise InputError(f"{what} must be a dict name -> array, got {type(given).__name__}")
        extra = sorted(set(map(str, given)) - set(names))
        if extra:
            raise InputError(f"{what}: unexpected {extra}; {self.cell.name!r} takes {sorted(names)}")
        out = {}
        for name in names:
            rows = ops.rows(self.cell.space(name))
            n = self.n[name]
            if name not in given:
                if what == "initial":
                    out[name] = np.zeros((rows, n), self.dtype)
                    continue
                raise InputError(f"{what}: missing {name!r} ({rows} × {n}, one row per {self.cell.space(name)})")
            out[name] = real_array(given[name], f"{what}[{name!r}]", (rows, n), self.dtype)
        return out

    def forward(self, graph, inputs=None, initial=None, **options):
        """``(outputs, tape)``: every state's new value by name, and what :meth:`backward` reads.

        ``inputs`` maps input names to (rows, n) arrays (rows = nodes or edges);
        ``initial`` the previous states of a graph-recurrent cell (zero if absent);
        ``options`` go to :class:`~symrnn.graphs.operators.GraphOperators`
        (``edges="self_loops"``, ``add_self_loops``, ``lambda_max`` …).
        """
        ops = self.operators(graph, **options)
        xs = self._vectors(ops, inputs, [d.name for d in self.cell.inputs], "inputs")
        init = self._vectors(ops, initial, list(self.cell.state_names), "initial")
        with np.errstate(over="ignore", under="ignore"):
            values = self._forward(ops, self._params, xs, init)
        params = {k: v.copy() for k, v in self._params.items()}
        return {s: values[s] for s in self.cell.state_names}, LayerTape(self, ops, values, params)

    def backward(self, tape: LayerTape, d_outputs, *, without=()) -> dict:
        """Gradients of a loss given ∂L/∂(each output): every parameter, input and previous state (``h_prev``).

        ``without`` names inputs or previous states whose gradient is not wanted: they are absent
        from the result and the generated backward for that set (compiled once) skips every
        statement only they need.  Parameters' gradients are always computed.
        """
        leaves = [d.name for d in self.cell.inputs] + [d.name + PREV for d in self.cell.states]
        if not isinstance(without, (list, tuple, set, frozenset)) or not all(isinstance(u, str) for u in without):
            raise InputError(f"without must be a collection of input names, got {without!r}")
        wrong = sorted(set(without) - set(leaves))
        if wrong:
            raise InputError(f"without: {wrong} are not inputs or previous states of {self.cell.name!r} ({leaves})")
        if not isinstance(tape, LayerTape) or tape.kernel is not self:
            raise InputError("backward: pass the tape returned by this kernel's forward")
        if not isinstance(d_outputs, Mapping):
            raise InputError(f"d_outputs must be a dict output -> array, got {type(d_outputs).__name__}")
        dout = {}
        for name, v in d_outputs.items():
            if name not in self.cell.state_names:
                raise InputError(f"d_outputs: {name!r} is not an output of {self.cell.name!r} ({list(self.cell.state_names)})")
            dout[name] = real_array(v, f"d_outputs[{name!r}]", tape.values[name].shape, self.dtype)
        key = frozenset(without)
        if key not in self._backwards:
            namespace = dict(RUNTIME)
            source = layer_backward_source(self.cell, self.shapes, self.n, key)
            exec(compile(source, f"<symrnn layer {self.cell.name} backward>", "exec"), namespace)
            self._backwards[key] = namespace["_backward"]
        with np.errstate(over="ignore", under="ignore"):
            return self._backwards[key](tape.operators, tape.params, tape.values, dout)

