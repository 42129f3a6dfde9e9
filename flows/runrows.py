"""The statements every run makes, written once per process: claim-and-load, load, record.

A run's task used to make ten statements through the ORM (claim; load with six related
tables; per checkpoint BEGIN, steps INSERT, run UPDATE, COMMIT), and the ORM's compilation of
each was most of the task's CPU. Here:

- `claim` moves the run to `running` (or takes it over past its lease) and returns it with
  the rows the engine reads, in one statement on PostgreSQL (an UPDATE ... RETURNING inside
  a CTE, joined to flow, bot, version, ticket, conversation and customer); on SQLite the
  UPDATE and the SELECT are two statements with no round trip between them.
- `claim_next` is the claim of whichever queued run is oldest, for a worker woken to run
  what is queued (flows.tasks.run_queued): on PostgreSQL the same statement with the run
  chosen by a subquery that skips rows other workers are claiming (SKIP LOCKED).
- `resume_waiting_on_ticket` continues the runs waiting on a closed ticket: one UPDATE that
  merges the ticket into their variables in SQL and returns their ids, where the ORM read
  each run (a SELECT of the full rows, compiled per close) and then updated it.
- `record` is a checkpoint: the run's conditional UPDATE (the state machine's move, guarded
  by the step count this worker expects) and the INSERT of the buffered steps. On
  PostgreSQL one statement (the INSERT reads the UPDATE's RETURNING, so no step is written
  unless the run moved), which commits by itself outside a transaction; on SQLite both in one
  transaction.

The allowed statuses are read from the state machine (flows.transitions), so a move made
here is the same move `transitions.move` would make.

On PostgreSQL (server-side binding, DATABASE_PREPARE) these statements are prepared on each
connection after their fifth run: planning the claim's seven-table join was ~0.5-1 ms of
server CPU per run against 0.07 ms executing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from flows.models import Flow, FlowRun, FlowVersion, RunStep
from flows.transitions import MACHINE
from inbox.models import Conversation, Customer, Ticket
from studio.models import Bot
from studio.rawsql import Columns, build_parts, insert_values, prepared

DB = "default"

# The run and what the engine reads of it, in the order of the SELECT's columns.
_RUN = Columns(FlowRun, "r")
_FLOW = Columns(Flow, "f")
_BOT = Columns(Bot, "b")
_VERSION = Columns(FlowVersion, "v", exclude=["graph"])  # read once per version (engine.run_graph)
_TICKET = Columns(Ticket, "t")
_CONVERSATION = Columns(Conversation, "c")
_CUSTOMER = Columns(Customer, "cu")
_PARTS = (_RUN, _FLOW, _BOT, _VERSION, _TICKET, _CONVERSATION, _CUSTOMER)

_STEP_FIELDS = [f for f in RunStep._meta.concrete_fields if not f.primary_key]
# The statuses a claim takes a run from: queued, or running past its lease (a take-over).
_CLAIM_FROM = sorted(MACHINE.sources("claim"))
_TAKE_FROM = sorted(MACHINE.sources("take_over"))


def _q(connection: BaseDatabaseWrapper, model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


@cache
def _select(vendor: str, source: str) -> str:
    """SELECT of the run `r` from `source` joined to the rows the engine reads."""
    connection = connections[DB]
    table = connection.ops.quote_name

    def join(kind: str, part: Columns, on: str) -> str:
        pk = _q(connection, part.model, part.model._meta.pk.name)
        return f" {kind} JOIN {table(part.model._meta.db_table)} AS {part.alias} ON {part.alias}.{pk} = {on}"

    columns = ", ".join(part.select(connection) for part in _PARTS)
    return (
        f"SELECT {columns} FROM {source} AS r"
        + join("INNER", _FLOW, f"r.{_q(connection, FlowRun, 'flow')}")
        + join("INNER", _BOT, f"f.{_q(connection, Flow, 'bot')}")
        + join("LEFT OUTER", _VERSION, f"r.{_q(connection, FlowRun, 'version')}")
        + join("LEFT OUTER", _TICKET, f"r.{_q(connection, FlowRun, 'ticket')}")
        + join("LEFT OUTER", _CONVERSATION, f"r.{_q(connection, FlowRun, 'conversation')}")
        + join("LEFT OUTER", _CUSTOMER, f"c.{_q(connection, Conversation, 'customer')}")
    )


@cache
def _claim_set(vendor: str) -> str:
    """What every claim writes: status (%s), lease (%s), the attempt, the first start (%s)."""
    connection = connections[DB]
    q = lambda name: _q(connection, FlowRun, name)  # noqa: E731
    return (
        f"UPDATE {connection.ops.quote_name(FlowRun._meta.db_table)} SET {q('status')} = %s, "
        f"{q('lease_expires_at')} = %s, {q('attempts')} = {q('attempts')} + 1, "
        f"{q('started_at')} = COALESCE({q('started_at')}, %s)"
    )


@cache
def _claim_update(vendor: str) -> str:
    """The claim's UPDATE (queued -> running, or a take-over past the lease)."""
    connection = connections[DB]
    q = lambda name: _q(connection, FlowRun, name)  # noqa: E731
    marks = lambda n: ", ".join(["%s"] * n)  # noqa: E731
    sql = (
        f"{_claim_set(vendor)}, "
        # a run that kills its workers fails in the end (engine: FLOW_RUN_MAX_TAKEOVERS)
        f"{q('lease_takeovers')} = {q('lease_takeovers')} + "
        f"CASE WHEN {q('status')} IN ({marks(len(_TAKE_FROM))}) THEN 1 ELSE 0 END "
        f"WHERE {q('id')} = %s AND ({q('status')} IN ({marks(len(_CLAIM_FROM))}) OR "
        f"({q('status')} IN ({marks(len(_TAKE_FROM))}) AND {q('lease_expires_at')} < %s))"
    )
    return sql


