"""Applying a plan: writing the new deal files and the updated ones.

The one step of an import that writes, through the store's write path.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import AlreadyExists, PipeError
from ..store import Store
from .plan import Plan


def apply(store: Store, result: Plan, *, progress: Callable[[int], None] | None = None) -> None:
    """Write the plan, new files and updates, through the store's write path (in the
    caller's transaction when there is one).

    New files go through the batch write (``Transaction.create_many``): each is whole
    and on disk before its name appears, and none is written if one of them exists
    already.
    """
    with store.transaction() as tx:
        try:
            tx.create_many(result.creates, progress=progress)
        except AlreadyExists as err:
            raise PipeError(f"deal {err.deal_id!r} appeared while importing; nothing was written") from None
        for old, new in result.updates:
            tx.save(old, new)
