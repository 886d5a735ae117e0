"""The three-way merge of a deal file: what ``pipe merge-driver`` does when git merges
two versions of ``deals/<id>.yaml`` made in two clones.

The rules (docs/team.md says them for people):

* ``history`` and ``notes`` are the union of both sides, in time order (the order of
  equal times: this side's, then the other's), exact duplicates once.
* ``stage``, ``status`` and ``lost_reason`` follow where the merged history ends.
* Any other field changed on one side only takes that side's value; changed the same way
  on both, that value. A mapping that is not a tracked field (``contact``, a key of
  your own) is merged key by key.
* A field changed differently on both sides is a conflict: the field keeps the value
  of the later change (by the history's ``changed`` entries; when they say nothing,
  this side's value) and a ``conflict:`` mapping records all three values::

      conflict:
        value:
          was: 1000       # before either change
          ours: 2000      # this clone's (the one that merged)
          theirs: 3000    # the other clone's

  ``pipe check`` reports each entry until it is gone: ``pipe set DEAL FIELD=VALUE``
  removes it, or edit the file (set the field, delete its entry and an empty
  ``conflict:``).
* Comments and keys pipe does not know survive from either side: the result is this
  side's file (its layout, comments, line ends) with the other side's changes applied.
* The result always reads and validates as a deal file. When one side does not (a
  hand edit broke it), the file gets git's line merge instead, with conflict markers
  where both changed the same lines, and ``pipe check`` reports them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import history, yamlio
from .documents import parse_document
from .errors import PipeError
from .models import TRACKED_FIELDS, Deal
from .store import deal_from_data

CONFLICT_KEY = "conflict"
"""The key of a deal file that holds the conflicts of a merge until they are resolved."""
SIDES = ("was", "ours", "theirs")
"""The keys of one conflict: the value before both changes, this clone's, the other's."""
LOGS = ("history", "notes")
FOLLOW_HISTORY = ("stage", "status", "lost_reason")
_MISSING: Any = object()


@dataclass(frozen=True)
class FieldConflict:
    """A field changed differently on both sides (None: the side has no value)."""

    field: str
    was: Any
    ours: Any
    theirs: Any


@dataclass
class Merged:
    """The merged text; ``conflicts`` it records; ``markers``: git's line merge had to be used."""

    text: str
    conflicts: list[FieldConflict] = field(default_factory=list)
    markers: bool = False

    @property
    def clean(self) -> bool:
        return not self.conflicts and not self.markers


class _Unmergeable(Exception):
    """A side that does not read or validate as a deal: the line merge takes over."""


@dataclass
class _Side:
    text: str
    data: dict[str, Any]
    doc: Any  # the ruamel.yaml round-trip document (None for an empty base)
    deal: Deal | None


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _side(path: str, text: str, *, base: bool = False) -> _Side:
    body = _strip_bom(text).replace("\r\n", "\n")  # line ends: this side's come back at the end
    if base and not body.strip():
        return _Side(body, {}, None, None)  # both sides added the file
    try:
        data = parse_document(path, body)
        doc = yamlio.load_roundtrip(body)
    except Exception as exc:  # PipeError from the checks, ruamel's own errors
        if base:
            return _Side(body, {}, None, None)
        raise _Unmergeable(str(exc)) from None
    if not isinstance(doc, dict):
        raise _Unmergeable("not a mapping")
    try:
        deal = deal_from_data(path, data, body)
    except PipeError as err:
        if base:
            return _Side(body, data, doc, None)
        raise _Unmergeable(err.message) from None
    return _Side(body, data, doc, deal)


def _key(item: Any) -> str:
    """An entry's identity: its data, exactly (keys in any order)."""
    return json.dumps(item, sort_keys=True, default=str, ensure_ascii=False)


def _comment(mapping: Any, key: Any) -> Any:
    """The comments ruamel.yaml keeps with ``key`` of ``mapping``, as comparable text."""
    ca = getattr(mapping, "ca", None)
    entry = ca.items.get(key) if ca is not None else None
    if not entry:
        return ()
    out: list[Any] = []
    for part in entry:
        if isinstance(part, list):
            out.append(tuple(getattr(t, "value", None) for t in part if t is not None))
        else:
            out.append(getattr(part, "value", None))
    return tuple(out)


def _take_comment(target: Any, source: Any, key: Any) -> None:
    items = target.ca.items
    theirs = source.ca.items.get(key) if getattr(source, "ca", None) is not None else None
    if theirs:
        items[key] = theirs
    else:
        items.pop(key, None)


