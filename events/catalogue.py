"""The system events every bot has. They start inactive; an admin activates them."""

from __future__ import annotations

from typing import NamedTuple

# The keys belong to the apps that publish them (lower layers); the catalogue names them.
from flows.signals import RUN_FAILED
from inbox.events import (
    CONVERSATION_ENDED,
    CONVERSATION_STARTED,
    CSAT_SUBMITTED,
    TICKET_ASSIGNED,
    TICKET_CLOSED,
    TICKET_CREATED,
)


class SystemEvent(NamedTuple):
    key: str
    name: str
    category: str
    description: str


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
    SystemEvent(
        CONVERSATION_ENDED,
        "Conversation ended",
        "bot",
        "A chat ended: its ticket closed with no flow left to continue, or its conversation flow finished.",
    ),
    SystemEvent(RUN_FAILED, "Flow run failed", "bot", "A flow run ended with an error."),
)