def claim(run_id: int, *, now: datetime, lease_expires_at: datetime) -> FlowRun | None:
    """Claim the run (transitions `claim`, else `take_over`) and load it; None if not ours."""
    connection = connections[DB]
    sql = _claim_update(connection.vendor)
    ops = connection.ops
    at, until = ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(lease_expires_at)
    params = [MACHINE.target("claim"), until, at, *_TAKE_FROM, run_id, *_CLAIM_FROM, *_TAKE_FROM, at]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH claimed AS ({sql} RETURNING *) {_select(connection.vendor, 'claimed')}", params
            )
            row = cursor.fetchone()
        else:
            cursor.execute(sql, params)
            if cursor.rowcount != 1:
                return None
            row = _fetch(cursor, connection, run_id)
    return _build(connection, row) if row else None


def claim_next(*, now: datetime, lease_expires_at: datetime) -> FlowRun | None:
    """Claim the oldest queued run nobody else is claiming, and load it; None when none is
    queued. On PostgreSQL one statement: SKIP LOCKED passes over a run another worker is
    claiming at this moment, instead of waiting for it and then finding it taken."""
    connection = connections[DB]
    ops = connection.ops
    at, until = ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(lease_expires_at)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_claim_next_sql(connection.vendor), [MACHINE.target("claim"), until, at])
            row = cursor.fetchone()
        return _build(connection, row) if row else None
    # One writer at a time (SQLite): a run taken between the two statements is tried again.
    for _attempt in range(10):
        with connection.cursor() as cursor:
            cursor.execute(_oldest_queued(connection.vendor))
            row = cursor.fetchone()
        if row is None:
            return None
        claimed = claim(row[0], now=now, lease_expires_at=lease_expires_at)
        if claimed is not None:
            return claimed
    return None


