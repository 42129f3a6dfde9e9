"""A bot's own tables: the rows database nodes insert, update, upsert and find."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from studio.errors import InvalidInput
from tables.models import Row, Table

MAX_FIND = 100


def get_table(bot, name: str, *, create: bool = False) -> Table:
    if create:
        return Table.objects.get_or_create(bot=bot, name=name)[0]
    table = Table.objects.filter(bot=bot, name=name).first()
    if table is None:
        raise InvalidInput(f"The bot has no table named {name!r}.", field="table")
    return table


def _matching(table: Table, key: dict[str, Any]):
    if not key:
        raise InvalidInput("A key with at least one column is needed.", field="key")
    return Row.objects.filter(table=table, **{f"data__{col}": value for col, value in key.items()})


def insert(bot, table: str, values: dict[str, Any]) -> dict[str, Any]:
    row = Row.objects.create(table=get_table(bot, table, create=True), data=values)
    return {"id": row.pk, **row.data}


@transaction.atomic
def update(bot, table: str, key: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    rows = list(_matching(get_table(bot, table), key).select_for_update())
    for row in rows:
        row.data = {**row.data, **values}
        row.save(update_fields=["data", "updated_at"])
    return {"updated": len(rows)}


@transaction.atomic
def upsert(bot, table: str, key: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    target = get_table(bot, table, create=True)
    row = _matching(target, key).select_for_update().first()
    if row is None:
        row = Row.objects.create(table=target, data={**key, **values})
        return {"id": row.pk, "created": True, **row.data}
    row.data = {**row.data, **values}
    row.save(update_fields=["data", "updated_at"])
    return {"id": row.pk, "created": False, **row.data}


def find(bot, table: str, key: dict[str, Any]) -> dict[str, Any]:
    rows = [{"id": r.pk, **r.data} for r in _matching(get_table(bot, table), key)[:MAX_FIND]]
    return {"rows": rows, "count": len(rows), "first": rows[0] if rows else None}
