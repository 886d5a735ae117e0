"""`pipe check`: every problem in a pipeline folder, one finding per line.

Checks YAML syntax, the models, unknown stages, duplicate ids, history out of
time order, a stage or status that disagrees with the history, lost deals
without a reason, merge-conflict markers, and the conflicts pipe's merge driver
recorded (``conflict:``) until they are resolved.

It also warns (without failing) about a tracked field changed by hand without a
history entry, which would make reports of earlier days show the new value:

* the field's value differs from the ``to`` of the last ``changed`` entry for it;
* where the folder is in a git work tree, the field differs from the last committed
  version of the file and no ``changed`` entry for it was added since.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import history, yamlio
from .actions import field_value
from .documents import (
    MAX_FILE_BYTES,
    Problem,
    duplicate_message,
    order_finding,
    parse_document,
    validation_problems,
)
from .errors import PipeError
from .merge import CONFLICT_KEY, conflicts_of
from .merge import describe as describe_conflict
from .models import TRACKED_FIELDS, Deal, Pipeline, amount_or_raw
from .store import DEALS_DIR, PIPELINE_FILE, Store, parse_pipeline


def check_deal(path: Path, text: str, deal: Deal, pipeline: Pipeline) -> list[Problem]:
    """Problems of one valid deal against the pipeline (beyond what the model checks)."""
    out: list[Problem] = []

    def at(loc: tuple[object, ...], message: str) -> None:
        out.append(Problem(path, yamlio.locate(text, loc), message))

    if deal.id != path.stem:
        at(("id",), f"id {deal.id!r} differs from the file name {path.name!r}; make them the same")
    stages = pipeline.stage_ids
    if pipeline.stage(deal.stage) is None:
        at(("stage",), f"unknown stage {deal.stage!r}; the stages are {', '.join(stages)}")
    for i, h in enumerate(deal.history):
        if h.event in ("created", "moved", "reopened") and h.to is not None and pipeline.stage(str(h.to)) is None:
            at(("history", i, "to"), f"history entry names unknown stage {h.to!r}")
    for name, entries in (("history", deal.history), ("notes", deal.notes)):
        found = order_finding(name, entries)
        if found is not None:
            at(*found)
    if deal.history:
        if deal.history[0].at < deal.created:
            at(("history", 0, "at"), "history starts before the deal was created")
        walk = history.replay(deal)
        # out of time order, it is reported above: where the history ends waits until it is in order
        stage, status = (walk.stage, walk.status) if walk.in_order else (deal.stage, deal.status)
        if stage != deal.stage:
            at(
                ("stage",),
                f"stage is {deal.stage!r} but the history ends in {stage!r}; "
                "use `pipe move` so the history records the move",
            )
        if status != deal.status:
            at(
                ("status",),
                f"status is {deal.status!r} but the history ends {status!r}; "
                "use `pipe won`, `pipe lost` or `pipe reopen`",
            )
    if deal.status == "lost" and not deal.lost_reason:
        at(("status",), "lost deal without a lost_reason; add one (`pipe reopen` then `pipe lost --reason`)")
    extra = deal.model_extra or {}
    if CONFLICT_KEY in extra:
        recorded = extra[CONFLICT_KEY]
        if isinstance(recorded, dict) and recorded:
            for name, sides in recorded.items():
                at((CONFLICT_KEY, name), describe_conflict(deal.id, str(name), sides))
        else:
            at((CONFLICT_KEY,), f"{CONFLICT_KEY}: is left from a merge but names no field; delete it")
    return out


# -- values other YAML readers read differently ------------------------------------------------
NUMBER_KEYS = frozenset({"value", "probability"})
"""Keys whose values are numbers: ``8500.50`` there is the number 8500.50 to every reader."""


def _described(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if value is None:
        return "null (nothing)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, datetime):
        return f"the time {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return f"the text {value!r}" if isinstance(value, str) else repr(value)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    amount = amount_or_raw(value)
    return amount if isinstance(amount, Decimal) else None


def _where(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


def reader_warnings(path: Path, text: str, deal: Deal) -> list[Problem]:
    """Warnings for plain values another YAML reader reads differently from pipe: ``0612345678``
    (a YAML 1.2 reader: the number 612345678), ``no`` (YAML 1.1: false), ``01234`` (1.1: 668,
    1.2: 1234), ``1e3``. Pipe keeps what was written; other tools (and people's scripts)
    would not: quoting the value makes every reader agree. Dates in date fields, and
    numbers in number fields that every reader takes for the same number (``8500.50``),
    are fine."""
    out: list[Problem] = []
    for r in yamlio.plain_readings(text):
        key = next((p for p in reversed(r.path) if isinstance(p, str)), "")
        others = {"YAML 1.1": r.yaml11, "YAML 1.2": r.yaml12}
        if key in yamlio.DATE_KEYS and isinstance(r.yaml11, (date, datetime)):
            del others["YAML 1.1"]  # a date in a date field: a date to every reader
        numeric = key in NUMBER_KEYS and len(r.path) == 1
        if key in ("from", "to") and r.path[0] == "history" and isinstance(r.path[1], int):
            entry = deal.history[r.path[1]] if r.path[1] < len(deal.history) else None
            numeric = entry is not None and entry.field in NUMBER_KEYS
        mine = _number(r.pipe) if numeric else None
        if mine is not None:
            differ = {who: v for who, v in others.items() if _number(v) != mine}
            fix = f"write {yamlio.decimal_text(mine)}"
            shown = f"{yamlio.decimal_text(mine)}"
        else:
            differ = {who: v for who, v in others.items() if not (type(v) is type(r.pipe) and v == r.pipe)}
            fix = f"quote it: {_where(r.path)}: '{r.text}'" if len(r.path) == 1 else f"quote it: '{r.text}'"
            shown = _described(r.pipe)
        if not differ:
            continue
        values = list(differ.values())
        if len(values) == 2 and type(values[0]) is type(values[1]) and values[0] == values[1]:
            said = f"{_described(values[0])} to YAML 1.1 and 1.2 readers"
        else:
            said = " and ".join(f"{_described(v)} to a {who} reader" for who, v in differ.items())
        number = next((v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)), None)
        custom = r.path[0] not in Deal.model_fields and r.path[0] != "external_id"  # a key of the user's own
        if (
            custom
            and mine is None
            and isinstance(r.pipe, str)
            and number is not None
            and all(v == number for v in values)
        ):
            fix += f" (or write {number!r} if it is a number)"
        out.append(
            Problem(
                path,
                r.line,
                f"{_where(r.path)}: {r.text} is {shown} to pipe, but {said}; {fix}",
                warning=True,
            )
        )
    return out


# -- tracked fields changed by hand ----------------------------------------------------------
def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "nothing" if value is None else repr(value) if isinstance(value, str) else str(value)


def _fix(deal: Deal, name: str, value: Any) -> str:
    """The command that records ``name`` changing to ``value``."""
    if name == "next_step":
        if not value:
            return f"pipe next {deal.id} --clear"
        due = f" --due {value['due']}" if value.get("due") else ""
        return f"pipe next {deal.id} {shlex.quote(str(value.get('text', '')))}{due}"
    if name == "snooze":
        if not value:
            return f"pipe snooze {deal.id} --clear"
        reason = f" --reason {shlex.quote(str(value['reason']))}" if value.get("reason") else ""
        return f"pipe snooze {deal.id} --until {value.get('until')}{reason}"
    text = ",".join(str(v) for v in value) if isinstance(value, list) else "" if value is None else str(value)
    return f"pipe set {deal.id} {shlex.quote(f'{name}={text}')}"


def _as_recorded(deal: Deal, name: str, raw: Any) -> tuple[bool, Any]:
    """A value a history entry recorded for ``name``, in the form ``field_value`` gives;
    (False, None) when it is not a valid value of the field."""
    try:
        trial = Deal.model_validate({**deal.model_dump(by_alias=True), name: raw})
    except ValueError:
        return False, None
    return True, field_value(trial, name)


def unrecorded_changes(path: Path, text: str, deal: Deal, committed: Deal | None = None) -> list[Problem]:
    """Warnings for tracked fields whose value no history entry explains (see the module)."""
    out: list[Problem] = []
    disputed = conflicts_of(deal)
    for name in TRACKED_FIELDS:
        if name in disputed:
            continue  # reported as a conflict: once resolved, the history is checked again
        now = field_value(deal, name)
        last = next((h for h in reversed(deal.history) if h.event == "changed" and h.field == name), None)
        known: Any = None
        said = ""
        if last is not None and last.to != now:
            ok, recorded = _as_recorded(deal, name, last.to)
            if ok and recorded != now:
                known, said = recorded, "the history's last change of it says"
        if not said and committed is not None:
            before = field_value(committed, name)
            added = sum(1 for h in deal.history if h.event == "changed" and h.field == name) - sum(
                1 for h in committed.history if h.event == "changed" and h.field == name
            )
            if before != now and added <= 0:
                known, said = before, "the last commit says"
        if said:
            out.append(
                Problem(
                    path,
                    yamlio.locate(text, (name,)),
                    f"{name} is {_shown(now)} but {said} {_shown(known)}, and no history entry records the "
                    f"change, so reports of earlier days show the new value; put back the old value and run "
                    f"`{_fix(deal, name, now)}`",
                    warning=True,
                )
            )
    return out


def _committed_deals(store: Store, *, staged: bool = False) -> dict[str, Deal]:
    """The last committed version of each deal file changed since (``staged``: in the
    index), by file name."""
    out: dict[str, Deal] = {}
    from .git import changed_since_commit  # only here: most commands never need git

    for rel, text in changed_since_commit(store.root, DEALS_DIR, max_bytes=MAX_FILE_BYTES, staged=staged).items():
        name = Path(rel).name
        try:
            data = parse_document(name, text)
            out[name] = Deal.model_validate({"id": name.removesuffix(".yaml"), **data})
        except (PipeError, ValueError):
            continue  # a broken committed version says nothing about the current one
    return out


MISNAMED = (".yml", ".YAML", ".YML")


def _misnamed(path: Path) -> Problem:
    return Problem(path, None, "deal files end in .yaml; rename it or it is ignored")


def check_folder(store: Store, *, staged: bool = False) -> list[Problem]:
    """Every problem in the folder, in file order; warnings (``Problem.warning``) among them.

    ``staged``: the versions of the files in git's index (what a commit would hold), not
    the work tree's (``pipe check --staged``, the pre-commit hook).
    """
    if staged:
        return _check_staged(store)
    try:
        pipeline = store.pipeline
    except PipeError as err:
        return [Problem.from_error(err)]
    from .rates import check_rates

    problems: list[Problem] = check_rates(store.root)
    try:
        deal_ids = store.deal_ids()
    except PipeError as err:  # deals/ is a symlink out of the folder
        return [*problems, Problem.from_error(err)]
    if store.deals_dir.is_dir():
        for entry in sorted(store.deals_dir.iterdir()):
            if entry.suffix in MISNAMED and not entry.name.startswith("."):
                problems.append(_misnamed(entry))

    def texts() -> Iterator[tuple[Path, str | PipeError]]:
        for deal_id in deal_ids:
            path = store.deal_path(deal_id)
            try:
                yield path, store.read_text(path)  # the one safe reader: nothing outside the folder
            except PipeError as err:
                yield path, err

    return problems + check_files(pipeline, texts(), _committed_deals(store))


def _check_staged(store: Store) -> list[Problem]:
    from .git import NotGit, Repo

    repo = Repo.find(store.root)
    if repo is None:
        raise NotGit(store.root, "--staged checks what git is about to commit; run `pipe check` without it")
    from .rates import RATES_FILE, read_rates

    index = repo.staged(store.root, [PIPELINE_FILE, RATES_FILE, DEALS_DIR], max_bytes=MAX_FILE_BYTES)
    problems = [
        Problem(store.root / name, None, "not merged yet: git is in the middle of a merge; `pipe sync` finishes it")
        for name in index.unmerged
    ]
    if RATES_FILE in index.texts:  # the staged rates.yaml, as `pipe check` reads the file
        rates_text = index.texts.pop(RATES_FILE)
        rates_file = store.root / RATES_FILE
        if rates_text is None:
            problems.append(Problem(rates_file, None, "not UTF-8 text, or over 1 MiB"))
        else:
            problems.extend(read_rates(rates_file, rates_text)[1])
    pipeline_text = index.texts.pop(PIPELINE_FILE, None) if PIPELINE_FILE in index.texts else None
    if pipeline_text is None:
        reason = "is not staged" if PIPELINE_FILE not in index.unmerged else "is not merged yet"
        return [*problems, Problem(store.pipeline_path, None, f"{PIPELINE_FILE} {reason}; `git add` it")]
    try:
        pipeline = parse_pipeline(store.pipeline_path, pipeline_text)
    except PipeError as err:
        return [*problems, Problem.from_error(err)]

    def texts() -> Iterator[tuple[Path, str | PipeError]]:
        for name, text in sorted(index.texts.items()):
            path = store.root / name
            if path.parent != store.deals_dir or path.name.startswith("."):
                continue
            if path.suffix in MISNAMED:
                problems.append(_misnamed(path))
            elif path.suffix == ".yaml":
                yield path, text if text is not None else PipeError("not UTF-8 text, or over 1 MiB", path=path)

    found = check_files(pipeline, texts(), _committed_deals(store, staged=True))
    return problems + found


# files to check before a second process checks half of them (``forking.shared``): over
# 100,000 deal files a check takes minutes on one core
CHECK_PARALLEL_FROM = 2000


def check_files(
    pipeline: Pipeline, files: Iterable[tuple[Path, str | PipeError]], committed: Mapping[str, Deal]
) -> list[Problem]:
    """The problems of deal files (path and text, or the error reading it), in order. From
    ``CHECK_PARALLEL_FROM`` files on, a forked child checks the second half meanwhile."""
    from .forking import shared

    items = list(files)

    def work(part: list[tuple[Path, str | PipeError]]) -> list[tuple[list[Problem], str | None]]:
        return [_check_file(path, text, pipeline, committed.get(path.name)) for path, text in part]

    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for (path, text), (found, deal_id) in zip(items, shared(work, items, CHECK_PARALLEL_FROM), strict=True):
        problems.extend(found)
        if deal_id is None or isinstance(text, PipeError):
            continue
        if deal_id in seen:
            problems.append(Problem(path, yamlio.locate(text, ("id",)), duplicate_message(deal_id, seen[deal_id])))
        else:
            seen[deal_id] = path
    return problems


def _check_file(
    path: Path, text: str | PipeError, pipeline: Pipeline, committed: Deal | None
) -> tuple[list[Problem], str | None]:
    """The problems of one deal file, and the id of its deal when it validates (for the
    duplicates, which ``check_files`` finds across files)."""
    if isinstance(text, PipeError):
        return [Problem.from_error(text)], None
    try:
        data = parse_document(path, text)
    except PipeError as err:
        return [Problem.from_error(err)], None
    try:
        deal = Deal.model_validate({"id": path.stem, **data})
    except ValidationError as exc:
        return validation_problems(path, text, exc), None
    return [
        *check_deal(path, text, deal, pipeline),
        *reader_warnings(path, text, deal),
        *unrecorded_changes(path, text, deal, committed),
    ], deal.id
