"""A model's status as a state machine: the allowed moves, and the one way to make them.

Every move is one conditional UPDATE: the row changes only if it is still in one of the
trigger's source statuses (and matches `where`), and the row count says whether this caller
won. That holds on SQLite (where select_for_update does nothing) as on PostgreSQL. Runs
(`flows/transitions.py`) and tickets (`inbox/transitions.py`) each declare their table here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models


class StateMachine:
    def __init__(self, model: type[models.Model], transitions: dict[str, tuple[Iterable[str], str]]) -> None:
        self.model = model
        self.transitions = {trigger: (frozenset(a), b) for trigger, (a, b) in transitions.items()}

    def sources(self, trigger: str) -> frozenset[str]:
        return self.transitions[trigger][0]

    def target(self, trigger: str) -> str:
        return self.transitions[trigger][1]

    def move(
        self, pk: int, trigger: str, *, where: models.Q | dict[str, Any] | None = None, **fields: Any
    ) -> bool:
        """Apply `trigger` to one row, writing `fields` in the same UPDATE; True when this call
        made the move. `where` narrows the rows further (a Q, or field lookups)."""
        allowed, to = self.transitions[trigger]
        rows = self.model.objects.filter(pk=pk, status__in=allowed)
        if isinstance(where, models.Q):
            rows = rows.filter(where)
        elif where:
            rows = rows.filter(**where)
        return bool(rows.update(status=to, **fields))