def _merge_comments(base: Any, ours: Any, theirs: Any, keys: Iterable[Any]) -> None:
    """A comment changed on the other side only comes over (ours: the result)."""
    for key in keys:
        b, o, t = _comment(base, key), _comment(ours, key), _comment(theirs, key)
        if o == b and t != b and key in ours:
            _take_comment(ours, theirs, key)
    top = (getattr(getattr(x, "ca", None), "comment", None) for x in (base, ours, theirs))
    b, o, t = (repr(c) for c in top)
    if o == b and t != b and getattr(theirs, "ca", None) is not None:
        ours.ca.comment = theirs.ca.comment


def _last_change(deal: Deal | None, name: str) -> datetime | None:
    if deal is None:
        return None
    times = [h.at for h in deal.history if h.event == "changed" and h.field == name]
    return max(times) if times else None


def _order(ours: list[Any], theirs: list[Any]) -> list[Any]:
    """The keys of both sides: this side's order, the other's new keys after the key
    they follow there."""
    out = list(ours)
    for i, key in enumerate(theirs):
        if key in out:
            continue
        before = next((k for k in reversed(theirs[:i]) if k in out), None)
        out.insert(out.index(before) + 1 if before is not None else 0, key)
    return out


def _place(doc: Any, key: Any, node: Any, order: list[Any]) -> None:
    """Set ``doc[key]``: in place when it is there, else after the key it follows in ``order``."""
    if key in doc:
        doc[key] = node
        return
    pos = 0
    for prev in reversed(order[: order.index(key)]):
        if prev in doc:
            pos = list(doc.keys()).index(prev) + 1
            break
    doc.insert(pos, key, node)


