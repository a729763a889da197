"""The theorem catalogue, written with the public API (installed as symrnn.proofs).

Each module defines :class:`symrnn.prove.Theorem` objects at its top level;
``symrnn prove`` collects them (:func:`symrnn.prove.catalogue`).  This is the
way a user writes their own theorems: state the claim, cite it, and hand a
prover the descriptions.  Claims that are popular but false are kept with
``expect="refuted"``: the catalogue records that they must be refuted.
"""
