"""The one way work is handed to django-q2.

async_task knows nothing of transactions. Enqueuing inside a transaction that later rolls
back would wake a worker for rows that never existed, so every enqueue waits for commit -
except on the ORM broker in the same database, where the task is a row: written in the
caller's transaction, it commits or rolls back with the rows it names (one commit less).
Tasks take primary keys only: arguments are pickled and delivered at least once.
"""

from __future__ import annotations

import os
from time import sleep

from django.db import InterfaceError, OperationalError, close_old_connections, connections, transaction
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

_broker: tuple[tuple[int, str], Broker] | None = None


def broker() -> Broker:
    """This process's broker. Without it, async_task opens a new broker - a new Redis
    connection - per task (measured: 2 ms of a 2.2 ms enqueue)."""
    global _broker
    key = (os.getpid(), Conf.CLUSTER_NAME)  # never shared across a fork
    if _broker is None or _broker[0] != key:
        _broker = (key, get_broker())
    return _broker[1]


def enqueue(func: str, *ids: int) -> None:
    async_task(func, *ids, broker=broker())


def enqueue_each(func: str, ids: list[int]) -> None:
    """One task per id, now. On the ORM broker their rows go in one transaction (one commit,
    and django-q2 does not reset the connection's health check before each of them)."""
    if _queue_is_in_database() and ids:
        with transaction.atomic(using=Conf.ORM):
            for task_id in ids:
                enqueue(func, task_id)
        return
    for task_id in ids:
        enqueue(func, task_id)


def enqueue_on_commit(func: str, *ids: int) -> None:
    if _queue_is_in_database() and transaction.get_connection(Conf.ORM).in_atomic_block:
        enqueue(func, *ids)
    else:
        transaction.on_commit(lambda: enqueue(func, *ids))


def _queue_is_in_database() -> bool:
    """The ORM broker, not in sync mode (which runs the task at once: it must wait for commit)."""
    return bool(Conf.ORM) and not Conf.SYNC and not Conf.REDIS


class OrmBroker(ORM):
    """django-q2's ORM broker, taking the ready tasks in one statement.

    The stock broker reads up to `bulk` ready tasks, then locks each with its own UPDATE,
    and resets the connection's health check before each statement (one more `SELECT 1`
    each). Here one `UPDATE ... WHERE id IN (SELECT ... LIMIT bulk FOR UPDATE SKIP LOCKED)
    RETURNING` locks and returns them: SKIP LOCKED lets pushers of other clusters take other
    tasks instead of waiting (PostgreSQL); SQLite runs one writer at a time, so the statement
    is atomic there as it is. Locking, retry after `retry` seconds and acknowledgement are
    the stock broker's (Q_CLUSTER["broker_class"] selects this one).
    """

    def dequeue(self):
        # A connection dropped between the health check and the statement (a restart, a
        # terminated session) is opened again once, rather than failing the pusher's poll
        # with a traceback (django-q2 then restarts the pusher after 10 s).
        try:
            return self._dequeue()
        except (OperationalError, InterfaceError):
            connections[Conf.ORM].close()
            return self._dequeue()

    def _dequeue(self):
        close_old_connections()  # once per poll, as the stock broker: a dropped connection reconnects
        connection = connections[Conf.ORM]
        quote, ops = connection.ops.quote_name, connection.ops
        table = quote(OrmQ._meta.db_table)
        skip_locked = (
            " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
        )
        sql = (
            f"UPDATE {table} SET {quote('lock')} = %s WHERE {quote('id')} IN ("
            f"SELECT {quote('id')} FROM {table} WHERE {quote('key')} = %s AND {quote('lock')} < %s "
            f"ORDER BY {quote('id')} LIMIT %s{skip_locked}) RETURNING {quote('id')}, {quote('payload')}"
        )
        now = timezone.now()
        params = [
            ops.adapt_datetimefield_value(self.timeout(None)),
            self.list_key,
            ops.adapt_datetimefield_value(now),
            Conf.BULK,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            tasks = [(pk, payload) for pk, payload in cursor.fetchall()]
        if tasks:
            return tasks
        sleep(Conf.POLL)  # empty queue: spare the CPU

    def acknowledge(self, task_id):
        # The monitor acknowledges on a connection that may have been dropped under it since its
        # last statement (a database restart, a terminated session): reconnect once and retry,
        # rather than letting the monitor process die with the traceback.
        try:
            return super().acknowledge(task_id)
        except (OperationalError, InterfaceError):
            connections[Conf.ORM].close()
            return super().acknowledge(task_id)
