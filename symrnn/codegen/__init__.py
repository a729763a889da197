"""Code generation: NumPy kernels (forward and backward) generated from descriptions.

:func:`compile` turns a description into a :class:`Kernel` (one cell) or a
:class:`Network` (stacked or bidirectional layers).  Nothing here is written
per cell: the plan (:mod:`.plan`) groups the linear stages into stacked GEMMs,
the printer (:mod:`.printer`) prints the pointwise stages and their partials,
and :mod:`.forward` / :mod:`.backward` assemble the source (``kernel.source``).

Design notes (why the generated code looks as it does)
------------------------------------------------------
* Matrix structure is kept: one GEMM for the input projection of all T steps
  per input vector (the matrices of every stage reading it stacked at run
  time), one GEMM per step per previous-state vector (all gates at once), and
  after the backward loop one GEMM per stacked matrix for dW = dAᵀX over all
  T·B rows and one for dX = dA W.  Scalar unrolling is 10-40x slower.
* Pointwise stages are the description's per-unit expressions printed on whole
  (B, n) arrays, in their cheapest collected form (the GRU update becomes
  n + z (h - n)), the outermost operation writing with ``out=`` into
  preallocated storage; gates ``y = F(a)`` run in place in the pre-activation
  buffer, one call per run of equal F.
* σ(a) = 0.5 + 0.5 tanh(a/2): stable for any finite a in float32/float64 (no
  overflow warning, unlike 1/(1+e^{-a})), and a/2 comes straight out of the GEMM
  (the sigmoid gates' rows are pre-scaled by 0.5 when stacked), saving a pass.
  ``scipy.special.expit`` is stable too but measured ~8x slower than tanh here.
* Every product is NumPy's ``matmul`` (the recurrent one into a scratch
  buffer added to ``_P[t]``), never SciPy's BLAS wrappers: the two wheels
  bundle separate OpenBLAS thread pools whose spinning threads slowed each
  other's GEMMs up to 2x here (figures in :mod:`symrnn.codegen.forward`).
* Backward partials come from :func:`~symrnn.spec.partials.pointwise_partials`
  (σ' = y(1-y) reads the stored gate); function applications inside larger
  expressions (tanh(c) in h = o ⊙ tanh(c)) are computed once in the forward
  pass and kept; each stage's contributions share factors through ``sympy.cse``.
* Tape: exactly the values the backward formulas read (``Tape.strict_nbytes``
  counts them, one (T, B, n) array each); states the backward never reads use
  two rolling buffers; the inputs are referenced, not copied.
* Variable lengths follow PyTorch packed sequences: past its length a sequence
  keeps its state, its outputs are zero, and a reverse direction starts at the
  sequence's own last valid step.
* Gradients come back as one dict: every parameter by name, every input
  (T, B, n) by name, and each state's *initial* value by the state's name.
* ``backend="numba"`` runs the same plan compiled (:mod:`symrnn.codegen.fast`):
  no Python per step; the NumPy source stays the reference and the fallback.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import CompileError, InputError
from ..spec.cell import Cell
from ..spec.compose import Bidirectional, Stacked
from .fast import resolve
from .kernel import Kernel, Tape
from .network import Network

__all__ = ["compile", "Kernel", "Network", "Tape", "KEYWORDS"]

KEYWORDS = ("dtype", "input_size", "hidden_size", "params", "sizes", "backend")
"""Keywords of :func:`compile`; a size with one of these names is given in ``sizes=``."""

DEFAULT_BACKEND = "numpy"
"""``backend`` of :func:`compile` when none is given."""


def _given_sizes(description, sizes, keywords: dict) -> dict:
    """The sizes of ``compile(description, sizes=sizes, **keywords)``, checked before any work."""
    sizes = {} if sizes is None else sizes
    for s in getattr(description, "sizes", ()):
        if s.name in KEYWORDS and not (isinstance(sizes, Mapping) and s.name in sizes):
            raise InputError(f"size {s.name!r} of {description.name!r} has the name of a compile() keyword; "
                             f"give it as sizes={{{s.name!r}: ...}}")
    if not isinstance(sizes, Mapping):
        raise InputError(f"sizes must be a mapping such as {{'D': 3, 'H': 4}}, got {type(sizes).__name__} {sizes!r}")
    twice = sorted(set(sizes) & set(keywords))
    if twice:
        raise InputError(f"sizes {twice} are given twice, in sizes= and as keywords; give each once")
    return {**sizes, **keywords}


def _alias_sizes(cell: Cell, sizes: dict, input_size, hidden_size) -> dict:
    sizes = dict(sizes)
    if input_size is not None:
        if len(cell.inputs) != 1:
            raise InputError(f"input_size: cell {cell.name!r} has {len(cell.inputs)} inputs; give sizes by name")
        sizes.setdefault(str(cell.inputs[0].size), input_size)
    if hidden_size is not None:
        sizes.setdefault(str(cell.declared[cell.output][1].size), hidden_size)
    return sizes


def compile(description, /, *, dtype=np.float64, input_size=None, hidden_size=None, params=None, sizes=None,
            backend=DEFAULT_BACKEND, **size_values):
    """Generate the forward and backward NumPy kernels of a description.

    Parameters
    ----------
    description : Cell, Stacked or Bidirectional
        A catalogue entry (:func:`symrnn.cell`) or a user-defined cell.
    dtype : numpy.float32 or numpy.float64
    input_size, hidden_size : int, optional
        Aliases for the size of the (single) input and of the output state;
        for a stacked network ``hidden_size`` is an int (all layers) or a tuple.
    params : dict, optional
        Initial parameters (default: :func:`symrnn.numeric.init_params` with seed 0).
    sizes : dict, optional
        The description's sizes by name, ``{"D": 3, "H": 4}``; a size named like one
        of this function's keywords (:data:`KEYWORDS`: ``dtype``, ``params`` …) must be given here.
    backend : {"numpy", "numba", "auto"}
        "numpy": the generated NumPy source (the readable reference); "numba": the compiled
        path of :mod:`symrnn.codegen.fast` (the whole time loop compiled, cached on disk; same
        results to rounding); "auto": numba when it is importable, else NumPy.
    **size_values : int
        Sizes as keywords (``D=3, H=4``; stacked: ``D``, ``H1``, ``H2`` …), merged with ``sizes``.

    Returns
    -------
    Kernel or Network
        ``.forward(xs, initial=None, lengths=None) -> (outputs, final, tape)``,
        ``.backward(tape, d_outputs, d_final=None) -> grads``, ``.params``, ``.source``.

    Raises
    ------
    InputError
        Missing, unknown, doubly given or invalid sizes (a size named like a keyword
        outside ``sizes=``), unsupported dtype, an unknown ``backend`` (or "numba" without numba).
    CompileError
        A description the generator cannot handle.

    Examples
    --------
    >>> import numpy as np, symrnn
    >>> k = symrnn.compile(symrnn.cell("lstm"), input_size=3, hidden_size=5, dtype=np.float32)
    >>> xs = np.random.default_rng(0).standard_normal((7, 2, 3)).astype(np.float32)
    >>> out, final, tape = k.forward(xs)
    >>> out.shape, final["c"].shape, out.dtype
    ((7, 2, 5), (2, 5), dtype('float32'))
    >>> grads = k.backward(tape, np.ones_like(out))
    >>> grads["U_f"].shape, grads["x"].shape
    ((5, 5), (7, 2, 3))
    >>> "def _forward(_xs, _params, _init, _mask)" in k.source
    True

    A size may have any plain name, even one of this function's keywords:

    >>> b = symrnn.CellBuilder("wide")
    >>> dtype, H = b.sizes("dtype H")
    >>> x, h = b.input("x", dtype), b.state("h", H)
    >>> _ = b.update("h", symrnn.tanh(b.param("W", H, dtype) @ x + b.param("U", H, H) @ h))
    >>> symrnn.compile(b.build(), sizes={"dtype": 3}, H=2).params["W"].shape
    (2, 3)
    """
    sizes = _given_sizes(description, sizes, size_values)
    requested, backend = backend, resolve(backend)
    if isinstance(description, Stacked):
        layer_sizes = _stacked_sizes(description, sizes, input_size, hidden_size)
        net = Network([[(Kernel(c, layer_sizes(c), dtype, backend=backend), False)] for c in description.layers])
    elif isinstance(description, Bidirectional):
        fw, bw = description.forward, description.backward
        s = _alias_sizes(fw, sizes, input_size, hidden_size)
        s_bw = _alias_sizes(bw, sizes, input_size, hidden_size)
        net = Network([[(Kernel(fw, _only(fw, s), dtype, backend=backend), False),
                        (Kernel(bw, _only(bw, s_bw), dtype, backend=backend), True)]])
    elif isinstance(description, Cell) and description.is_graph:  # a graph layer: one step over nodes and edges
        from .layer_kernel import LayerKernel

        if requested == "numba":
            raise InputError(f"backend='numba': {description.name!r} is a graph layer, which runs on the NumPy "
                             "backend only; use backend='numpy' or 'auto'")
        return LayerKernel(description, _alias_sizes(description, sizes, input_size, hidden_size), dtype, params)
    elif isinstance(description, Cell):
        return Kernel(description, _alias_sizes(description, sizes, input_size, hidden_size), dtype, params, backend)
    else:
        raise CompileError(f"compile: expected a Cell, Stacked or Bidirectional description, got {type(description).__name__}")
    if params is not None:
        net.params = params
    return net


def _only(cell, sizes):
    names = {s.name for s in cell.sizes}
    unknown = sorted(set(sizes) - names)
    if unknown:
        raise InputError(f"sizes {unknown} are not sizes of {cell.name!r}; its sizes are {sorted(names)}")
    return sizes


def _stacked_sizes(desc: Stacked, sizes, input_size, hidden_size):
    sizes = dict(sizes)
    k = len(desc.layers)
    if input_size is not None:
        sizes.setdefault("D", input_size)
    if hidden_size is not None:
        hs = (hidden_size,) * k if isinstance(hidden_size, (int, np.integer)) else tuple(hidden_size)
        if len(hs) != k:
            raise InputError(f"hidden_size: {k} layers need {k} sizes, got {hidden_size!r}")
        for i, h in enumerate(hs, start=1):
            sizes.setdefault(f"H{i}", h)
    known = {s.name for s in desc.cell.sizes}
    unknown = sorted(set(sizes) - known)
    if unknown:
        raise InputError(f"sizes {unknown} are not sizes of {desc.cell.name!r}; its sizes are {sorted(known)}")

    def layer_sizes(cell):
        return {s.name: sizes[s.name] for s in cell.sizes if s.name in sizes}

    return layer_sizes
