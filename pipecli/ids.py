"""Deal ids: readable ASCII slugs of the title plus a short random suffix.

The suffix keeps two people who add a deal with the same title in two clones
(offline) from creating the same file, which git would report as a conflict.
Titles in any script get a slug people can type: Polish and Italian letters lose
their marks, Thai, Greek or Cyrillic are transliterated (anyascii), so
``ระบบบัญชี สยามเทค`` becomes ``rabbbaychi-syamethkh-k3f9``. An id never changes
once a file has it.
"""

from __future__ import annotations

import random
import re
import unicodedata

from .errors import usage_error

_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l, o, 0, 1: easy to read aloud
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
MAX_SLUG = 24
_SYSTEM = random.SystemRandom()  # os.urandom, as secrets.choice (without importing hmac and OpenSSL)


def slugify(text: str) -> str:
    """ASCII, lower case, dashes: 'Zażółć Sp. z o.o.' -> 'zazolc-sp-z-o-o'."""
    from anyascii import anyascii  # only commands that make ids pay for its tables

    ascii_text = anyascii(unicodedata.normalize("NFC", text.replace("&", " and "))).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug


def suffix(rng: random.Random | None = None, length: int = 4) -> str:
    pick = (rng or _SYSTEM).choice
    return "".join(pick(_ALPHABET) for _ in range(length))


def new_id(title: str, taken: set[str] | None = None, rng: random.Random | None = None) -> str:
    """A fresh id for ``title``; a title with no letters or digits at all gets ``deal-xxxx``."""
    base = slugify(title) or "deal"
    taken = taken or set()
    for length in (4, 5, 6, 8, 10):
        candidate = f"{base}-{suffix(rng, length)}"
        if candidate not in taken and not reserved(candidate):
            return candidate
    raise RuntimeError("could not find a free deal id")  # 32**10 tries' worth of luck


_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


def reserved(name: str) -> bool:
    """True for a name Windows reserves for a device (con, nul, com1 ... in any case, with
    any extension): a repository with such a file cannot be checked out there."""
    return name.split(".", 1)[0].rstrip(" ").lower() in _RESERVED


def check_id(deal_id: str) -> str:
    """Validate an id given with --id: it becomes a file name."""
    if not _ID.match(deal_id) or len(deal_id) > 80:
        raise usage_error(
            f"--id {deal_id!r}: use lower-case ASCII letters, digits, '-', '_' or '.', "
            "starting with a letter or digit, at most 80 characters"
        )
    if reserved(deal_id):
        raise usage_error(
            f"--id {deal_id!r}: {deal_id.split('.')[0]} is a reserved file name on Windows "
            "(a clone there could not check the file out); choose another"
        )
    return deal_id
