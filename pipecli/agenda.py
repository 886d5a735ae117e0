"""A seller's day: the next steps that are due, and the new leads nobody has touched.

Pure: a function of the deals' rows at a cut-off (``digest.row_at``, or the index), the
pipeline and the day; nothing here reads files or prints. `pipe agenda` renders it
(``render/agenda.py``), as a table, JSON, CSV, Markdown or an iCalendar file.

The rules (docs/stale.md, "The agenda", has an example):

* Only deals open at the cut-off count, with the next step they had then.
* A next step with a due date is **overdue** when it was due before the day, **today**
  when due on it, **upcoming** when due in the ``days`` days after it (default 7);
  later steps, and steps without a due date, are not on the agenda. A snooze keeps a
  deal off the stale list, not off the agenda: a step planned is still to be done.
* **Untouched**: the open deals `pipe stale` lists as "not touched within 24h"
  (``stale.judge``, the one rule: nobody has touched them since their creation, they
  are older than the pipeline's ``first_touch_within``, and no dated step plans the
  first call), furthest past the limit first.
* Steps in each group: by due date, then by deal id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from .digest import Row
from .models import Pipeline
from .query import Filters
from .stale import UNTOUCHED, AsOf, StaleDeal, in_list_order, judge

DEFAULT_DAYS = 7
MAX_DAYS = 3660  # ten years: more is a typo

OVERDUE = "overdue"
TODAY = "today"
UPCOMING = "upcoming"
GROUPS = (OVERDUE, TODAY, UPCOMING)


@dataclass(frozen=True)
class Step:
    """A next step on the agenda: the deal's row (as it stood at the cut-off) and its group."""

    deal: Row
    group: str  # overdue, today or upcoming
    text: str
    due: date
    currency: str

    @property
    def uid(self) -> str:
        """A stable identifier of this step: the same deal and text give the same one, whatever
        the due date, so a calendar updates a rescheduled step instead of adding another."""
        return step_uid(self.deal.id, self.text)


def step_uid(deal_id: str, text: str) -> str:
    digest = hashlib.sha256(f"{deal_id}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{digest[:32]}@pipe"


@dataclass
class Agenda:
    day: date  # "today"
    days: int
    owner: str | None
    first_touch_within: str
    overdue: list[Step] = field(default_factory=list)
    today: list[Step] = field(default_factory=list)
    upcoming: list[Step] = field(default_factory=list)
    untouched: list[StaleDeal] = field(default_factory=list)

    @property
    def until(self) -> date:
        """The last day of the upcoming steps."""
        return self.day + timedelta(days=self.days)

    @property
    def steps(self) -> list[Step]:
        return [*self.overdue, *self.today, *self.upcoming]


def build_agenda(
    rows: Iterable[Row],
    pipeline: Pipeline,
    cut: AsOf,
    *,
    days: int = DEFAULT_DAYS,
    owner: str | None = None,
) -> Agenda:
    """The agenda of ``cut.day`` from the rows at ``cut.moment``; ``owner`` keeps one owner's deals
    (ignoring case, as ``--owner``)."""
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"days must be from 0 to {MAX_DAYS}")
    match = Filters(status="open", owner=owner)
    agenda = Agenda(cut.day, days, owner, pipeline.first_touch_within)
    last = cut.day + timedelta(days=days)
    groups = {OVERDUE: agenda.overdue, TODAY: agenda.today, UPCOMING: agenda.upcoming}
    untouched: list[StaleDeal] = []
    for row in rows:
        if not match.matches(row):
            continue
        step = row.next_step
        if step is not None and step.due is not None and step.due <= last:
            group = OVERDUE if step.due < cut.day else TODAY if step.due == cut.day else UPCOMING
            groups[group].append(Step(row, group, step.text, step.due, row.currency or pipeline.currency))
        item = judge(row, pipeline, cut)
        if item is not None and item.reason == UNTOUCHED:
            untouched.append(item)
    for steps in groups.values():
        steps.sort(key=lambda s: (s.due, s.deal.id))
    agenda.untouched = in_list_order(untouched)
    return agenda
