"""The system events every bot has. They start inactive; an admin activates them."""

from __future__ import annotations

from typing import NamedTuple


class SystemEvent(NamedTuple):
    key: str
    name: str
    category: str
    description: str


TICKET_CREATED = "ticket-created"
TICKET_ASSIGNED = "ticket-assigned"
TICKET_CLOSED = "ticket-closed"
CSAT_SUBMITTED = "csat-submitted"
CONVERSATION_STARTED = "conversation-started"
CONVERSATION_ENDED = "conversation-ended"
RUN_FAILED = "run-failed"

SYSTEM_EVENTS: tuple[SystemEvent, ...] = (
    SystemEvent(TICKET_CREATED, "Ticket created", "inbox", "A chat was handed to the inbox."),
    SystemEvent(TICKET_ASSIGNED, "Ticket assigned", "inbox", "A ticket was given to an agent."),
    SystemEvent(
        TICKET_CLOSED,
        "Ticket closed",
        "inbox",
        "An agent resolved a ticket and it closed (after the CSAT rating when CSAT is on).",
    ),
    SystemEvent(CSAT_SUBMITTED, "CSAT submitted", "inbox", "A customer rated an agent."),
    SystemEvent(CONVERSATION_STARTED, "Conversation started", "bot", "A customer started a chat."),
    SystemEvent(CONVERSATION_ENDED, "Conversation ended", "bot", "A chat ended."),
    SystemEvent(RUN_FAILED, "Flow run failed", "bot", "A flow run ended with an error."),
)
