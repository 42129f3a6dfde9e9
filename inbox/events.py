"""What the inbox tells the rest of the studio: the keys of its events and the one way to send them.

The event hub (a higher layer) lists these keys in every bot's catalogue and receives them
through `inbox.signals.inbox_event`; flows receive the same signal to resume or start runs.
"""

from __future__ import annotations

from typing import Any

from inbox import signals

TICKET_CREATED = "ticket-created"
TICKET_ASSIGNED = "ticket-assigned"
TICKET_QUEUED = "ticket-queued"
TICKET_MISSED = "ticket-missed"
TICKET_TRANSFERRED = "ticket-transferred"
NOTE_ADDED = "note-added"
TICKET_INACTIVE = "ticket-inactive"
AGENT_INACTIVE = "agent-inactive"
AGENT_STATUS_CHANGED = "agent-status-changed"
TICKET_CLOSED = "ticket-closed"
CSAT_SUBMITTED = "csat-submitted"
CONVERSATION_STARTED = "conversation-started"
CONVERSATION_ENDED = "conversation-ended"


def publish(
    bot,
    key: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    ticket=None,
    conversation=None,
    csat=None,
) -> None:
    """Hand one inbox event to its receivers (the event hub, flows)."""
    signals.inbox_event.send(
        sender=type(ticket or conversation or bot),
        bot=bot,
        key=key,
        payload=payload,
        dedupe_key=dedupe_key,
        ticket=ticket,
        conversation=conversation,
        csat=csat,
    )
