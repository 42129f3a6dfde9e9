"""Silence on either side of an assigned chat, swept once a minute by a django-q2 schedule
(`inbox-inactivity`, installed by migrate; see home/setup.py) - never a sleeping worker.

- The customer: after `customer_reminder_minutes` without answering an agent, a reminder
  (ticket-inactive); after `customer_close_minutes` more, the ticket closes with
  close_reason `inactivity` and no CSAT survey (ticket-closed).
- The agent: an assigned chat waiting `agent_reply_minutes` for them raises agent-inactive,
  once per wait.

Each step is a conditional UPDATE, so two sweeps running at once act once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from inbox import events
from inbox.models import InboxSettings, Ticket
from inbox.services import routing
from inbox.services.conversations import post_system_message
from inbox.services.notify import emit, reload
from inbox.services.tickets import close_ticket

BATCH = 500


def _settings(cache: dict[int, InboxSettings], ticket: Ticket) -> InboxSettings:
    if ticket.bot_id not in cache:
        cache[ticket.bot_id] = routing.settings_for(ticket.bot)
    return cache[ticket.bot_id]


@transaction.atomic
def _remind(ticket: Ticket, settings: InboxSettings, now: datetime) -> bool:
    if not Ticket.objects.filter(
        pk=ticket.pk,
        status=Ticket.Status.ASSIGNED,
        awaiting_customer_since=ticket.awaiting_customer_since,
        customer_reminded_at__isnull=True,
    ).update(customer_reminded_at=now):
        return False
    post_system_message(ticket.conversation, settings.reminder_message)
    emit(
        reload(ticket),
        events.TICKET_INACTIVE,
        extra={
            "inactivity": {
                "waiting_since": ticket.awaiting_customer_since.isoformat(),
                "minutes": settings.customer_reminder_minutes,
                "closes_after_minutes": settings.customer_close_minutes or None,
            }
        },
    )
    return True


@transaction.atomic
def _alert_agent(ticket: Ticket, settings: InboxSettings, now: datetime) -> bool:
    if not Ticket.objects.filter(
        pk=ticket.pk,
        status=Ticket.Status.ASSIGNED,
        awaiting_agent_since=ticket.awaiting_agent_since,
        agent_alerted_at__isnull=True,
    ).update(agent_alerted_at=now):
        return False
    emit(
        reload(ticket),
        events.AGENT_INACTIVE,
        extra={
            "inactivity": {
                "waiting_since": ticket.awaiting_agent_since.isoformat(),
                "minutes": settings.agent_reply_minutes,
            }
        },
    )
    return True


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Remind silent customers, close the chats they abandoned, flag silent agents."""
    now = now or timezone.now()
    cache: dict[int, InboxSettings] = {}
    counts = {"reminded": 0, "closed": 0, "agents_alerted": 0}
    assigned = Ticket.objects.filter(status=Ticket.Status.ASSIGNED).select_related(
        "bot", "conversation__customer", "assignee"
    )
    for ticket in assigned.filter(awaiting_customer_since__isnull=False).order_by("pk")[:BATCH]:
        settings = _settings(cache, ticket)
        if ticket.customer_reminded_at is None:
            due = settings.customer_reminder_minutes and ticket.awaiting_customer_since <= now - timedelta(
                minutes=settings.customer_reminder_minutes
            )
            if due and _remind(ticket, settings, now):
                counts["reminded"] += 1
        elif settings.customer_close_minutes and ticket.customer_reminded_at <= now - timedelta(
            minutes=settings.customer_close_minutes
        ):
            if close_ticket(ticket, trigger="close_inactive"):
                post_system_message(ticket.conversation, "This chat was closed because we did not hear back.")
                counts["closed"] += 1
    for ticket in assigned.filter(awaiting_agent_since__isnull=False, agent_alerted_at__isnull=True).order_by(
        "pk"
    )[:BATCH]:
        settings = _settings(cache, ticket)
        minutes = settings.agent_reply_minutes
        if minutes and ticket.awaiting_agent_since <= now - timedelta(minutes=minutes):
            if _alert_agent(ticket, settings, now):
                counts["agents_alerted"] += 1
    return counts
