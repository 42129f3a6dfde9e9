"""Read-only lookups for the agent console and the customer's chat page.

The access rule for tickets is written once here (`ticket_for`), as is the JSON shape the
pages poll (`ticket_state`, `messages_after`). Nothing here changes a row: state changes go
through inbox.services.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from inbox.models import AgentProfile, Conversation, CSATResponse, Message, Ticket
from studio.access import is_studio_admin

# The queue's tabs: name -> (label, filter on the user's tickets).
QUEUE_TABS = {
    "open": "All open",
    "mine": "Mine",
    "unassigned": "Unassigned",
    "pending": "Pending CSAT",
    "closed": "Closed",
}
QUEUE_LIMIT = 200


def can_use_console(user) -> bool:
    """Agents (a profile) and studio admins work in the console."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_studio_admin(user) or AgentProfile.objects.filter(user=user).exists()


def tickets_for(user) -> QuerySet[Ticket]:
    """Every ticket of the bots the user answers for (all bots for studio admins)."""
    return Ticket.objects.visible_to(user).select_related("bot", "conversation__customer", "assignee")


def ticket_for(user, pk: int) -> Ticket:
    """The one guarded accessor: a ticket outside the user's bots does not exist (404)."""
    ticket = tickets_for(user).select_related("csat_response").filter(pk=pk).first()
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def queue(user, tab: str) -> QuerySet[Ticket]:
    qs = tickets_for(user)
    if tab == "mine":
        qs = qs.filter(assignee=user, status__in=Ticket.RESOLVABLE)
    elif tab == "unassigned":
        qs = qs.filter(assignee__isnull=True, status__in=Ticket.RESOLVABLE)
    elif tab == "pending":
        qs = qs.filter(status=Ticket.Status.PENDING_CSAT)
    elif tab == "closed":
        qs = qs.filter(status=Ticket.Status.CLOSED)
    else:
        qs = qs.filter(status__in=Ticket.RESOLVABLE)
    return qs.order_by("-created_at", "-id")[:QUEUE_LIMIT]


def csat_state(ticket: Ticket) -> dict[str, Any] | None:
    response = CSATResponse.objects.filter(ticket=ticket).first()
    if response is None:
        return None
    return {"rating": response.rating, "scale": response.scale, "comment": response.comment}


def ticket_state(ticket: Ticket, user) -> dict[str, Any]:
    """What the ticket page shows and refreshes: status, assignee, the actions on offer."""
    ticket = Ticket.objects.select_related("assignee").get(pk=ticket.pk)
    assignee = ticket.assignee
    return {
        "id": ticket.pk,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "assignee": (assignee.get_full_name() or assignee.get_username()) if assignee else None,
        "assigned_to_me": bool(assignee and assignee.pk == user.pk),
        "can_resolve": ticket.is_resolvable,
        "can_take": ticket.is_resolvable and not (assignee and assignee.pk == user.pk),
        "can_reply": ticket.status != Ticket.Status.CLOSED,
        "resolution_note": ticket.resolution_note,
        "csat": csat_state(ticket),
    }


def message_json(message: Message, *, for_customer: bool = False) -> dict[str, Any]:
    if message.sender == Message.Sender.AGENT and message.author is not None:
        who = message.author.get_full_name() or message.author.get_username()
        label = f"{who} (agent)" if not for_customer else who
    elif for_customer and message.sender == Message.Sender.CUSTOMER:
        label = "You"
    else:
        label = message.get_sender_display()
    return {
        "id": message.pk,
        "sender": message.sender,
        "label": label,
        "text": message.text,
        "created_at": timezone.localtime(message.created_at).isoformat(),
    }


def messages_after(conversation: Conversation, after: int = 0, *, for_customer: bool = False) -> list[dict]:
    messages = (
        conversation.messages.select_related("author").filter(pk__gt=after).order_by("created_at", "id")
    )
    return [message_json(m, for_customer=for_customer) for m in messages[:500]]


def conversation_by_token(token: str) -> Conversation:
    conversation = Conversation.objects.select_related("bot", "customer").filter(access_token=token).first()
    if conversation is None or not token:
        raise Http404("No such conversation.")
    return conversation


def latest_ticket(conversation: Conversation) -> Ticket | None:
    return conversation.tickets.order_by("-created_at", "-id").first()


def chat_state(conversation: Conversation) -> dict[str, Any]:
    """The customer's view: is a rating asked for, or already given, for the latest ticket."""
    ticket = latest_ticket(conversation)
    bot = conversation.bot
    state: dict[str, Any] = {"csat": None}
    if ticket is None:
        return state
    if ticket.status == Ticket.Status.PENDING_CSAT:
        state["csat"] = {"asked": True, "question": bot.csat_question, "scale": bot.csat_scale}
    elif (rated := csat_state(ticket)) is not None:
        state["csat"] = {"asked": False, "rated": rated}
    return state
