"""The data a run's templates read: event, ticket, customer, conversation, vars.

Linked rows win over the event payload (they are current); the payload fills in what a run
has no row for (a ticket of another bot, a deleted conversation).
"""

from __future__ import annotations

from typing import Any

from flows.models import FlowRun
from inbox.payloads import conversation_payload, customer_payload, ticket_payload


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def build(run: FlowRun) -> dict[str, Any]:
    event = _dict(run.context.get("event")) or {}
    conversation = run.conversation
    return {
        "event": event,
        "ticket": ticket_payload(run.ticket) if run.ticket else _dict(event.get("ticket")),
        "customer": customer_payload(conversation.customer) if conversation else _dict(event.get("customer")),
        "conversation": conversation_payload(conversation)
        if conversation
        else _dict(event.get("conversation")),
        "vars": dict(run.vars or {}),
    }
