"""The theorem catalogue, written with the public API (installed as symrnn.proofs)."""
