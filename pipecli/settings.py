"""Settings from the environment, read once when a command starts.

==================== ========================================================
``PIPE_DIR``         the pipeline folder when ``-C`` is not given
``PIPE_LOCK_TIMEOUT`` seconds a writer waits for another's lock (default 30)
``PIPE_DEBUG``       any value but empty or ``0``: an internal error shows its traceback
``PIPE_PAGER``       the pager for long output on a terminal (over ``PAGER``; empty or ``cat``: none)
``PAGER``            the pager when ``PIPE_PAGER`` is not set (default ``less -FRX``)
``LESS``             options of ``less``; unset, the pager gets ``FRX``, as git does
``COLUMNS``          the width tables fit (else the terminal's; unset and no terminal: every column)
``LINES``            the terminal's height, for the pager
``NO_COLOR``         set and not empty: no colour unless ``--color always``
``TERM``             ``dumb``: no colour and no pager
``PIPE_USER``        who makes the changes: the ``by:`` of every history entry and note
``LOGNAME``, ``USER`` the login name: ``by:`` when neither ``PIPE_USER`` nor git names anyone
==================== ========================================================

A TAB of completion reads its own variables before any of these (``_PIPE_COMPLETE``,
``COMP_WORDS`` and the like; ``PIPE_COMPLETE_FULL`` set, not empty or ``0``: typer's
completion answers every TAB): ``pipecli.quickcomplete`` and typer read them.

This module is the only place that reads these variables. A value pipe cannot use
is a ``BadSetting`` naming the variable (one line, exit code 2), never a traceback.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import BadSetting

DEFAULT_LOCK_TIMEOUT = 30.0
DEFAULT_PAGER = "less -FRX"
MAX_USER = 200


@dataclass(frozen=True)
class Settings:
    pipe_dir: Path | None = None
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    debug: bool = False
    user: str | None = None
    pager: str | None = DEFAULT_PAGER
    less: str | None = None
    columns: int | None = None
    lines: int | None = None
    no_color: bool = False
    term: str = ""
    login: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            pipe_dir=_folder(env.get("PIPE_DIR", "")),
            lock_timeout=_seconds("PIPE_LOCK_TIMEOUT", env.get("PIPE_LOCK_TIMEOUT", "")),
            debug=env.get("PIPE_DEBUG", "").strip() not in ("", "0"),
            user=_user(env.get("PIPE_USER", "")),
            pager=env["PIPE_PAGER"] if "PIPE_PAGER" in env else env.get("PAGER", DEFAULT_PAGER),
            less=env.get("LESS"),
            columns=_count(env.get("COLUMNS", "")),
            lines=_count(env.get("LINES", "")),
            no_color=bool(env.get("NO_COLOR", "")),
            term=env.get("TERM", ""),
            login=_login(env.get("LOGNAME", "") or env.get("USER", "") or env.get("USERNAME", "")),
        )


def _count(text: str) -> int | None:
    """COLUMNS and LINES: a positive whole number, else unset (a shell's value, not pipe's to refuse)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 100_000 else None


def _folder(text: str) -> Path | None:
    return Path(text) if text.strip() else None


def _seconds(name: str, text: str) -> float:
    if not text.strip():
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise BadSetting(name, text, "not a number of seconds; set it to e.g. 30, or unset it") from None
    if not math.isfinite(value) or value < 0:
        raise BadSetting(name, text, "seconds must be a finite number, 0 or more; set it to e.g. 30, or unset it")
    return value


def _user(text: str) -> str | None:
    user = text.strip()
    if not user:
        return None
    if any("\udc80" <= ch <= "\udcff" for ch in user):  # bytes that are not UTF-8
        raise BadSetting("PIPE_USER", text, "not valid UTF-8 text; set it to a name such as anna, or unset it")
    if len(user) > MAX_USER or any(ord(ch) < 32 or ord(ch) == 127 for ch in user):
        raise BadSetting(
            "PIPE_USER", text, f"a name of at most {MAX_USER} characters on one line, e.g. anna; or unset it"
        )
    return user


def _login(text: str) -> str | None:
    try:
        return _user(text)
    except BadSetting:
        return None  # not ours to refuse: pipe then asks the system for the name


def login_name(settings: Settings) -> str | None:
    """The login name: ``LOGNAME`` or ``USER`` (as read at start), else the system's
    account name; None when there is none that fits on one line."""
    if settings.login:
        return settings.login
    try:
        import pwd

        return _login(pwd.getpwuid(os.getuid()).pw_name)
    except (ImportError, KeyError, OSError):  # pragma: no cover - Windows, or a uid without an account
        return None


_current: Settings | None = None


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings (from ``os.environ`` by default) and make them current."""
    global _current
    _current = Settings.from_environ(environ)
    return _current


def current() -> Settings:
    """The settings read when the command started (read now if nothing read them yet)."""
    return _current if _current is not None else load()
