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

from .apply import apply
from .convert import Importer, RowError, build_deal, make_id, parse_when
from .csvfile import delimiter_of, read_csv
from .fields import FIELDS, PLAIN_FIELDS
from .mapping import DEFAULT_LOST_REASON, ColumnMap, Options, check_field, parse_pairs, resolve
from .plan import Failure, Plan, existing_keys, plan
from .presets import Preset
from .update import update_deal

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
