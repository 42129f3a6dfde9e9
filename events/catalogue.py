"""The system events every bot has. They start inactive; an admin activates them.

Each carries a `payload_example`: a payload shaped like what the event carries (the builder
pre-fills its test runs with it and lists the `event.*` variables from it).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class SystemEvent(NamedTuple):
    key: str
    name: str
    category: str
    description: str
    payload_example: dict[str, Any] = {}


TICKET_CREATED = "ticket-created"
TICKET_ASSIGNED = "ticket-assigned"
TICKET_CLOSED = "ticket-closed"
CSAT_SUBMITTED = "csat-submitted"
CONVERSATION_STARTED = "conversation-started"
CONVERSATION_ENDED = "conversation-ended"
RUN_FAILED = "run-failed"

_AT = "2026-01-15T10:30:00+00:00"
_BOT = {"id": 1, "name": "Support bot"}
_CUSTOMER = {"id": 5, "name": "Dana Customer", "email": "dana@example.com", "external_id": "crm-123"}
_CONVERSATION = {"id": 9, "channel": "web"}
_AGENT = {"id": 3, "username": "alice", "name": "Alice Agent", "email": "alice@example.com"}


def _ticket(status: str, **times: str | None) -> dict[str, Any]:
    return {
        "id": 7,
        "subject": "I was charged twice",
        "category": "billing",
        "priority": "high",
        "group": "billing",
        "status": status,
        "created_at": "2026-01-15T09:00:00+00:00",
        "resolved_at": times.get("resolved_at"),
        "closed_at": times.get("closed_at"),
        "resolution_note": "Refunded the second charge." if times.get("resolved_at") else "",
        "custom_fields": {},
    }


def _ticket_event(key: str, ticket: dict[str, Any], *, agent=_AGENT, csat=None) -> dict[str, Any]:
    return {
        "event": key,
        "occurred_at": _AT,
        "bot": _BOT,
        "ticket": ticket,
        "agent": agent,
        "customer": _CUSTOMER,
        "conversation": _CONVERSATION,
        "csat": csat,
    }


_CSAT = {"rating": 4, "scale": 5, "comment": "Quick and friendly."}
_CLOSED = _ticket("closed", resolved_at="2026-01-15T10:20:00+00:00", closed_at=_AT)

SYSTEM_EVENTS: tuple[SystemEvent, ...] = (
    SystemEvent(
        TICKET_CREATED,
        "Ticket created",
        "inbox",
        "A chat was handed to the inbox.",
        _ticket_event(TICKET_CREATED, _ticket("queued"), agent=None),
    ),
    SystemEvent(
        TICKET_ASSIGNED,
        "Ticket assigned",
        "inbox",
        "A ticket was given to an agent.",
        _ticket_event(TICKET_ASSIGNED, _ticket("assigned")),
    ),
    SystemEvent(
        TICKET_CLOSED,
        "Ticket closed",
        "inbox",
        "An agent resolved a ticket and it closed (after the CSAT rating when CSAT is on).",
        _ticket_event(TICKET_CLOSED, _CLOSED, csat=_CSAT),
    ),
    SystemEvent(
        CSAT_SUBMITTED,
        "CSAT submitted",
        "inbox",
        "A customer rated an agent.",
        _ticket_event(CSAT_SUBMITTED, _CLOSED, csat=_CSAT),
    ),
    SystemEvent(
        CONVERSATION_STARTED,
        "Conversation started",
        "bot",
        "A customer started a chat.",
        {"event": CONVERSATION_STARTED, "bot": _BOT, "customer": _CUSTOMER, "conversation": _CONVERSATION},
    ),
    SystemEvent(
        CONVERSATION_ENDED,
        "Conversation ended",
        "bot",
        "A chat ended.",
        {"event": CONVERSATION_ENDED, "bot": _BOT, "customer": _CUSTOMER, "conversation": _CONVERSATION},
    ),
    SystemEvent(
        RUN_FAILED,
        "Flow run failed",
        "bot",
        "A flow run ended with an error.",
        {
            "event": RUN_FAILED,
            "occurred_at": _AT,
            "bot": _BOT,
            "run": {"id": 42, "trigger": "event", "node": "call_crm"},
            "flow": {"id": 2, "name": "Billing to CRM"},
            "error": "Node 'call_crm' (api_call) failed: ...",
            "ticket": {"id": 7},
            "conversation": {"id": 9},
        },
    ),
)

EXAMPLES: dict[str, dict[str, Any]] = {e.key: e.payload_example for e in SYSTEM_EVENTS}
