"""The one error type users see, and the exit codes it maps to."""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1  # an error, or findings (check, stale --fail-if-any, bad files in a report)
EXIT_USAGE = 2  # the command line itself is wrong


class PipeError(Exception):
    """An error a user can act on: printed as one line on stderr, never a traceback.

    ``path`` and ``line`` locate the problem in a file when there is one; the
    message should say what is wrong and what to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int = EXIT_ERROR,
        path: Path | str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.path = Path(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = str(self.path) if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


def usage_error(message: str) -> PipeError:
    """A PipeError for a wrong command line (exit code 2)."""
    return PipeError(message, exit_code=EXIT_USAGE)
