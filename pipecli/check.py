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
from .models import TRACKED_FIELDS, Deal, Pipeline
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
    problems: list[Problem] = []
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
    index = repo.staged(store.root, [PIPELINE_FILE, DEALS_DIR], max_bytes=MAX_FILE_BYTES)
    problems = [
        Problem(store.root / name, None, "not merged yet: git is in the middle of a merge; `pipe sync` finishes it")
        for name in index.unmerged
    ]
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


def check_files(
    pipeline: Pipeline, files: Iterable[tuple[Path, str | PipeError]], committed: Mapping[str, Deal]
) -> list[Problem]:
    """The problems of deal files (path and text, or the error reading it), in order."""
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path, text in files:
        if isinstance(text, PipeError):
            problems.append(Problem.from_error(text))
            continue
        try:
            data = parse_document(path, text)
        except PipeError as err:
            problems.append(Problem.from_error(err))
            continue
        try:
            deal = Deal.model_validate({"id": path.stem, **data})
        except ValidationError as exc:
            problems.extend(validation_problems(path, text, exc))
            continue
        problems.extend(check_deal(path, text, deal, pipeline))
        problems.extend(unrecorded_changes(path, text, deal, committed.get(path.name)))
        if deal.id in seen:
            problems.append(Problem(path, yamlio.locate(text, ("id",)), duplicate_message(deal.id, seen[deal.id])))
        else:
            seen[deal.id] = path
    return problems
