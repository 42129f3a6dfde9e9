"""The health check of a kept PostgreSQL connection: no round trip while the connection is
idle and alive, and a connection the server dropped is found dead."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def other():
    """A second connection to the test database, as a worker or a web thread holds one."""
    wrapper = connections.create_connection("default")
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 42")
    yield wrapper
    wrapper.close()


def activity(pid: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0] if row else None


def test_an_idle_live_connection_is_usable_without_a_statement(other):
    pid = other.connection.info.backend_pid
    assert other.is_usable()
    assert activity(pid) == "SELECT 42"  # the server saw nothing after the last query


def test_a_connection_the_server_terminated_is_not_usable(other):
    pid = other.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while activity(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not other.is_usable()
    other.close_if_unusable_or_obsolete()  # as Django does when a request or a task starts
    with other.cursor() as cursor:  # the health check found it dead: a new connection
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
