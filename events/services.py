"""The event hub: the catalogue per bot, activation, and emit() - the one way in."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from events.catalogue import EXAMPLES, SYSTEM_EVENTS
from events.models import Event, EventOccurrence
from flows import services as flow_services
from studio.models import Bot


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
    # (bot, key) is unique: order_by() keeps the lookup from sorting by Meta.ordering, which
    # joined Bot.
    event = next(iter(Event.objects.filter(bot=bot, key=key).order_by()[:1]), None)
    if event is None:
        return None
    return emit_event(event, payload, dedupe_key=dedupe_key, depth=depth)


def emit_event(event: Event, payload: dict[str, Any], *, dedupe_key: str | None = None, depth: int = 0):
    """emit() for an Event row the caller holds already (the API's emit endpoint found it)."""
    # No savepoint: an error here propagates and rolls the caller's work back with it (a
    # savepoint is two more round trips on every ticket close).
    with transaction.atomic(savepoint=False):
        if dedupe_key is not None:
            existing = next(
                iter(EventOccurrence.objects.filter(event=event, dedupe_key=dedupe_key).order_by()[:1]), None
            )
            if existing is not None:
                return existing
        status = EventOccurrence.Status.DISPATCHED if event.is_active else EventOccurrence.Status.SKIPPED
        occurrence = EventOccurrence.objects.create(
            event=event,
            bot_id=event.bot_id,
            key=event.key,
            payload=payload,
            status=status,
            dedupe_key=dedupe_key,
        )
        # The ids of the runs it started, for the caller's answer (the API's emit).
        occurrence.run_ids = (
            flow_services.start_event_flows(occurrence, depth=depth) if event.is_active else []
        )
    return occurrence


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
