"""Subcommands of the ``symrnn`` command line, one module each (see :mod:`symrnn.cli`)."""
