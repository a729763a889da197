"""The proof engine: theorems, verdicts and the provers behind them.

A :class:`Theorem` pairs a statement with a check; running it gives a
:class:`Verdict` whose status says how strong the check was:

* ``proved`` — a symbolic proof for every size (and every sequence length);
* ``proved_for_dims`` — a symbolic proof at explicit small sizes only;
* ``checked`` — numeric examples found no counterexample (the count is kept);
* ``refuted`` — a concrete counterexample;
* ``error`` — the statement could not be checked (bad names, shapes, time).

Provers (each returns a :class:`Result`):

* :func:`equivalent` — two step functions agree (per-unit normal forms, then
  induction over time);
* :func:`state_identity`, :func:`independent_of`, :func:`depends_only_on`, :func:`diagonal_jacobian`;
* :func:`inequality` — bounds by vertex enumeration of multilinear polynomials;
* :func:`identity` — identities of SymPy expressions (parameter counts);
* :func:`same_sequences` — rewriting over sequence operators (bidirectional).
* :func:`permutation_equivariant`, :func:`message_passing` — structural facts of graph descriptions
  (equivariance; one message-passing form, Gilmer et al. 2017), for every graph.

:func:`catalogue` loads the shipped theorems (:mod:`symrnn.proofs`) and
:func:`run` checks a list of theorems, each in its own time limit.

Why the shipped theorems are ``proved`` and none is ``proved_for_dims``: a
cell is linear stages (``Σ k P v``) and per-unit pointwise stages, so a
state's new value, one unit of it, is a scalar expression in unit symbols
and opaque matrix-vector atoms (:mod:`~symrnn.prove.normal_form`).  An
identity of those scalar expressions holds for every size; unrolling at
explicit sizes could only add the same scalar simplification problem in
more variables, never prove more.  ``proved_for_dims`` remains the verdict
for user checks that are not per unit (a claim about a whole matrix at
explicit sizes, for instance): return ``Result("proved_for_dims", dims=...)``.
Bounds follow the same per-unit route; sequence claims (bidirectional
layers) are proved by rewriting, valid for every length T.

Examples
--------
>>> import symrnn
>>> from symrnn.prove import Theorem, equivalent
>>> gru = symrnn.cell("gru_reset_before")
>>> t = Theorem("gru_is_rnn", "A GRU with z = 0 and r = 1 is a simple RNN.",
...             lambda: equivalent(gru.substitute({"z": 0, "r": 1}), symrnn.cell("rnn"),
...                                rename={"W_n": "W", "U_n": "U", "b_n": "b"}),
...             references=("Cho et al. 2014",))
>>> t.run().status
'proved'
"""

from .bounds import inequality
from .context import recording, seeded
from .equivariance import permutation_equivariant
from .message_passing import message_passing
from .exhaustive import exhaustive
from .matrix import diagonal, matrix_identity, orthogonal, permutation
from .claims import depends_only_on, diagonal_jacobian, identity, independent_of, state_identity
from .equivalence import INDUCTION, equivalent
from .runner import catalogue, run
from .sequences import bi, first, fst, last, pair, rev, same_sequences, scan, seq, snd, swap
from .theorem import Theorem
from .verdict import EXPECTABLE, STATUSES, Result, Verdict, all_of

__all__ = [
    "Theorem", "Result", "Verdict", "STATUSES", "EXPECTABLE", "INDUCTION", "all_of",
    "equivalent", "state_identity", "independent_of", "depends_only_on", "diagonal_jacobian", "inequality", "identity",
    "matrix_identity", "permutation", "orthogonal", "diagonal", "exhaustive", "permutation_equivariant", "message_passing",
    "recording", "seeded",
    "same_sequences", "seq", "rev", "pair", "swap", "scan", "bi", "first", "last", "fst", "snd",
    "catalogue", "run",
]
