"""Where each deal field appears: metadata on the model's fields, and the name lists built from it.

A field of ``models.Deal`` (or of its ``contact`` and ``next_step``) carries a :class:`Col`
in its annotation; a column that is not a field of the model (``external_id``, a key
an import writes; ``created_stage``, ``closed_at`` and ``last_activity``, read from the
history) is declared in ``models.DERIVED_COLUMNS``. Each use of field names is one list,
built by :func:`names` from that metadata (``models.DEAL_COLUMNS`` gathers it):

==============  ========================================================  ===================================
kind            the list                                                  built in / also named
==============  ========================================================  ===================================
``settable``    what ``pipe set FIELD=VALUE`` may change                  ``models.SETTABLE_FIELDS``,
                                                                          ``actions.SETTABLE``
``tracked``     field changes recorded in history, undone by ``--as-of``  ``models.TRACKED_FIELDS``
``listed``      ``pipe list``'s machine columns (json, csv, yaml)         ``models.LISTED_COLUMNS``,
                                                                          ``query.ROW_KEYS``
``exported``    ``pipe export``'s CSV columns (before ``entered_STAGE``)  ``models.EXPORTED_COLUMNS``,
                                                                          ``export.BASE_COLUMNS``
``importable``  what an import column may fill                            ``models.IMPORTABLE_FIELDS``
``stale``       the deal's columns in ``pipe stale``'s machine formats    ``render.stale.MACHINE_KEYS``
``searchable``  the texts ``pipe search`` looks in (a list: each          ``models.SEARCHABLE_FIELDS``
                element; a next step or note: its text)
==============  ========================================================  ===================================

``models.PLAIN_SETTABLE_FIELDS`` is the settable fields without the contact's: what
``import --update`` compares field by field.

Each kind is a position (steps of 10, so a field can go between two) or None when
the field is not in that list: output columns keep their order. Adding a field is
one change: a ``Col`` on it.

Names: a field of ``contact`` is ``contact.name`` where a person names it (``pipe
set``, ``--map``) and ``contact_name`` as a column; ``Col.name`` overrides both (the
next step's ``due`` is the column ``next_due``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["settable", "tracked", "listed", "exported", "importable", "stale", "searchable"]
KINDS: tuple[Kind, ...] = ("settable", "tracked", "listed", "exported", "importable", "stale", "searchable")
# lists of columns (keys of rows) use "_" for a sub-field; the others name fields as people type them
COLUMN_KINDS = frozenset({"listed", "exported", "stale"})


@dataclass(frozen=True)
class Col:
    """Where a field appears: its position in each list, or None when it is not in it."""

    settable: int | None = None
    tracked: int | None = None
    listed: int | None = None
    exported: int | None = None
    importable: int | None = None
    stale: int | None = None
    searchable: int | None = None
    name: str | None = None  # when the field's own name is not the one used

    def position(self, kind: Kind) -> int | None:
        value: int | None = getattr(self, kind)
        return value


def model_columns(model: Any, prefix: str = "") -> list[tuple[str, Col]]:
    """(dotted name, Col) of each field of a pydantic model class that carries a Col."""
    out: list[tuple[str, Col]] = []
    for field_name, info in model.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, Col):
                out.append((meta.name or f"{prefix}{field_name}", meta))
    return out


def names(entries: Iterable[tuple[str, Col]], kind: Kind, extra: Mapping[str, int] | None = None) -> tuple[str, ...]:
    """The names in the ``kind`` list, in its order; columns spell ``contact.name`` as ``contact_name``.

    ``extra`` places more keys (name -> position) among the fields': e.g. the stale
    list's own ``reason`` and ``idle_days``.
    """
    ranked: list[tuple[int, str]] = []
    for name, col in entries:
        pos = col.position(kind)
        if pos is not None:
            ranked.append((pos, name.replace(".", "_") if kind in COLUMN_KINDS else name))
    ranked += [(pos, key) for key, pos in (extra or {}).items()]
    ranked.sort()
    positions = [p for p, _ in ranked]
    if len(set(positions)) != len(positions):
        raise ValueError(f"two names share a position in the {kind} list: {ranked}")
    return tuple(n for _, n in ranked)
