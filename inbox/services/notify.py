"""Reloading a ticket and publishing its events: shared by the ticket, routing and
inactivity services."""

from __future__ import annotations

from typing import Any

from inbox import events
from inbox.models import Ticket
from inbox.payloads import ticket_event_payload


def reload(ticket: Ticket | int) -> Ticket:
    """The ticket as it is now, with what its events' payloads name."""
    pk = ticket if isinstance(ticket, int) else ticket.pk
    ticket = Ticket.objects.select_related("bot", "conversation__customer", "assignee", "resolved_by").get(
        pk=pk
    )
    share_bot(ticket, ticket.bot)
    return ticket


def share_bot(ticket: Ticket, bot) -> None:
    """The ticket's bot is its conversation's too (the same row, read once): conversation-ended
    (a close with no flow waiting) names conversation.bot, which would otherwise be a query."""
    ticket.bot = bot
    if ticket.conversation.bot_id == bot.pk:
        ticket.conversation.bot = bot


def emit(
    ticket: Ticket, key: str, *, csat=None, dedupe: str | None = None, extra: dict[str, Any] | None = None
) -> None:
    payload = ticket_event_payload(key, ticket, csat=csat)
    payload.update(extra or {})
    events.publish(
        ticket.bot,
        key,
        payload,
        dedupe_key=dedupe,
        ticket=ticket,
        conversation=ticket.conversation,
        csat=csat,
    )