class _Merge:
    def __init__(self, path: str, base: _Side, ours: _Side, theirs: _Side) -> None:
        self.path = path
        self.base, self.ours, self.theirs = base, ours, theirs
        self.conflicts: list[FieldConflict] = []

    # -- plain fields ------------------------------------------------------------------
    def fields(
        self,
        b: Any,
        o: Any,
        t: Any,
        od: Any,
        td: Any,
        bd: Any,
        prefix: str = "",
        only: Iterable[str] | None = None,
    ) -> None:
        """Merge mapping ``t`` (node ``td``) into ``o`` (node ``od``, the result) over base
        ``b`` (node ``bd``); at the top, ``only`` these keys (default: all but the history's)."""
        if only is not None:
            wanted: set[Any] | None = set(only)
            skip: set[Any] = set()
        else:
            wanted = None
            skip = {CONFLICT_KEY, *LOGS, *FOLLOW_HISTORY} if not prefix else set()
        order = _order(list(od.keys()), list(td.keys()))
        for key in dict.fromkeys([*order, *b.keys()]):
            if key in skip or (wanted is not None and key not in wanted):
                continue
            name = f"{prefix}{key}"
            bv, ov, tv = b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING)
            if ov == tv or tv == bv:
                continue  # this side's value stands
            if ov == bv:
                self.take(od, td, key, order)
                continue
            nested = all(isinstance(v, dict) for v in (ov, tv) if v is not _MISSING)
            if nested and name not in TRACKED_FIELDS and ov is not _MISSING and tv is not _MISSING:
                self.fields(
                    bv if isinstance(bv, dict) else {},
                    ov,
                    tv,
                    od[key],
                    td[key],
                    bd.get(key) if isinstance(bd, dict) else None,
                    f"{name}.",
                )
                continue
            self.conflict(name, bv, ov, tv, od, td, key, order)
        if wanted is None:
            _merge_comments(bd if bd is not None else {}, od, td, order)

    def take(self, od: Any, td: Any, key: Any, order: list[Any]) -> None:
        """The other side's value of ``key`` (or its removal)."""
        if key in td:
            _place(od, key, td[key], order)
        elif key in od:
            del od[key]

    def conflict(self, name: str, bv: Any, ov: Any, tv: Any, od: Any, td: Any, key: Any, order: list[Any]) -> None:
        plain = [None if v is _MISSING else v for v in (bv, ov, tv)]
        self.conflicts.append(FieldConflict(name, *plain))
        # the later change stands: the last `changed` entry of the merged history (at equal
        # times the other side's comes after this side's)
        mine, other = _last_change(self.ours.deal, name), _last_change(self.theirs.deal, name)
        if other is not None and (mine is None or other >= mine):
            self.take(od, td, key, order)

    # -- history and notes -------------------------------------------------------------
    def logs(self) -> None:
        doc = self.ours.doc
        for name in LOGS:
            o = self.ours.data.get(name) or []
            t = self.theirs.data.get(name) or []
            if not isinstance(o, list) or not isinstance(t, list):
                raise _Unmergeable(f"{name} is not a list")
            merged = self.union(name, o, t)
            if [item for item, _ in merged] == o:
                continue  # nothing new from the other side
            nodes = [node for _, node in merged]
            seq: Any = doc.get(name)
            if isinstance(seq, list) and hasattr(seq, "ca"):
                seq.clear()
                seq.extend(nodes)
                seq.ca.items.clear()  # comments kept by position would land on other entries
            else:
                new = yamlio.to_node([])
                new.fa.set_block_style()
                new.extend(nodes)
                _place(doc, name, new, _order(list(doc.keys()), list(self.theirs.doc.keys())))

    def union(self, name: str, o: list[Any], t: list[Any]) -> list[tuple[Any, Any]]:
        """Both sides' entries (data, node), in time order, each distinct entry once."""
        ours_nodes = self.ours.doc.get(name) or []
        theirs_nodes = self.theirs.doc.get(name) or []
        assert self.ours.deal is not None and self.theirs.deal is not None
        ours_times = [e.at for e in getattr(self.ours.deal, name)]
        theirs_times = [e.at for e in getattr(self.theirs.deal, name)]
        seen: set[str] = set()
        rows: list[tuple[datetime, int, Any, Any]] = []
        for side, (items, nodes, times) in enumerate(((o, ours_nodes, ours_times), (t, theirs_nodes, theirs_times))):
            for item, node, at in zip(items, nodes, times, strict=True):
                key = _key(item)
                if key in seen:
                    continue
                seen.add(key)
                rows.append((at, side, item, node))
        rows.sort(key=lambda r: (r[0], r[1]))  # stable: each side keeps its order within a time
        return [(item, node) for _, _, item, node in rows]

    # -- where the history ends ----------------------------------------------------------
    def follow_history(self) -> None:
        """``stage`` and ``status`` where the merged history ends; ``lost_reason`` with
        them (a conflict of reasons goes to the last loss's). Without any history, they
        merge as plain fields."""
        doc, theirs = self.ours.doc, self.theirs.doc
        order = _order(list(doc.keys()), list(theirs.keys()))
        merged = deal_from_data(self.path, yamlio.load_fast(yamlio.dump_roundtrip(doc)))
        if not merged.history:
            self.fields(
                {k: v for k, v in self.base.data.items() if k in FOLLOW_HISTORY},
                {k: v for k, v in self.ours.data.items() if k in FOLLOW_HISTORY},
                {k: v for k, v in self.theirs.data.items() if k in FOLLOW_HISTORY},
                doc,
                theirs,
                self.base.doc,
                prefix="",
                only=FOLLOW_HISTORY,
            )
            return
        replay = history.replay(merged, detail=False)
        reason: Any = _MISSING
        if replay.status == "lost":
            bv, ov, tv = (side.data.get("lost_reason", _MISSING) for side in (self.base, self.ours, self.theirs))
            reason = ov if ov == tv or tv == bv else tv if ov == bv else replay.lost_reason
            if reason is _MISSING or reason is None:
                reason = replay.lost_reason
        for key, value in (("stage", replay.stage), ("status", replay.status), ("lost_reason", reason)):
            if value is _MISSING or value is None:
                if key in doc:
                    del doc[key]
            elif doc.get(key, _MISSING) != value and not (key == "status" and value == "open" and key not in doc):
                _place(doc, key, value, order)

    # -- the conflict record -----------------------------------------------------------
    def record(self) -> None:
        doc = self.ours.doc
        b = self.base.data.get(CONFLICT_KEY)
        o = self.ours.data.get(CONFLICT_KEY)
        t = self.theirs.data.get(CONFLICT_KEY)
        known: dict[str, Any] = {}
        if isinstance(o, dict) or isinstance(t, dict):
            b = b if isinstance(b, dict) else {}
            o = o if isinstance(o, dict) else {}
            t = t if isinstance(t, dict) else {}
            for key in dict.fromkeys([*o, *t]):
                bv, ov, tv = b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING)
                # resolved on one side (gone there, unchanged on the other): resolved
                value = tv if ov == bv else ov
                if value is not _MISSING:
                    known[str(key)] = value
        for c in self.conflicts:
            known[c.field] = {"was": c.was, "ours": c.ours, "theirs": c.theirs}
        if not known:
            if CONFLICT_KEY in doc:
                del doc[CONFLICT_KEY]
            return
        if known == o:
            return
        node = yamlio.to_node(known)
        if CONFLICT_KEY in doc:
            doc[CONFLICT_KEY] = node
        else:
            doc.insert(len(doc), CONFLICT_KEY, node)

    def run(self) -> str:
        b, o, t = self.base, self.ours, self.theirs
        self.fields(b.data, o.data, t.data, o.doc, t.doc, b.doc)
        self.logs()
        self.follow_history()
        self.record()
        return yamlio.dump_roundtrip(o.doc, o.text)


