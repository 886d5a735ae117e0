"""``--owner me``: which owner of the pipeline's deals you are.

Who you are (``identity``) is ``PIPE_USER``, else git's ``user.email`` when the pipeline
is in a git work tree (``cli/common.py``, ``me_identity``, reads them). It is matched
against the owners the deals name, ignoring case:

1. an owner written exactly as the identity (``Marek`` is ``marek``);
2. else the owners whose name, up to an ``@``, is the identity's, up to an ``@``: the
   identity ``marek@example.com`` matches the owner ``marek``, and the identity
   ``marek`` the owner ``marek@example.com``.

One owner found (spellings that differ only in case are one owner, as ``--owner``
compares them): that is you. None, or several different ones (``marek@example.com``
and ``marek@other.org`` for the identity ``marek``), is an error that says so and
how to be exact (``PIPE_USER``, or ``--owner NAME``): a list that is empty because
pipe guessed wrong would look like a quiet day.

Pure: nothing here reads the environment, git or files.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import UnknownMe

ME = "me"


def is_me(owner: str | None) -> bool:
    """Whether an ``--owner`` value means the person running pipe."""
    return owner is not None and owner.strip().casefold() == ME


def _local(name: str) -> str:
    return name.strip().casefold().rsplit("@", 1)[0] if "@" in name else name.strip().casefold()


def match_owner(identity: str, owners: Iterable[str | None]) -> str | None:
    """The owner ``identity`` is (the rules in the module's docstring), None when it is no owner.

    Raises ``UnknownMe`` when several different owners match by the part before ``@``.
    """
    names: dict[str, str] = {}
    for o in owners:
        if o and o.strip():
            names.setdefault(o.strip().casefold(), o.strip())
    wanted = identity.strip().casefold()
    if wanted in names:
        return names[wanted]
    local = _local(identity)
    found = sorted({folded for folded in names if _local(folded) == local})
    if len(found) > 1:
        raise UnknownMe(identity, None, [names[f] for f in found])
    return names[found[0]] if found else None


def resolve(owner: str | None, identity: str | None, source: str | None, owners: Iterable[str | None]) -> str | None:
    """``--owner`` as given, or, for ``me``, the owner the identity is (``UnknownMe`` when none or several)."""
    if not is_me(owner):
        return owner
    if identity is None:
        raise UnknownMe(None, None)
    try:
        found = match_owner(identity, owners)
    except UnknownMe as err:
        raise UnknownMe(identity, source, err.matches) from None
    if found is None:
        raise UnknownMe(identity, source)
    return found
