"""Errors that the command line maps onto exit codes.

`InputError` is bad input (exit 2): it always names the file, the dotted field path and
what was expected, so a user can fix the file without reading a traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """A user-supplied file, option or value is invalid (exit code 2)."""

    def __init__(
        self,
        source: str,
        field_path: str,
        expected: str,
        line: int | None = None,
    ) -> None:
        self.source = source
        self.field_path = field_path
        self.expected = expected
        self.line = line
        super().__init__(self.render())

    def render(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        field = self.field_path or "(top level)"
        return f"{where}: {field}: {self.expected}"


class InputErrors(InputError):
    """Several problems found in one file; rendered one per line."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.source, first.field_path, first.expected, first.line)

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)


class CheckFailed(Exception):
    """A check ran and its result is negative (exit code 1)."""
