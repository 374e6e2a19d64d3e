"""The `speechdrill` command line: one module per command group, no domain logic (that
lives in the drills package and below); shared output helpers in `output`."""

from drills.cli.main import cli, main

__all__ = ["cli", "main"]
