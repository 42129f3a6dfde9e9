"""A database node's insert: one statement that finds the bot's table itself; the table's
first row creates it; another bot's table of the same name is never written."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tables import services as tables
from tables.models import Row, Table

pytestmark = pytest.mark.django_db


def test_an_insert_into_an_existing_table_is_one_statement(bot):
    first = tables.insert(bot, "orders", {"n": 1})
    with CaptureQueriesContext(connection) as ctx:
        second = tables.insert(bot, "orders", {"n": 2, "note": "x"})
    assert len(ctx.captured_queries) == 1
    row = Row.objects.get(pk=second["id"])
    assert second == {"id": row.pk, "n": 2, "note": "x"} and row.data == {"n": 2, "note": "x"}
    assert row.table == Table.objects.get(bot=bot, name="orders")
    assert row.created_at is not None and row.updated_at is not None
    assert first["id"] != second["id"]


def test_the_first_row_creates_the_table(bot):
    result = tables.insert(bot, "fresh", {"a": [1, 2]})
    table = Table.objects.get(bot=bot, name="fresh")
    assert list(table.rows.values_list("pk", "data")) == [(result["id"], {"a": [1, 2]})]


def test_a_table_of_the_same_name_of_another_bot_is_not_written(bot, other_bot):
    tables.insert(other_bot, "log", {"who": "other"})
    tables.insert(bot, "log", {"who": "us"})
    assert [r.data for r in Row.objects.filter(table__bot=other_bot)] == [{"who": "other"}]
    assert [r.data for r in Row.objects.filter(table__bot=bot)] == [{"who": "us"}]
