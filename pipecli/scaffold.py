"""A new pipeline folder: pipeline.yaml from a template, deals/ and a .gitignore (``pipe init``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from . import yamlio
from .documents import display_path, first_error, read_text
from .errors import InvalidValue, PipeError
from .fsio import atomic_write
from .models import DEFAULT_STAGES, Pipeline, Stage
from .store import DEALS_DIR, PIPELINE_FILE

_PIPELINE_TEMPLATE = """\
# The pipeline: its name, default currency and ordered stages.
# Won and lost are a deal's status, not stages: a deal lost at "proposal" keeps
# stage: proposal, so the report can tell where deals drop off.
name: {name}
currency: {currency}      # ISO 4217 code used when a deal names none
# timezone: Europe/Warsaw   # IANA name: where days begin and end, the same for the whole team
stale_after: 14d     # a deal idle this long in a stage is stale (h, d or w); stages may override
first_touch_within: 24h   # a new deal nobody has called, written to or moved by then is "not touched"
stages:
{stages}"""

GITIGNORE = "# local state of pipe (lock, caches): never committed\n.pipe/\n"
ATTRIBUTES_LINE = "deals/*.yaml merge=pipe"
"""Git merges deal files with pipe's merge driver (``pipe merge-driver``, docs/team.md)."""
GITATTRIBUTES = (
    "# deal files are merged by pipe's merge driver: notes and history from both sides are kept (docs/team.md)\n"
    f"{ATTRIBUTES_LINE}\n"
)


def has_attributes_line(text: str) -> bool:
    """Whether a .gitattributes text gives deal files pipe's merge driver."""
    return any(line.split() == ATTRIBUTES_LINE.split() for line in text.splitlines())


def _stages(stage_ids: list[str] | None) -> list[Stage]:
    if stage_ids is None:
        return [Stage.model_validate(s) for s in DEFAULT_STAGES]
    if not stage_ids:
        raise InvalidValue("stages", "", "name at least one stage")
    stages = []
    for i, sid in enumerate(stage_ids):
        try:
            stages.append(Stage(id=sid, probability=round((i + 1) / (len(stage_ids) + 1), 2)))
        except ValidationError as exc:
            raise InvalidValue("stages", sid, first_error(exc).removeprefix("id: ")) from None
    if len(set(stage_ids)) != len(stage_ids):
        raise InvalidValue("stages", ",".join(stage_ids), "a stage id appears twice")
    return stages


def pipeline_text(*, stage_ids: list[str] | None, currency: str, name: str) -> str:
    """The text of a new pipeline.yaml; InvalidValue (field ``stages`` or ``name``) if it cannot be."""
    if not name.strip():
        raise InvalidValue("name", name, "give the pipeline a name")
    lines = []
    for s in _stages(stage_ids):
        lines.append(f"  - id: {s.id}")
        lines.append(f"    label: {s.title}")
        lines.append(f"    probability: {s.probability:g}")
        if s.stale_after:
            lines.append(f"    stale_after: {s.stale_after}")
    # the name as deal files write text: quoted when plain it would read back as something else
    plain = yamlio.dump_new({"name": name.strip()}).removeprefix("name: ").rstrip("\n")
    text = _PIPELINE_TEMPLATE.format(name=plain, currency=currency, stages="\n".join(lines) + "\n")
    # validate what we are about to write, exactly as it will be read back
    Pipeline.model_validate(yamlio.load_fast(text))
    return text


def init_pipeline(directory: Path, *, stage_ids: list[str] | None, currency: str, name: str) -> Path:
    """Create pipeline.yaml, deals/, .gitignore and .gitattributes in ``directory``;
    refuse to overwrite a pipeline.yaml. An existing .gitignore or .gitattributes gains
    pipe's line when it lacks it."""
    root = directory.expanduser()
    if (root / PIPELINE_FILE).exists():
        raise PipeError(f"{display_path(root / PIPELINE_FILE)} exists already; nothing changed")
    text = pipeline_text(stage_ids=stage_ids, currency=currency, name=name)
    root.mkdir(parents=True, exist_ok=True)
    (root / DEALS_DIR).mkdir(exist_ok=True)
    atomic_write(root / PIPELINE_FILE, text)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        atomic_write(gitignore, GITIGNORE)
    elif not gitignore.is_symlink() and ".pipe/" not in read_text(gitignore, root):
        # a .gitignore that is a symlink (shared by several repositories) is left as it is
        atomic_write(gitignore, read_text(gitignore, root).rstrip("\n") + "\n" + GITIGNORE)
    attributes = root / ".gitattributes"
    if not attributes.exists():
        atomic_write(attributes, GITATTRIBUTES)
    elif not attributes.is_symlink() and not has_attributes_line(read_text(attributes, root)):
        atomic_write(attributes, read_text(attributes, root).rstrip("\n") + "\n" + GITATTRIBUTES)
    return root
