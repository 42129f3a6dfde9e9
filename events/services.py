"""The event hub: the catalogue per bot, activation, and emit() - the one way in."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from events.catalogue import EXAMPLES, SYSTEM_EVENTS
from events.models import Event, EventOccurrence
from flows import services as flow_services
from studio.models import Bot
from studio.rawsql import Insert, per_vendor


class EventError(Exception):
    """A refused event operation; the message is shown to the user."""


def install_catalogue(bot) -> None:
    """Create the bot's system events (inactive); existing ones are left as they are."""
    Event.objects.bulk_create(
        [
            Event(bot=bot, key=e.key, name=e.name, category=e.category, description=e.description)
            for e in SYSTEM_EVENTS
        ],
        ignore_conflicts=True,
    )


def install_catalogues() -> int:
    """Give every bot the system events it lacks (inactive); run after each migrate, so an
    event added to the catalogue reaches bots created before it. Returns the rows created."""
    before = Event.objects.count()
    for bot in Bot.objects.order_by("pk").iterator():
        install_catalogue(bot)
    return Event.objects.count() - before


def set_active(event: Event, active: bool) -> Event:
    Event.objects.filter(pk=event.pk).update(is_active=active)
    event.is_active = active
    return event


def set_active_many(events, active: bool) -> int:
    return Event.objects.filter(pk__in=[e.pk for e in events]).update(is_active=active)


def create_custom_event(
    bot, key: str, name: str, description: str = "", payload_example: dict[str, Any] | None = None
) -> Event:
    try:
        with transaction.atomic():
            return Event.objects.create(
                bot=bot,
                key=key,
                name=name,
                description=description,
                category=Event.Category.CUSTOM,
                payload_example=payload_example or {},
            )
    except IntegrityError as exc:
        raise EventError(f"The bot already has an event with key {key!r}.") from exc


def emit(bot, key: str, payload: dict[str, Any], *, dedupe_key: str | None = None, depth: int = 0):
    """Record one emission of `key` and, when the event is active, start its flows.

    Runs inside the caller's transaction: the occurrence and the runs it starts are written
    with the change that caused them, and the queue is only woken once that commits.
    Returns the occurrence, or None when the bot has no such event. With a `dedupe_key`,
    a second emission for the same cause returns the first occurrence and starts nothing.
    `depth` counts Send event hops; the runs it starts carry it so the chain is bounded.
    """
    return _emit(_BY_KEY, {"bot": bot.pk, "key": key}, payload, dedupe_key, depth)


def emit_event_id(event_id: int, payload: dict[str, Any]):
    """emit() of the event with this id (the API's emit endpoint); None when there is none."""
    return _emit(_BY_ID, {"event": event_id}, payload, None, 0)


_BY_ID = "id = %(event)s"
_BY_KEY = "bot_id = %(bot)s AND key = %(key)s"


def _emit(where: str, lookup: dict[str, Any], payload, dedupe_key: str | None, depth: int):
    # No savepoint anywhere: an error propagates and rolls the caller's work back with it.
    statements = _statements(connection)
    occurred_at = timezone.now()
    params = {
        **lookup,
        "payload": statements.insert.value("payload", payload, connection),
        "dispatched": EventOccurrence.Status.DISPATCHED.value,
        "skipped": EventOccurrence.Status.SKIPPED.value,
        "dedupe_key": dedupe_key,
        "occurred_at": statements.insert.value("occurred_at", occurred_at, connection),
        **statements.insert.defaults(connection),
    }
    if statements.one_statement:
        # The event, its occurrence and the runs in one statement (data-modifying CTEs): alone
        # it needs no transaction; the runs' wake-up goes out when it commits.
        params.update(flow_services.event_runs_params(connection, payload, depth))
        with connection.cursor() as cursor:
            cursor.execute(statements.emit[where], params)
            row = cursor.fetchone()
            if row is None:
                return None
            event_id, bot_id, key, is_active, occurrence_id, run_ids = row
            if occurrence_id is not None:
                flow_services.hand_off_event_runs(occurrence_id, run_ids)
    else:
        with connection.cursor() as cursor:
            cursor.execute(statements.event[where], lookup)
            row = cursor.fetchone()
        if row is None:
            return None
        event_id, bot_id, key, is_active = row
        occurrence_id = None
        params.update(
            event=event_id, bot=bot_id, key=key, status=params["dispatched" if is_active else "skipped"]
        )
        # No DML in CTEs (SQLite): the occurrence, then its runs, in one transaction.
        with transaction.atomic(savepoint=False):
            if dedupe_key is None or not _occurrence_exists(event_id, dedupe_key):
                occurrence_id = _insert_returning_id(statements.insert_values, params)
                run_ids = (
                    flow_services.start_event_flows(occurrence_id, bot_id, key, payload, depth)
                    if is_active
                    else []
                )
    if occurrence_id is None:  # a second emission for the same cause: the first occurrence
        return EventOccurrence.objects.filter(event_id=event_id, dedupe_key=dedupe_key).order_by().first()
    occurrence = EventOccurrence(
        pk=occurrence_id,
        event_id=event_id,
        bot_id=bot_id,
        key=key,
        payload=payload,
        status=EventOccurrence.Status.DISPATCHED if is_active else EventOccurrence.Status.SKIPPED,
        dedupe_key=dedupe_key,
        occurred_at=occurred_at,
    )
    occurrence.run_ids = run_ids  # the ids of the runs it started, for the caller's answer
    return occurrence


