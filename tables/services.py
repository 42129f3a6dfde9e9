"""A bot's own tables: the rows database nodes insert, update, upsert and find."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from studio.errors import InvalidInput
from studio.rawsql import Insert, per_vendor
from tables.models import Row, Table

MAX_FIND = 100


def get_table(bot, name: str, *, create: bool = False) -> Table:
    if create:
        return Table.objects.get_or_create(bot=bot, name=name)[0]
    table = Table.objects.filter(bot=bot, name=name).order_by().first()
    if table is None:
        raise InvalidInput(f"The bot has no table named {name!r}.", field="table")
    return table


def _matching(table: Table, key: dict[str, Any]):
    if not key:
        raise InvalidInput("A key with at least one column is needed.", field="key")
    # order_by("id"): Meta.ordering ("table", "id") would join Table and Bot to sort rows
    # that all belong to one table.
    return Row.objects.filter(table=table, **{f"data__{col}": value for col, value in key.items()}).order_by(
        "id"
    )


def insert(bot, table: str, values: dict[str, Any]) -> dict[str, Any]:
    """A new row in the bot's table `table`, created with its first row."""
    statement = _row_insert(connection)
    params = {
        "bot": bot.pk,
        "name": table,
        "row_data": statement.insert.value("data", values, connection),
        **statement.insert.defaults(connection),
    }
    row_id = statement.run(params)
    if row_id is None:  # no such table yet: its first row creates it
        get_table(bot, table, create=True)
        row_id = statement.run(params)
    return {"id": row_id, **values}


class _RowInsert:
    """A row's INSERT that finds its table by (bot, name) itself: a database node inserts on
    every run, and the table's lookup through the ORM and the row's create were two
    statements and ~1 ms of Python (docs/performance.md). No row is written when the bot has
    no such table."""

    def __init__(self, connection) -> None:
        self.insert = Insert(Row, ["table_id", "data"], connection, prefix="row_")
        self.sql = (
            f"INSERT INTO {self.insert.table} ({self.insert.columns}) "
            f"SELECT t.id, %(row_data)s{self.insert.default_sql} "
            f"FROM {connection.ops.quote_name(Table._meta.db_table)} t "
            "WHERE t.bot_id = %(bot)s AND t.name = %(name)s RETURNING id"
        )

    def run(self, params: dict[str, Any]) -> int | None:
        """The new row's id; None when no table matched."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        return row[0] if row else None


_row_insert = per_vendor(_RowInsert)


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
    if not key:
        raise InvalidInput("A key with at least one column is needed.", field="key")
    # One query when rows match (flows find on every run); the table is looked up only to
    # tell "no such table" from "no rows".
    matching = Row.objects.filter(
        table__bot=bot, table__name=table, **{f"data__{col}": value for col, value in key.items()}
    )
    rows = [{"id": r.pk, **r.data} for r in matching.order_by("id")[:MAX_FIND]]
    if not rows:
        get_table(bot, table)
    return {"rows": rows, "count": len(rows), "first": rows[0] if rows else None}
