"""`pipe check`: every problem in a pipeline folder, one finding per line.

Checks YAML syntax, the models, unknown stages, duplicate ids, history out of
time order, a stage or status that disagrees with the history, lost deals
without a reason, and merge-conflict markers.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from . import yamlio
from .documents import Problem, parse_document, read_text, validation_problems
from .errors import PipeError
from .models import Deal, Pipeline, replay
from .store import Store


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
        for i in range(1, len(entries)):
            if entries[i].at < entries[i - 1].at:
                at(
                    (name, i, "at"),
                    f"{name} out of time order: {entries[i].at.isoformat()} comes after "
                    f"{entries[i - 1].at.isoformat()}; move the entry to its place",
                )
                break
    if deal.history:
        if deal.history[0].at < deal.created:
            at(("history", 0, "at"), "history starts before the deal was created")
        stage, status = replay(deal.history, start_stage=deal.stage)
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
    return out


def check_folder(store: Store) -> list[Problem]:
    """Every problem in the folder, in file order."""
    try:
        pipeline = store.pipeline
    except PipeError as err:
        return [Problem.from_error(err)]
    problems: list[Problem] = []
    if store.deals_dir.is_dir():
        for entry in sorted(store.deals_dir.iterdir()):
            if entry.suffix in (".yml", ".YAML", ".YML") and not entry.name.startswith("."):
                problems.append(Problem(entry, None, "deal files end in .yaml; rename it or it is ignored"))
    seen: dict[str, Path] = {}
    for deal_id in store.deal_ids():
        path = store.deal_path(deal_id)
        try:
            text = read_text(path)
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
        if deal.id in seen:
            problems.append(
                Problem(path, yamlio.locate(text, ("id",)), f"duplicate id {deal.id!r}, also in {seen[deal.id].name}")
            )
        else:
            seen[deal.id] = path
    return problems
