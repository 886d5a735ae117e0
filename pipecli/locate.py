"""Finding the pipeline folder and naming its deal files, with the standard library only:
``pipecli.store`` and shell completion (``pipecli.quickcomplete``) share it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .errors import NoPipeline
from .settings import Settings, current

PIPELINE_FILE = "pipeline.yaml"
DEALS_DIR = "deals"
STATE_DIR = ".pipe"


def find_root(start: Path | None = None, settings: Settings | None = None) -> Path:
    """The folder holding pipeline.yaml: ``start`` (or ``PIPE_DIR``, or the working
    directory) or the nearest parent of it, as git finds its repository."""
    if start is None:
        start = (settings or current()).pipe_dir or Path.cwd()
    start = start.expanduser()
    if not start.exists():
        raise NoPipeline(start, missing=True)
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / PIPELINE_FILE).is_file():
            return folder
    raise NoPipeline(start)


def is_deal_name(name: str) -> bool:
    """True for a name in deals/ that names a deal: ``*.yaml``, hidden files excluded."""
    return name.endswith(".yaml") and not name.startswith(".")


def deal_entries(entries: Iterable[os.DirEntry[str]]) -> list[os.DirEntry[str]]:
    """The entries of deals/ that name deals, sorted by name."""
    return sorted((e for e in entries if is_deal_name(e.name)), key=lambda e: e.name)
