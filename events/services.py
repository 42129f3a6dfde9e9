"""The event hub: the catalogue per bot, activation, and emit() - the one way in."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from events.catalogue import SYSTEM_EVENTS
from events.models import Event, EventOccurrence
from flows import services as flow_services


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


def set_active(event: Event, active: bool) -> Event:
    Event.objects.filter(pk=event.pk).update(is_active=active)
    event.is_active = active
    return event


def set_active_many(events, active: bool) -> int:
    return Event.objects.filter(pk__in=[e.pk for e in events]).update(is_active=active)


def create_custom_event(bot, key: str, name: str, description: str = "") -> Event:
    try:
        with transaction.atomic():
            return Event.objects.create(
                bot=bot,
                key=key,
                name=name,
                description=description,
                category=Event.Category.CUSTOM,
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
    # joined Bot. No savepoint: an error here propagates and rolls the caller's work back
    # with it (a savepoint is two more round trips on every ticket close).
    event = next(iter(Event.objects.filter(bot=bot, key=key).order_by()[:1]), None)
    if event is None:
        return None
    with transaction.atomic(savepoint=False):
        if dedupe_key is not None:
            existing = next(
                iter(EventOccurrence.objects.filter(event=event, dedupe_key=dedupe_key).order_by()[:1]), None
            )
            if existing is not None:
                return existing
        status = EventOccurrence.Status.DISPATCHED if event.is_active else EventOccurrence.Status.SKIPPED
        occurrence = EventOccurrence.objects.create(
            event=event, bot=bot, key=key, payload=payload, status=status, dedupe_key=dedupe_key
        )
        if event.is_active:
            flow_services.start_event_flows(occurrence, depth=depth)
    return occurrence
