"""The deal fields an import knows: which a column may fill, and which an update sets.

Which fields a column may fill and which an update compares are metadata on the
model's fields (``pipecli.fields``); the rest are import's own names. ``field_problem`` tells a
mapped name (``--map FIELD=...`` or a preset's ``columns``) from a typo.
"""

from __future__ import annotations

import re

from ..models import IMPORTABLE_FIELDS, PLAIN_SETTABLE_FIELDS, Deal

# Fields a column may fill (besides entered.STAGE and extra.KEY): metadata on the model.
FIELDS: tuple[str, ...] = IMPORTABLE_FIELDS
# Fields an update sets as they are (a `changed` entry each), when the mapping fills them.
PLAIN_FIELDS: tuple[str, ...] = PLAIN_SETTABLE_FIELDS
# Fields a row fills with its text as it is, and with the day of a date.
TEXT_FIELDS: tuple[str, ...] = ("company", "owner", "source", "next_step")
DAY_FIELDS: tuple[str, ...] = ("close_date", "next_due")
# The parts of contact.KEY.
CONTACT_KEYS: tuple[str, ...] = ("name", "email", "phone")
# entered.STAGE: when the deal came into STAGE; extra.KEY: the deal's own key KEY.
ENTERED = "entered."
EXTRA = "extra."

# a {column} of a template such as "{First} {Last}"
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_EXTRA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def field_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a field to fill from a column, or None when it is one."""
    if name in FIELDS:
        return None
    if name.startswith(ENTERED) and len(name) > len(ENTERED):
        return None
    if name.startswith(EXTRA):
        key = name[len(EXTRA) :]
        if not _EXTRA_KEY.match(key):
            return "extra.KEY needs a key of letters, digits and _"
        if key in Deal.model_fields or key in FIELDS:
            return f"{key} is a deal field; map it as {key}, not as extra.{key}"
        return None
    return f"unknown field; map one of {', '.join(FIELDS)}, entered.STAGE or extra.KEY (see docs/import.md)"
