"""CSV rows in, deals out: ``pipe import``.

One module per step, in the order an import runs them:

* ``csvfile``: reading the CSV file (``read_csv``).
* ``presets``: the known file shapes (``--preset NAME``): built-in ones in
  ``preset_files/*.yaml``, a pipeline's own in its folder's ``presets/``.
* ``mapping``: the options and the preset resolved against the file's header
  (``Options``, ``resolve`` -> ``ColumnMap``).
* ``convert``: one row -> the data of one deal, its history rebuilt from the
  row's dates (``Importer``, ``RowError``); pure.
* ``update``: a row merged into a deal imported before (``update_deal``); pure.
* ``plan``: deciding what each row does: create, update, skip or fail (``plan``,
  ``existing_keys``).
* ``apply``: writing the plan (``apply``), the only step that writes.
* ``fields``: the deal fields a column may fill, the one list of them.

A mapping names, for each deal field, the column (or columns, first non-empty
wins) it comes from, or a template such as ``{account} – {product}``. Field
names are those of a deal file, plus:

* ``contact.name``, ``contact.email``, ``contact.phone``;
* ``created``: when the deal was created (default: the earliest date in the row);
* ``created_stage``: the stage it was created in;
* ``entered.VALUE``: when the deal entered the stage VALUE (mapped through the
  stage map, like a value of the ``stage`` column);
* ``closed_at``: when it was won or lost (default: ``close_date``, else the
  latest date in the row);
* ``next_step``, ``next_due``: the next step and its due date;
* ``extra.KEY``: keep the column as the deal's own key KEY.

The names below are the package's interface; the functions ``plan`` and
``apply`` share their module's name, so import the modules themselves as
``pipecli.importing.plan`` and ``pipecli.importing.apply``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

DEFAULT_LOST_REASON = "not recorded"
"""The lost reason of a lost row that has none (``--lost-reason``)."""

PRESET_FILES = Path(__file__).parent / "preset_files"
PRESET_SUFFIX = ".yaml"


def built_in_preset_names() -> tuple[str, ...]:
    """The names of the presets that come with pipe (``presets.built_in_names``)."""
    return tuple(
        sorted(p.name.removesuffix(PRESET_SUFFIX) for p in PRESET_FILES.iterdir() if p.name.endswith(PRESET_SUFFIX))
    )


if TYPE_CHECKING:
    from .apply import apply
    from .convert import Importer, RowError, build_deal, make_id, parse_when
    from .csvfile import delimiter_of, read_csv
    from .fields import FIELDS, PLAIN_FIELDS
    from .mapping import ColumnMap, Options, check_field, parse_pairs, resolve
    from .plan import Failure, Plan, existing_keys, plan
    from .presets import Preset
    from .update import update_deal


def __getattr__(name: str) -> Any:
    """The interface is imported when first used: `pipe --help` and other commands do not pay for it."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .apply import apply
    from .convert import Importer, RowError, build_deal, make_id, parse_when
    from .csvfile import delimiter_of, read_csv
    from .fields import FIELDS, PLAIN_FIELDS
    from .mapping import ColumnMap, Options, check_field, parse_pairs, resolve
    from .plan import Failure, Plan, existing_keys, plan
    from .presets import Preset
    from .update import update_deal

    # the functions plan and apply, not the modules of the same name that importing them set
    globals().update(
        apply=apply,
        Importer=Importer,
        RowError=RowError,
        build_deal=build_deal,
        make_id=make_id,
        parse_when=parse_when,
        read_csv=read_csv,
        delimiter_of=delimiter_of,
        FIELDS=FIELDS,
        PLAIN_FIELDS=PLAIN_FIELDS,
        ColumnMap=ColumnMap,
        Options=Options,
        check_field=check_field,
        parse_pairs=parse_pairs,
        resolve=resolve,
        Failure=Failure,
        Plan=Plan,
        existing_keys=existing_keys,
        plan=plan,
        Preset=Preset,
        update_deal=update_deal,
    )
    return globals()[name]


__all__ = [
    "DEFAULT_LOST_REASON",
    "FIELDS",
    "PLAIN_FIELDS",
    "ColumnMap",
    "Failure",
    "Importer",
    "Options",
    "Plan",
    "Preset",
    "RowError",
    "apply",
    "build_deal",
    "check_field",
    "delimiter_of",
    "existing_keys",
    "make_id",
    "parse_pairs",
    "parse_when",
    "plan",
    "read_csv",
    "resolve",
    "update_deal",
]
