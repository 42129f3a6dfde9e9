"""The system events every bot has. They start inactive; an admin activates them.

Each has a `payload_example` (`EXAMPLES[key]`): a payload shaped like what the event carries;
the builder pre-fills its test runs with it and lists the `event.*` variables from it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# The keys belong to the apps that publish them (lower layers); the catalogue names them.
from flows.signals import RUN_FAILED
from inbox.events import (
    AGENT_INACTIVE,
    AGENT_STATUS_CHANGED,
    CONVERSATION_ENDED,
    CONVERSATION_STARTED,
    CSAT_SUBMITTED,
    NOTE_ADDED,
    TICKET_ASSIGNED,
    TICKET_CLOSED,
    TICKET_CREATED,
    TICKET_INACTIVE,
    TICKET_MISSED,
    TICKET_QUEUED,
    TICKET_TRANSFERRED,
)


class SystemEvent(NamedTuple):
    key: str
    name: str
    category: str
    description: str


SYSTEM_EVENTS: tuple[SystemEvent, ...] = (
    SystemEvent(TICKET_CREATED, "Ticket created", "inbox", "A chat was handed to the inbox."),
    SystemEvent(
        TICKET_ASSIGNED,
        "Ticket assigned",
        "inbox",
        "A ticket was given to an agent: by routing, a Take, an admin or a transfer to an agent.",
    ),
    SystemEvent(
        TICKET_QUEUED, "Ticket queued", "inbox", "Nobody could take a ticket; it waits in its group's queue."
    ),
    SystemEvent(
        TICKET_MISSED,
        "Ticket missed",
        "inbox",
        "A ticket could be neither assigned nor queued (queue full or off, or nobody online).",
    ),
    SystemEvent(
        TICKET_TRANSFERRED, "Ticket transferred", "inbox", "A ticket was handed to another agent or group."
    ),
    SystemEvent(NOTE_ADDED, "Note added", "inbox", "An agent left an internal note on a ticket."),
    SystemEvent(
        TICKET_INACTIVE,
        "Ticket inactive",
        "inbox",
        "A customer stopped answering an agent; they were reminded (the ticket closes if they stay silent).",
    ),
    SystemEvent(
        AGENT_INACTIVE, "Agent inactive", "inbox", "An assigned chat has waited too long for its agent."
    ),
    SystemEvent(
        AGENT_STATUS_CHANGED,
        "Agent status changed",
        "inbox",
        "An agent became available, busy, away or offline.",
    ),
    SystemEvent(
        TICKET_CLOSED,
        "Ticket closed",
        "inbox",
        "A ticket closed: resolved (after the CSAT rating when CSAT is on), its survey expired, or "
        "the customer went silent; ticket.close_reason says which.",
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


# What each event carries, for the hub's `payload_example` (docs/flows.md lists the shapes).
_BOT = {"id": 1, "name": "Acme support"}
_AGENT = {"id": 3, "username": "alice", "name": "Alice Agent", "email": "alice@example.com"}
_CUSTOMER = {"id": 5, "name": "Dana", "email": "dana@example.com", "external_id": "cus_1"}
_CONVERSATION = {"id": 9, "channel": "web"}


def _ticket(status: str, **changes) -> dict:
    return {
        "id": 7,
        "subject": "Charged twice",
        "category": "billing",
        "priority": "high",
        "group": "billing",
        "status": status,
        "queue_position": None,
        "close_reason": None,
        "tags": ["refund"],
        "created_at": "2026-01-05T10:00:00+00:00",
        "resolved_at": None,
        "closed_at": None,
        "resolution_note": "",
        "custom_fields": {},
        **changes,
    }


def _ticket_event(key: str, ticket: dict, *, agent=_AGENT, csat=None, **extra) -> dict:
    return {
        "event": key,
        "occurred_at": "2026-01-05T10:05:00+00:00",
        "bot": _BOT,
        "ticket": ticket,
        "agent": agent,
        "customer": _CUSTOMER,
        "conversation": _CONVERSATION,
        "csat": csat,
        **extra,
    }


_CLOSED = _ticket(
    "closed",
    close_reason="resolved",
    resolved_at="2026-01-05T10:20:00+00:00",
    closed_at="2026-01-05T10:21:00+00:00",
    resolution_note="Refunded",
)

PAYLOAD_EXAMPLES: dict[str, dict] = {
    TICKET_CREATED: _ticket_event(TICKET_CREATED, _ticket("assigned")),
    TICKET_ASSIGNED: _ticket_event(TICKET_ASSIGNED, _ticket("assigned")),
    TICKET_QUEUED: _ticket_event(TICKET_QUEUED, _ticket("queued", queue_position=2), agent=None),
    TICKET_MISSED: _ticket_event(TICKET_MISSED, _ticket("missed"), agent=None),
    TICKET_TRANSFERRED: _ticket_event(
        TICKET_TRANSFERRED,
        _ticket("assigned"),
        transfer={
            "from_agent": {"id": 4, "username": "bob", "name": "Bob Agent", "email": "bob@example.com"},
            "to_agent": _AGENT,
            "to_group": None,
            "from_group": "billing",
            "note": "Billing question, over to Alice",
            "by": {"id": 4, "username": "bob", "name": "Bob Agent", "email": "bob@example.com"},
        },
    ),
    NOTE_ADDED: _ticket_event(
        NOTE_ADDED,
        _ticket("assigned"),
        note={
            "id": 11,
            "author": _AGENT,
            "text": "Customer is a VIP",
            "created_at": "2026-01-05T10:06:00+00:00",
        },
    ),
    TICKET_INACTIVE: _ticket_event(
        TICKET_INACTIVE,
        _ticket("assigned"),
        inactivity={"waiting_since": "2026-01-05T10:05:00+00:00", "minutes": 10, "closes_after_minutes": 10},
    ),
    AGENT_INACTIVE: _ticket_event(
        AGENT_INACTIVE,
        _ticket("assigned"),
        inactivity={"waiting_since": "2026-01-05T10:05:00+00:00", "minutes": 5},
    ),
    AGENT_STATUS_CHANGED: {
        "event": AGENT_STATUS_CHANGED,
        "occurred_at": "2026-01-05T10:05:00+00:00",
        "bot": _BOT,
        "agent": {
            **_AGENT,
            "status": "away",
            "status_changed_at": "2026-01-05T10:05:00+00:00",
            "max_concurrent": 3,
        },
        "status": "away",
        "previous_status": "available",
    },
    CSAT_SUBMITTED: _ticket_event(
        CSAT_SUBMITTED, _CLOSED, csat={"rating": 4, "scale": 5, "comment": "Quick and kind"}
    ),
    TICKET_CLOSED: _ticket_event(
        TICKET_CLOSED, _CLOSED, csat={"rating": 4, "scale": 5, "comment": "Quick and kind"}
    ),
    CONVERSATION_STARTED: {
        "event": CONVERSATION_STARTED,
        "occurred_at": "2026-01-05T10:00:00+00:00",
        "bot": _BOT,
        "customer": _CUSTOMER,
        "conversation": _CONVERSATION,
    },
    RUN_FAILED: {
        "event": RUN_FAILED,
        "occurred_at": "2026-01-05T10:30:00+00:00",
        "bot": _BOT,
        "run": {"id": 42, "trigger": "event", "node": "call_crm"},
        "flow": {"id": 2, "name": "Billing to CRM"},
        "error": "Node 'call_crm' (api_call) failed: HTTP 503",
        "ticket": {"id": 7},
        "conversation": {"id": 9},
    },
    CONVERSATION_ENDED: {
        "event": CONVERSATION_ENDED,
        "occurred_at": "2026-01-05T10:21:00+00:00",
        "bot": _BOT,
        "customer": _CUSTOMER,
        "conversation": _CONVERSATION,
    },
}

EXAMPLES: dict[str, dict[str, Any]] = {e.key: PAYLOAD_EXAMPLES.get(e.key, {}) for e in SYSTEM_EVENTS}