@cache
def _oldest_queued(vendor: str) -> str:
    # The status is written into the statement, not bound: a prepared statement's generic
    # plan can use the partial index of queued runs (flows_run_queued_idx) only then.
    connection = connections[DB]
    q = lambda name: _q(connection, FlowRun, name)  # noqa: E731
    (queued,) = _CLAIM_FROM
    return (
        f"SELECT {q('id')} FROM {connection.ops.quote_name(FlowRun._meta.db_table)} "
        f"WHERE {q('status')} = '{queued}' ORDER BY {q('id')} LIMIT 1"
    )


@cache
def _claim_next_sql(vendor: str) -> str:
    connection = connections[DB]
    q = lambda name: _q(connection, FlowRun, name)  # noqa: E731
    (queued,) = _CLAIM_FROM
    update = (
        f"{_claim_set(vendor)} "
        f"WHERE {q('id')} = ({_oldest_queued(vendor)} FOR UPDATE SKIP LOCKED) AND {q('status')} = '{queued}'"
    )
    return f"WITH claimed AS ({update} RETURNING *) {_select(vendor, 'claimed')}"


def load(run_id: int) -> FlowRun | None:
    """The run with the rows the engine reads (flow, bot, version, ticket, conversation)."""
    connection = connections[DB]
    with connection.cursor() as cursor:
        row = _fetch(cursor, connection, run_id)
    return _build(connection, row) if row else None


def _fetch(cursor, connection: BaseDatabaseWrapper, run_id: int) -> Sequence[Any] | None:
    table = connection.ops.quote_name(FlowRun._meta.db_table)
    cursor.execute(
        f"{_select(connection.vendor, table)} WHERE r.{_q(connection, FlowRun, 'id')} = %s", [run_id]
    )
    return cursor.fetchone()


def _build(connection: BaseDatabaseWrapper, row: Sequence[Any]) -> FlowRun:
    run, flow, bot, version, ticket, conversation, customer = build_parts(connection, _PARTS, row)
    # As select_related would: the related rows are cached, a missing one as None (no query).
    FlowRun._meta.get_field("flow").set_cached_value(run, flow)
    Flow._meta.get_field("bot").set_cached_value(flow, bot)
    FlowRun._meta.get_field("version").set_cached_value(run, version)
    FlowRun._meta.get_field("ticket").set_cached_value(run, ticket)
    FlowRun._meta.get_field("conversation").set_cached_value(run, conversation)
    if conversation is not None:
        Conversation._meta.get_field("customer").set_cached_value(conversation, customer)
    return run


def record(
    run_id: int, trigger: str, *, expected_steps: int, fields: dict[str, Any], steps: Sequence[RunStep]
) -> bool:
    """Make the run's move `trigger` (writing `fields`) if it is still at `expected_steps`,
    and insert `steps` with it; True when both happened, False when the run moved under us.
    A step number taken meanwhile raises IntegrityError and writes nothing."""
    connection = connections[DB]
    allowed, to = MACHINE.sources(trigger), MACHINE.target(trigger)
    columns, params = prepared(FlowRun, connection, {"status": to, **fields})
    q = lambda name: _q(connection, FlowRun, name)  # noqa: E731
    update = (
        f"UPDATE {connection.ops.quote_name(FlowRun._meta.db_table)} SET "
        + ", ".join(f"{column} = %s" for column in columns)
        + f" WHERE {q('id')} = %s AND {q('status')} IN ({', '.join(['%s'] * len(allowed))})"
        f" AND {q('step_count')} = %s"
    )
    params += [run_id, *sorted(allowed), expected_steps]
    rows = [insert_values(step, _STEP_FIELDS, connection) for step in steps]
    with connection.cursor() as cursor:
        if not rows:
            cursor.execute(update, params)
            return cursor.rowcount == 1
        if connection.vendor == "postgresql":
            cursor.execute(*_moved_and_inserted(connection, update, params, rows))
            return cursor.rowcount == len(rows)
        with transaction.atomic(using=DB, savepoint=False):
            cursor.execute(update, params)
            if cursor.rowcount != 1:
                return False
            _insert_steps(cursor, connection, rows)
        return True