def _occurrence_exists(event_id: int, dedupe_key: str) -> bool:
    return EventOccurrence.objects.filter(event_id=event_id, dedupe_key=dedupe_key).exists()


class _Statements:
    """emit's statements for one database vendor, built once per process."""

    def __init__(self, connection) -> None:
        quote = connection.ops.quote_name
        self.insert = Insert(
            EventOccurrence,
            ["event_id", "bot_id", "key", "payload", "status", "dedupe_key", "occurred_at"],
            connection,
            prefix="occurrence_",
        )
        event_table = quote(Event._meta.db_table)
        self.event = {
            where: f"SELECT id, bot_id, key, is_active FROM {event_table} WHERE {where}"
            for where in (_BY_ID, _BY_KEY)
        }
        self.insert_values = (
            f"INSERT INTO {self.insert.table} ({self.insert.columns}) VALUES (%(event)s, %(bot)s, %(key)s, "
            f"%(payload)s, %(status)s, %(dedupe_key)s, %(occurred_at)s{self.insert.default_sql})"
        )
        # Only PostgreSQL writes in CTEs (and ON CONFLICT with a partial index's predicate).
        self.one_statement = connection.vendor == "postgresql"
        if not self.one_statement:
            return
        runs = flow_services.event_runs_sql(
            connection,
            "(SELECT id AS occurrence_id, bot_id, key AS event_key FROM occurrence WHERE status = %(dispatched)s)",
        )
        self.emit = {
            where: (
                f"WITH event AS ({self.event[where]}), "
                f"occurrence AS (INSERT INTO {self.insert.table} ({self.insert.columns}) "
                "SELECT id, bot_id, key, %(payload)s, "
                "CASE WHEN is_active THEN %(dispatched)s ELSE %(skipped)s END, "
                f"%(dedupe_key)s, %(occurred_at)s{self.insert.default_sql} FROM event "
                # A second emission for the same cause writes nothing (and waits for a first
                # one still in flight to commit or roll back).
                "ON CONFLICT (event_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING "
                "RETURNING id, bot_id, key, status), "
                f"runs AS ({runs}) "
                "SELECT id, bot_id, key, is_active, (SELECT id FROM occurrence), "
                "ARRAY(SELECT id FROM runs ORDER BY id) FROM event"
            )
            for where in (_BY_ID, _BY_KEY)
        }


_statements = per_vendor(_Statements)


def _insert_returning_id(insert: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"{insert} RETURNING id", params)
        return cursor.fetchone()[0]


def payload_example(event: Event) -> dict[str, Any]:
    """What the event carries, documented: the catalogue's example for system events."""
    if event.category != Event.Category.CUSTOM and event.key in EXAMPLES:
        return EXAMPLES[event.key]
    return event.payload_example or {}


def sample_payload(bot, key: str) -> dict[str, Any]:
    """A payload to try a flow with: the event's latest occurrence, else its example.

    Returns {"event", "source" (occurrence | example | none), "occurrence", "payload"}.
    """
    latest = (
        EventOccurrence.objects.filter(bot=bot, key=key)
        .order_by("-occurred_at", "-id")
        .values("pk", "payload")[:1]
    )
    for row in latest:
        return {"event": key, "source": "occurrence", "occurrence": row["pk"], "payload": row["payload"]}
    event = Event.objects.filter(bot=bot, key=key).order_by().first()
    example = payload_example(event) if event is not None else EXAMPLES.get(key, {})
    return {"event": key, "source": "example" if example else "none", "occurrence": None, "payload": example}
