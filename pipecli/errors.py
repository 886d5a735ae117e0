"""The errors users see, and the exit codes they map to.

``PipeError`` is an error a user can act on. The library (actions, store, settings)
raises the typed subclasses below: they carry the facts (which deal, which value,
which time) and a plain message that names no command-line option or command. The
command line's one top-level handler (``pipecli.cli.app``) words them for the shell,
with the ``--at`` or ``pipe reopen`` that fixes them, and maps each type to an exit
code. Code that catches a ``PipeError`` keeps working with any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
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


def _listed(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class UnknownMe(PipeError):
    """ "Me" (``pipecli.owners``) is no owner: ``identity`` (None: unknown), as ``source`` gave it,
    matches no owner of a deal, or several (``matches``). A usage error (exit 2)."""

    def __init__(self, identity: str | None, source: str | None, matches: Sequence[str] = ()) -> None:
        self.identity, self.source, self.matches = identity, source, sorted(matches)
        if identity is None:
            message = "who you are is unknown"
        elif self.matches:
            message = f"{identity} ({source}) could be any of {', '.join(self.matches)}"
        else:
            message = f"{identity} ({source}) is no owner of a deal here"
        super().__init__(message, exit_code=EXIT_USAGE)


class NotFound(PipeError):
    """No deal has this id or starts with it; ``candidates`` are ids close to it."""

    def __init__(self, ref: str, candidates: Sequence[str] = ()) -> None:
        self.ref = ref
        self.candidates = tuple(candidates)
        hint = f"; did you mean {', '.join(self.candidates)}?" if self.candidates else ""
        super().__init__(f"no deal {ref!r}{hint}")


class Ambiguous(PipeError):
    """Several deal ids start with ``ref``."""

    def __init__(self, ref: str, matches: Sequence[str]) -> None:
        self.ref = ref
        self.matches = tuple(matches)
        super().__init__(f"deal {ref!r} is ambiguous: it starts {_listed(self.matches)}")


class InvalidValue(PipeError):
    """A value that cannot be used: ``field`` names it as the caller knows it (a deal
    field, or the option it came from), ``hint`` says what is wrong and how to write it."""

    def __init__(self, field: str, value: object, hint: str, *, message: str | None = None) -> None:
        self.field = field
        self.value = value
        self.hint = hint
        super().__init__(message if message is not None else f"{field}: {hint}")


class UnknownStage(InvalidValue):
    """A stage the pipeline does not have; ``suggestion`` is the closest one, if any."""

    def __init__(self, value: str, stages: Sequence[str], suggestion: str | None = None) -> None:
        self.stages = tuple(stages)
        self.suggestion = suggestion
        self.status = value.strip().lower() if value.strip().lower() in ("won", "lost") else None
        if self.status:
            hint = f"; {self.status} is a status, not a stage"
        else:
            hint = f"; did you mean {suggestion}?" if suggestion else ""
        text = f"unknown stage {value!r}: the stages are {', '.join(self.stages)}{hint}"
        super().__init__("stage", value, text, message=text)


class UnknownField(InvalidValue):
    """``pipe set`` of a name that is no field pipe knows and no key of the deal's file: a typo
    (``suggestion``: the closest field) or a field of the user's own, which is set explicitly."""

    def __init__(self, name: str, value: str, fields: Sequence[str], suggestion: str | None = None) -> None:
        self.fields = tuple(fields)
        self.suggestion = suggestion
        hint = f"did you mean {suggestion}?" if suggestion else f"the fields are {', '.join(self.fields)}"
        super().__init__(name, value, hint, message=f"unknown field {name!r}: {hint}")


class LocalTimeError(PipeError):
    """A wall-clock time without an offset that its time zone skips (``offsets`` empty: the
    hour the clocks go forward) or shows twice (``offsets``: each offset it has then, the
    hour the clocks go back). Never moved to a time the user did not write."""

    def __init__(self, wall: datetime, zone: str, offsets: Sequence[str], suggestion: str) -> None:
        self.wall = wall
        self.zone = zone
        self.offsets = tuple(offsets)
        shown = wall.isoformat(sep=" ")
        if self.offsets:
            stamp = wall.isoformat()
            choices = " or ".join(f"{stamp}{o}" for o in self.offsets)
            message = f"{shown} happens twice in {zone} (the clocks go back); say which with its offset: {choices}"
        else:
            message = (
                f"{shown} does not exist in {zone} (the clocks go forward); "
                f"write the time with its offset, e.g. {suggestion}"
            )
        super().__init__(message)


class OutOfOrder(PipeError):
    """A change dated ``at``, before the deal's last entry (``last``): history stays in time order."""

    def __init__(self, deal_id: str, at: datetime, last: datetime) -> None:
        self.deal_id = deal_id
        self.at = at
        self.last = last
        super().__init__(
            f"{at.isoformat()} is before the last entry of deal {deal_id} ({last.isoformat()}); "
            "history stays in time order"
        )


class WrongStatus(PipeError):
    """``action`` (move, close, reopen, snooze) does not apply to a deal with this status."""

    def __init__(self, deal_id: str, status: str, action: str) -> None:
        self.deal_id = deal_id
        self.status = status
        self.action = action
        super().__init__(f"deal {deal_id} is {status}; it cannot be {_DONE.get(action, action)}")


