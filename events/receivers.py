"""Hands inbox signals to the event hub. No rules here: emit() holds them."""

from __future__ import annotations

from django.dispatch import receiver

from events import services
from events.catalogue import TICKET_CLOSED
from inbox.payloads import ticket_event_payload
from inbox.signals import ticket_closed


@receiver(ticket_closed, dispatch_uid="events.ticket_closed")
def emit_ticket_closed(sender, ticket, csat=None, **kwargs) -> None:
    services.emit(
        ticket.bot,
        TICKET_CLOSED,
        ticket_event_payload(TICKET_CLOSED, ticket, csat=csat),
        dedupe_key=f"ticket:{ticket.pk}",
    )
