"""The JSON shapes of inbox objects carried by events and flow contexts (see API.md)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def display_name(user) -> str:
    """How a person is named to others: their full name, else their username."""
    return user.get_full_name() or user.get_username()


def user_payload(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": display_name(user),
        "email": user.email,
    }


def ticket_payload(ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "group": ticket.group,
        "status": ticket.status,
        "queue_position": ticket.queue_position,
        "close_reason": ticket.close_reason,
        "tags": list(ticket.tags or []),
        "created_at": _iso(ticket.created_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "resolution_note": ticket.resolution_note,
        "custom_fields": ticket.custom_fields,
    }


def agent_payload(profile) -> dict[str, Any]:
    """An agent with its routing state (agent-status-changed)."""
    return {
        **user_payload(profile.user),
        "status": profile.status,
        "status_changed_at": _iso(profile.status_changed_at),
        "max_concurrent": profile.max_concurrent,
    }


def note_payload(note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "author": user_payload(note.author),
        "text": note.text,
        "created_at": _iso(note.created_at),
    }


def customer_payload(customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "external_id": customer.external_id,
    }


def conversation_payload(conversation) -> dict[str, Any]:
    return {"id": conversation.pk, "channel": conversation.channel}


def csat_payload(response) -> dict[str, Any] | None:
    if response is None:
        return None
    return {"rating": response.rating, "scale": response.scale, "comment": response.comment}


def ticket_event_payload(event_key: str, ticket, *, csat=None) -> dict[str, Any]:
    conversation = ticket.conversation
    return {
        "event": event_key,
        "occurred_at": timezone.now().isoformat(),
        "bot": {"id": ticket.bot_id, "name": ticket.bot.name},
        "ticket": ticket_payload(ticket),
        "agent": user_payload(ticket.resolved_by or ticket.assignee),
        "customer": customer_payload(conversation.customer),
        "conversation": conversation_payload(conversation),
        "csat": csat_payload(csat),
    }


def conversation_event_payload(event_key: str, conversation) -> dict[str, Any]:
    bot = conversation.bot
    return {
        "event": event_key,
        "occurred_at": timezone.now().isoformat(),
        "bot": {"id": bot.pk, "name": bot.name},
        "customer": customer_payload(conversation.customer),
        "conversation": conversation_payload(conversation),
    }