def _line_ends(result: str, ours: str) -> str:
    """The result with this side's line ends and byte order mark."""
    if "\r\n" in ours and "\r\n" not in result:
        result = result.replace("\n", "\r\n")
    if ours.startswith("\ufeff") and not result.startswith("\ufeff"):
        result = "\ufeff" + result
    return result


def merge_texts(base: str, ours: str, theirs: str, path: str = "deal.yaml") -> Merged:
    """The merge of two versions of a deal file (``ours``, ``theirs``) made from ``base``."""
    try:
        b = _side(path, base, base=True)
        o = _side(path, ours)
        t = _side(path, theirs)
        merge = _Merge(path, b, o, t)
        text = merge.run()
        # the result must read and validate as the deal file it is
        deal_from_data(path, parse_document(path, text), text)
    except _Unmergeable:
        return line_merge(base, ours, theirs)
    except PipeError:
        return line_merge(base, ours, theirs)
    return Merged(_line_ends(text, ours), merge.conflicts)


def line_merge(base: str, ours: str, theirs: str) -> Merged:
    """git's own line merge (``git merge-file``), with conflict markers where both sides
    changed the same lines."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pipe-merge-") as folder:
        names = []
        for label, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            p = Path(folder) / label
            p.write_bytes(text.encode("utf-8", "surrogateescape"))
            names.append(str(p))
        result = subprocess.run(
            ["git", "merge-file", "-p", "-L", "ours", "-L", "base", "-L", "theirs", *names],
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    if result.returncode < 0 or result.returncode > 127:
        raise PipeError(f"git merge-file failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return Merged(result.stdout.decode("utf-8", "surrogateescape"), markers=result.returncode > 0)


# -- conflicts in a deal file ------------------------------------------------------------
def conflicts_of(deal: Deal) -> dict[str, Any]:
    """The conflicts a merge recorded in a deal (``conflict:``), by field."""
    value = (deal.model_extra or {}).get(CONFLICT_KEY)
    return value if isinstance(value, dict) else {}


def resolved(deal: Deal, names: Iterable[str]) -> Deal:
    """``deal`` without the recorded conflicts of these fields (a command just set them)."""
    current = conflicts_of(deal)
    left = {k: v for k, v in current.items() if k not in set(names)}
    if left == current:
        return deal
    data = deal.model_dump(by_alias=True)
    if left:
        data[CONFLICT_KEY] = left
    else:
        data.pop(CONFLICT_KEY, None)
    return Deal.model_validate(data)


def describe(deal_id: str, name: str, sides: Any) -> str:
    """One recorded conflict in words, with what to do about it."""
    if not isinstance(sides, dict):
        return (
            f"{CONFLICT_KEY}.{name} is left from a merge but says nothing; delete it "
            f"(and {CONFLICT_KEY}: when it is empty)"
        )
    shown = ", ".join(f"{_value(sides.get(k))} {label}" for k, label in _LABELS)
    return (
        f"merge conflict: {name} was changed on both sides ({shown}); choose with "
        f"`pipe set {deal_id} {name}=VALUE`, which clears it, or set {name} by hand and delete "
        f"{CONFLICT_KEY}.{name}"
    )


_LABELS = (("ours", "here"), ("theirs", "from the other side"), ("was", "before"))


def _value(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return repr(value) if isinstance(value, str) else str(value)


def conflict_lines(items: Iterable[tuple[str, Deal]]) -> Iterator[str]:
    """``path: field ...`` for every conflict recorded in these (path, deal) pairs."""
    for path, deal in items:
        for name, sides in conflicts_of(deal).items():
            yield f"{path}: {describe(deal.id, str(name), sides)}"