class NoNextStep(PipeError):
    """``action`` (reschedule, done) needs the deal's next step, and it has none."""

    def __init__(self, deal_id: str, action: str) -> None:
        self.deal_id = deal_id
        self.action = action
        what = "to reschedule" if action == "reschedule" else "to mark done"
        super().__init__(f"deal {deal_id} has no next step {what}")


_DONE = {"move": "moved", "close": "closed again", "reopen": "reopened", "snooze": "snoozed"}


class Conflict(PipeError):
    """A file is not as the change expected: it exists already, or changed meanwhile."""

    def __init__(self, deal_id: str, message: str) -> None:
        self.deal_id = deal_id
        super().__init__(message)


class AlreadyExists(Conflict):
    """A new deal's file exists already."""

    def __init__(self, deal_id: str) -> None:
        super().__init__(deal_id, f"deal {deal_id!r} already exists")


class UnsafePath(PipeError):
    """A file or folder pipe will not read or write because of a symlink or its kind.

    ``kind``: ``outside`` (a symlink leading out of the pipeline folder), ``dangling``,
    ``loop``, ``symlink`` (a symlink pipe would have to write through) or ``special``
    (not a regular file: a folder, a FIFO, a device). ``folder``: the path is a folder;
    ``state``: it is in .pipe/ (derived state: removing it is the fix).
    """

    def __init__(
        self, path: Path | str, kind: str, *, folder: bool = False, target: str = "", state: bool = False
    ) -> None:
        self.kind = kind
        self.folder = folder
        self.target = target
        what = "folder" if folder else "file"
        messages = {
            "outside": f"a symlink to a {what} outside the pipeline folder; "
            f"pipe does not follow it: replace the link by the {what} itself",
            "dangling": f"a symlink to nothing ({target} does not exist); remove it",
            "loop": "a symlink loop; remove it",
            "symlink": "a symlink; pipe does not write through symlinks: "
            + ("remove it" if state else f"replace the link by the {what} itself"),
            "special": "not a regular file; pipe reads only plain files",
        }
        super().__init__(messages[kind], path=path)


class Unwritable(PipeError):
    """The text a change would write to a deal file does not read back as the deal it says.

    ``internal``: a flaw of the writer (please report it); otherwise the change itself
    makes the file unusable (``reason``: larger than the limit of a file). Nothing is written.
    """

    def __init__(self, deal_id: str, path: Path, reason: str, *, internal: bool = True) -> None:
        self.deal_id = deal_id
        self.path_written = path
        self.reason = reason
        self.internal = internal
        if internal:
            message = f"the new text of deal {deal_id} would not read back as written ({reason}); nothing was written"
        else:
            message = f"deal {deal_id} would be {reason} with this change; nothing was written"
        super().__init__(message)


class LockTimeout(PipeError):
    """Other writers held the pipeline's lock for all of the ``timeout`` seconds this one waited.

    ``holder`` says who held it last, as it wrote itself into the lock file
    (``pid 4242, pipe note``; '' when unknown); ``several``: the lock passed from one
    holder to another meanwhile, so no single command held it that long.
    """

    def __init__(self, lock: Path, timeout: float, *, holder: str = "", several: bool = False) -> None:
        self.lock = lock
        self.timeout = timeout
        self.holder = holder
        self.several = several
        if several:
            text = (
                f"other pipe commands held the lock {lock} one after another for all of the {timeout:g}s "
                f"this one waited (the last: {holder}); try again, or wait longer with PIPE_LOCK_TIMEOUT"
            )
        else:
            who = f" ({holder})" if holder else ""
            text = (
                f"another pipe command has held the lock {lock}{who} for {timeout:g}s; "
                "wait for it to finish and try again"
            )
        super().__init__(text)


class NoPipeline(PipeError):
    """No pipeline.yaml in ``start`` or above it; ``missing``: the folder itself does not exist."""

    def __init__(self, start: Path, *, missing: bool = False) -> None:
        self.start = start
        self.missing = missing
        if missing:
            super().__init__(f"folder {start} does not exist")
        else:
            super().__init__(f"no pipeline.yaml in {start} or any folder above it")


class BadSetting(PipeError):
    """An environment variable (``PIPE_LOCK_TIMEOUT`` ...) with a value pipe cannot use."""

    def __init__(self, name: str, value: str, hint: str) -> None:
        self.name = name
        self.value = value
        self.hint = hint
        super().__init__(f"{name}={value!r}: {hint}")


class MissingRate(PipeError):
    """No rate between two currencies in force on a day (rates.yaml; rates are not chained)."""

    def __init__(self, frm: str, to: str, day: date, path: Path | str | None = None, *, deal_id: str | None = None):
        self.frm, self.to, self.day, self.deal_id = frm, to, day, deal_id
        name = Path(path).name if path is not None else "rates.yaml"
        deal = f" (deal {deal_id})" if deal_id else ""
        super().__init__(
            f"no {frm}-{to} rate in force on {day.isoformat()}{deal} in {name}; add one on or before that day, "
            f"such as '- {day.isoformat()} {to} {frm} RATE' (1 {to} = RATE {frm}); rates are not chained"
        )
