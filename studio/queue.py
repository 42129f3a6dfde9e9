"""The one way work is handed to django-q2.

async_task knows nothing of transactions. Enqueuing inside a transaction that later rolls
back would wake a worker for rows that never existed, so every enqueue waits for commit -
except on the ORM broker in the same database, where the task is a row: written in the
caller's transaction, it commits or rolls back with the rows it names (one commit less).
Tasks take primary keys only: arguments are pickled and delivered at least once.
"""

from __future__ import annotations

import os
from contextlib import suppress
from datetime import timedelta
from functools import cache
from time import sleep
from typing import Any

from django.db import InterfaceError, OperationalError, close_old_connections, connections, transaction
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf
from django_q.humanhash import uuid
from django_q.models import OrmQ
from django_q.signals import pre_enqueue
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from studio.models import WakeMark
from studio.rawsql import per_vendor

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
    if _queue_is_in_database():
        _insert_task(func, ids)
    elif Conf.SYNC:
        async_task(func, *ids, broker=broker())  # runs the task now, in this process
    else:
        # What async_task pushes, without its per-call option handling and its INFO line
        # ("Enqueued ...", one per request on the emit path).
        broker().enqueue(_package(func, ids))


@cache
def _insert_task_sql(vendor: str, rows: int) -> str:
    quote = connections[Conf.ORM].ops.quote_name
    return (
        f"INSERT INTO {quote(OrmQ._meta.db_table)} ({quote('key')}, {quote('payload')}, {quote('lock')}) "
        "VALUES " + ", ".join(["(%s, %s, %s)"] * rows)
    )


def _insert_task(func: str, args: tuple[int, ...], copies: int = 1) -> None:
    """async_task on the ORM broker, in one hand-written INSERT of the task row (of `copies`
    rows of the same task, each its own package).

    The row is what its ORM broker's enqueue writes. What is left out is async_task's ORM
    insert (~0.3 ms of Python), and the connection health-check reset that the stock broker
    does before each enqueue in autocommit.
    """
    connection = connections[Conf.ORM]
    key = broker().list_key or Conf.CLUSTER_NAME
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [value for _ in range(copies) for value in (key, _package(func, args), now)]
    with connection.cursor() as cursor:
        cursor.execute(_insert_task_sql(connection.vendor, copies), params)


def _package(func: str, args: tuple[int, ...]) -> str:
    """django-q2's own task package: the dict async_task builds, signed by its
    SignedPackage, so its cluster reads it as any other."""
    tag = uuid()
    task: dict[str, Any] = {"id": tag[1], "name": tag[0], "func": func, "args": args}
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    if Conf.ACK_FAILURES:
        task["ack_failure"] = Conf.ACK_FAILURES
    task["kwargs"] = {}
    task["started"] = timezone.now()
    pre_enqueue.send(sender="django_q", task=task)
    return SignedPackage.dumps(task)


def enqueue_each(func: str, ids: list[int]) -> None:
    """One task per id, now. On the ORM broker their rows go in one transaction (one commit,
    and django-q2 does not reset the connection's health check before each of them); on
    Redis in one RPUSH (one round trip, as the broker's enqueue pushes one)."""
    if _queue_is_in_database() and ids:
        with transaction.atomic(using=Conf.ORM):
            for task_id in ids:
                enqueue(func, task_id)
        return
    target = broker()
    if len(ids) > 1 and not Conf.SYNC and isinstance(target, RedisBroker):
        target.connection.rpush(target.list_key, *[_package(func, (task_id,)) for task_id in ids])
        return
    for task_id in ids:
        enqueue(func, task_id)


def enqueue_on_commit(func: str, *ids: int) -> None:
    if _queue_is_in_database() and transaction.get_connection(Conf.ORM).in_atomic_block:
        enqueue(func, *ids)
    else:
        transaction.on_commit(lambda: enqueue(func, *ids))


# A wake-up waiting in the queue is marked; the mark stops holding later wake-ups back after
# this long, should its task be lost (a cluster killed after taking it from Redis) or late.
WAKE_MARK_SECONDS = 5


def wakes_coalesce() -> bool:
    """Whether wake_on_commit can stand in for a task per item: the ORM or Redis broker, not
    in sync mode (which runs each task at once)."""
    return not Conf.SYNC and (_queue_is_in_database() or isinstance(broker(), RedisBroker))


def wake_on_commit(func: str, width: int = 1) -> None:
    """After commit, wake `width` workers (at most the cluster's) to run `func()`, unless a
    wake-up for `func` is already waiting in the queue: the worker that takes that one has
    not started looking yet, and will find this transaction's rows. Under load, many
    commits share one task instead of each paying django-q2's hop (docs/performance.md).

    The task must call `woken(func)` before it looks for work. After commit, not in the
    transaction, even on the ORM broker: a mark seen before this transaction commits could
    be cleared, and its worker done looking, before these rows are visible.
    """
    transaction.on_commit(lambda: wake(func, width))