def _moved_and_inserted(connection, update: str, params: list[Any], rows: list[list[Any]]):
    """One statement: the steps are inserted only for the run the UPDATE moved."""
    insert, run_index = _steps_from_moved(connection.vendor, len(rows))
    return (
        f"WITH moved AS ({update} RETURNING {_q(connection, FlowRun, 'id')}) {insert}",
        params + [value for row in rows for i, value in enumerate(row) if i != run_index],
    )


@cache
def _steps_from_moved(vendor: str, count: int) -> tuple[str, int]:
    """INSERT of `count` steps for the run in `moved`; and where the run's column is in a row."""
    connection = connections[DB]
    quote = connection.ops.quote_name
    run_index = next(i for i, f in enumerate(_STEP_FIELDS) if f.name == "run")
    others = [f for i, f in enumerate(_STEP_FIELDS) if i != run_index]
    # Typed: a VALUES list in a FROM clause does not take its types from the INSERT's columns.
    row_sql = "(" + ", ".join(f"%s::{f.cast_db_type(connection)}" for f in others) + ")"
    names = ", ".join(quote(f.column) for f in others)
    pk = _q(connection, FlowRun, "id")
    insert = (
        f"INSERT INTO {quote(RunStep._meta.db_table)} ({quote(_STEP_FIELDS[run_index].column)}, {names}) "
        f"SELECT moved.{pk}, s.* FROM moved CROSS JOIN (VALUES {', '.join([row_sql] * count)}) AS s({names})"
    )
    return insert, run_index


def _insert_steps(cursor, connection, rows: list[list[Any]]) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in _STEP_FIELDS)
    size = max(1, connection.ops.bulk_batch_size(_STEP_FIELDS, rows))
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        marks = ", ".join(["(" + ", ".join(["%s"] * len(_STEP_FIELDS)) + ")"] * len(batch))
        cursor.execute(
            f"INSERT INTO {quote(RunStep._meta.db_table)} ({names}) VALUES {marks}",
            [value for row in batch for value in row],
        )


def resume_waiting_on_ticket(ticket_id: int, *, port: str, vars_update: dict[str, Any]) -> list[int]:
    """Move the runs waiting on this ticket (transitions `resume`) to `port`, with
    `vars_update` merged into their variables (top-level keys replaced, as `{**vars,
    **vars_update}`); the ids of the runs moved. One statement however many runs wait."""
    connection = connections[DB]
    keys = tuple(vars_update)
    field = FlowRun._meta.get_field("vars")
    adapt = connection.ops.adapt_json_value
    if connection.vendor == "postgresql":
        merged = [adapt(vars_update, field.encoder)]
    else:
        merged = [value for key in keys for value in (f'$."{key}"', adapt(vars_update[key], field.encoder))]
    allowed = sorted(MACHINE.sources("resume"))
    params = [
        MACHINE.target("resume"),
        port,
        *merged,
        ticket_id,
        *allowed,
        FlowRun.Waiting.TICKET.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_resume_on_ticket(connection.vendor, keys, len(allowed)), params)
        return sorted(row[0] for row in cursor.fetchall())


@cache
def _resume_on_ticket(vendor: str, keys: tuple[str, ...], allowed: int) -> str:
    connection = connections[DB]
    q = lambda name: _q(connection, FlowRun, name)  # noqa: E731
    if vendor == "postgresql":
        merged = f"{q('vars')} || %s::jsonb"
    else:  # SQLite: json_patch would drop the keys whose new value is null
        merged = f"json_set({q('vars')}" + ", %s, json(%s)" * len(keys) + ")"
    return (
        f"UPDATE {connection.ops.quote_name(FlowRun._meta.db_table)} SET {q('status')} = %s, "
        f"{q('resume_port')} = %s, {q('waiting_for')} = '', {q('wait_until')} = NULL, "
        f"{q('vars')} = {merged} WHERE {q('ticket')} = %s "
        f"AND {q('status')} IN ({', '.join(['%s'] * allowed)}) AND {q('waiting_for')} = %s "
        f"RETURNING {q('id')}"
    )
