"""A model's status as a state machine: the allowed moves, and the one way to make them.

Every move is one conditional UPDATE: the row changes only if it is still in one of the
trigger's source statuses (and matches `where`), and the row count says whether this caller
won. That holds on SQLite (where select_for_update does nothing) as on PostgreSQL. Runs
(`flows/transitions.py`) and tickets (`inbox/transitions.py`) each declare their table here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router

from studio.rawsql import Columns, prepared


class StateMachine:
    def __init__(self, model: type[models.Model], transitions: dict[str, tuple[Iterable[str], str]]) -> None:
        self.model = model
        self.transitions = {trigger: (frozenset(a), b) for trigger, (a, b) in transitions.items()}
        self._returned: Columns | None = None

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

    def move_returning(
        self, pk: int, trigger: str, *, where: dict[str, Any] | None = None, **fields: Any
    ) -> models.Model | None:
        """move(), answering with the row as this UPDATE left it (None when this call did
        not make the move): one statement where move() and a read-back were two
        (UPDATE ... RETURNING: PostgreSQL, and SQLite >= 3.35, which studio.checks requires).
        `fields` and `where` are plain values by field name or attname, no expressions; None
        in `where` is IS NULL.
        """
        model = self.model
        connection = connections[router.db_for_write(model)]
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        if self._returned is None:
            self._returned = Columns(model, table)
        allowed, to = self.transitions[trigger]
        columns, params = prepared(model, connection, {"status": to, **fields})
        sql = [f"UPDATE {table} SET " + ", ".join(f"{column} = %s" for column in columns)]
        matched, values = prepared(model, connection, {model._meta.pk.name: pk, **(where or {})})
        conditions = []
        for column, value in zip(matched, values, strict=True):
            if value is None:
                conditions.append(f"{column} IS NULL")
            else:
                conditions.append(f"{column} = %s")
                params.append(value)
        status = quote(model._meta.get_field("status").column)
        conditions.append(f"{status} IN ({', '.join(['%s'] * len(allowed))})")
        params += sorted(allowed)
        sql.append(f" WHERE {' AND '.join(conditions)}")
        returned = self._returned.select(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"{''.join(sql)} RETURNING {returned}", params)
            row = cursor.fetchone()
        return None if row is None else self._returned.build(connection, row)