def wake(func: str, width: int = 1) -> bool:
    """wake_on_commit now; True when a wake-up was pushed."""
    if not wakes_coalesce():
        return False
    width = max(1, min(width, Conf.WORKERS))
    if _queue_is_in_database():
        return _wake_in_database(func, width)
    target = broker()
    mark = _wake_mark(target, func)
    # The mark first: while a wake-up waits, a commit costs one SET and builds no package.
    if not target.connection.set(mark, 1, nx=True, ex=WAKE_MARK_SECONDS):
        return False
    try:
        target.connection.rpush(target.list_key, *[_package(func, ()) for _ in range(width)])
    except BaseException:
        with suppress(Exception):  # no mark without its task, where Redis still answers
            target.connection.delete(mark)
        raise
    return True


def woken(func: str) -> None:
    """A wake-up task of `func` started: wake-ups from now on push a new one."""
    if not wakes_coalesce():
        return
    target = broker()
    if _queue_is_in_database():
        connection = connections[Conf.ORM]
        with connection.cursor() as cursor:
            cursor.execute(_wake_mark_sql(connection).delete, [_wake_mark(target, func)])
    else:
        target.connection.delete(_wake_mark(target, func))


def _wake_mark(target: Broker, func: str) -> str:
    """The mark's name: per queue (the cluster's name) and task."""
    return f"{target.list_key}:waking:{func}"


def _wake_in_database(func: str, width: int) -> bool:
    connection = connections[Conf.ORM]
    sql = _wake_mark_sql(connection)
    name = _wake_mark(broker(), func)
    now = timezone.now()
    cutoff = connection.ops.adapt_datetimefield_value(now - timedelta(seconds=WAKE_MARK_SECONDS))
    # A read first: while a wake-up waits, a commit costs one SELECT (no write lock, which
    # on SQLite every writer shares).
    with connection.cursor() as cursor:
        cursor.execute(sql.fresh, [name, cutoff])
        if cursor.fetchone():
            return False
    with transaction.atomic(using=Conf.ORM):
        with connection.cursor() as cursor:
            cursor.execute(sql.mark, [name, connection.ops.adapt_datetimefield_value(now), cutoff])
            if cursor.rowcount != 1:
                return False  # another commit marked it first
        _insert_task(func, (), copies=width)
    return True


class _WakeMarkSql:
    def __init__(self, connection) -> None:
        quote = connection.ops.quote_name
        table = quote(WakeMark._meta.db_table)
        name, marked_at = quote("name"), quote("marked_at")
        self.fresh = f"SELECT 1 FROM {table} WHERE {name} = %s AND {marked_at} >= %s"
        # Marks a wake-up unless a fresh one is marked (1 row changed) - PostgreSQL and SQLite.
        self.mark = (
            f"INSERT INTO {table} ({name}, {marked_at}) VALUES (%s, %s) ON CONFLICT ({name}) "
            f"DO UPDATE SET {marked_at} = excluded.{marked_at} WHERE {table}.{marked_at} < %s"
        )
        self.delete = f"DELETE FROM {table} WHERE {name} = %s"


_wake_mark_sql = per_vendor(_WakeMarkSql)


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
        return _once_more_on_a_new_connection(self._dequeue)

    def _dequeue(self):
        close_old_connections()  # once per poll, as the stock broker: a dropped connection reconnects
        connection = connections[Conf.ORM]
        ops = connection.ops
        now = timezone.now()
        params = [
            ops.adapt_datetimefield_value(self.timeout(None)),
            self.list_key,
            ops.adapt_datetimefield_value(now),
            Conf.BULK,
        ]
        with connection.cursor() as cursor:
            cursor.execute(_dequeue_sql(connection), params)
            tasks = [(pk, payload) for pk, payload in cursor.fetchall()]
        if tasks:
            return tasks
        sleep(Conf.POLL)  # empty queue: spare the CPU

    def acknowledge(self, task_id):
        return _once_more_on_a_new_connection(super().acknowledge, task_id)


@per_vendor
def _dequeue_sql(connection) -> str:
    quote = connection.ops.quote_name
    table = quote(OrmQ._meta.db_table)
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    return (
        f"UPDATE {table} SET {quote('lock')} = %s WHERE {quote('id')} IN ("
        f"SELECT {quote('id')} FROM {table} WHERE {quote('key')} = %s AND {quote('lock')} < %s "
        f"ORDER BY {quote('id')} LIMIT %s{skip_locked}) RETURNING {quote('id')}, {quote('payload')}"
    )


def _once_more_on_a_new_connection(call, *args):
    """The pusher's poll and the monitor's acknowledgement run on a connection that may have
    been dropped since its last statement or its health check (a database restart, a
    terminated session): reconnect once and retry, rather than letting the process die with
    a traceback (django-q2 restarts a pusher only after 10 s)."""
    try:
        return call(*args)
    except (OperationalError, InterfaceError):
        connections[Conf.ORM].close()
        return call(*args)
