"""Read-only lookups for the agent console and the customer's chat page.

The access rule for tickets is written once here (`ticket_for`), as is the JSON shape the
pages poll (`ticket_state`, `messages_after`). Nothing here changes a row: state changes go
through inbox.services.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from inbox.models import (
    AgentProfile,
    Conversation,
    CSATResponse,
    Customer,
    InternalNote,
    Message,
    Ticket,
)
from inbox.payloads import display_name
from inbox.services.routing import settings_for
from studio.access import is_studio_admin, visible_sql
from studio.models import Bot
from studio.rawsql import Columns, build_parts, per_vendor

# The queue's tabs: name -> (label, filter on the user's tickets).
QUEUE_TABS = {
    "mine": "Mine",
    "queued": "Queued",
    "unassigned": "Unassigned",
    "missed": "Missed",
    "closed": "Closed",
    "open": "All open",
    "pending": "Pending CSAT",
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


_PARTIES = (Columns(Ticket, "t"), Columns(Bot, "b"), Columns(Conversation, "c"), Columns(Customer, "cu"))
_MAX_ID = 2**63 - 1  # a bigint; past it no row matches (and SQLite would refuse the value)


def ticket_with_parties(user, pk: int, *, admin: bool | None = None) -> Ticket | None:
    """The ticket `pk` if `user` may see it (visible_to; `admin` as there), with its bot,
    conversation and customer: what resolving it reads and what its events name. One
    statement written once per process: the ORM compiled this select_related query on
    every resolve, ~1 ms of Python (docs/performance.md)."""
    if not 0 < pk <= _MAX_ID:
        return None
    connection = connections[router.db_for_read(Ticket)]
    quote = connection.ops.quote_name
    visible, params = visible_sql(
        user, f"t.{quote(Ticket._meta.get_field('bot').column)}", connection, admin=admin
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{_ticket_with_parties(connection)} AND {visible}", [pk, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    ticket, bot, conversation, customer = build_parts(connection, _PARTIES, row)
    # As select_related would: the related rows are cached (no query when read).
    Ticket._meta.get_field("bot").set_cached_value(ticket, bot)
    Ticket._meta.get_field("conversation").set_cached_value(ticket, conversation)
    Conversation._meta.get_field("customer").set_cached_value(conversation, customer)
    return ticket


@per_vendor
def _ticket_with_parties(connection) -> str:
    quote = connection.ops.quote_name

    def join(part: Columns, on: str) -> str:
        meta = part.model._meta
        return f" JOIN {quote(meta.db_table)} {part.alias} ON {part.alias}.{quote(meta.pk.column)} = {on}"

    column = lambda model, name: quote(model._meta.get_field(name).column)  # noqa: E731
    tickets, bots, conversations, customers = _PARTIES
    return (
        f"SELECT {', '.join(part.select(connection) for part in _PARTIES)} "
        f"FROM {quote(Ticket._meta.db_table)} t"
        + join(bots, f"t.{column(Ticket, 'bot')}")
        + join(conversations, f"t.{column(Ticket, 'conversation')}")
        + join(customers, f"c.{column(Conversation, 'customer')}")
        + f" WHERE t.{quote(Ticket._meta.pk.column)} = %s"
    )


def queue(user, tab: str, tag: str = "") -> QuerySet[Ticket]:
    qs = tickets_for(user).with_queue_position()
    if tag:
        qs = qs.filter(tag_rows__name=tag.strip().lower()).distinct()
    if tab == "queued":
        return qs.filter(status=Ticket.Status.QUEUED).order_by("queued_at", "id")[:QUEUE_LIMIT]
    if tab == "missed":
        qs = qs.filter(status=Ticket.Status.MISSED)
    elif tab == "mine":
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
        "assignee": display_name(assignee) if assignee else None,
        "assigned_to_me": bool(assignee and assignee.pk == user.pk),
        "queue_position": ticket.queue_position,
        "tags": list(ticket.tags or []),
        "group": ticket.group,
        "close_reason": ticket.get_close_reason_display() if ticket.close_reason else "",
        "can_transfer": ticket.is_resolvable,
        "notes": notes_json(ticket),
        "can_resolve": ticket.is_resolvable,
        "can_take": ticket.is_resolvable and not (assignee and assignee.pk == user.pk),
        "can_reply": ticket.status != Ticket.Status.CLOSED,
        "resolution_note": ticket.resolution_note,
        "csat": csat_state(ticket),
    }


def notes_json(ticket: Ticket) -> list[dict[str, Any]]:
    """Internal notes: for the console only; the customer's pages never call this."""
    notes = InternalNote.objects.filter(ticket=ticket).select_related("author").order_by("created_at", "id")
    return [
        {
            "id": n.pk,
            "author": display_name(n.author) if n.author else "Someone",
            "text": n.text,
            "created_at": timezone.localtime(n.created_at).isoformat(),
        }
        for n in notes[:200]
    ]


def transfer_targets(ticket: Ticket, user) -> dict[str, list]:
    """The agents and groups a ticket may be transferred to."""
    profiles = AgentProfile.objects.filter(bots=ticket.bot_id, user__is_active=True).select_related("user")
    agents = [
        {"id": p.user_id, "name": display_name(p.user), "status": p.status}
        for p in profiles.order_by("user__username")
        if p.user_id != ticket.assignee_id
    ]
    groups = sorted({g for p in profiles for g in (p.skill_groups or [])})
    return {"agents": agents, "groups": groups}


def supervisor_rows(user) -> list[dict[str, Any]]:
    """Every agent of the viewer's bots with status, load and time in status."""
    profiles = (
        AgentProfile.objects.select_related("user")
        .prefetch_related("bots")
        .annotate(load=Count("user__assigned_tickets", filter=Q(user__assigned_tickets__status="assigned")))
        .order_by("user__username")
    )
    if not is_studio_admin(user):
        profiles = profiles.filter(bots__in=Bot.objects.visible_to(user)).distinct()
    now = timezone.now()
    rows = []
    for p in profiles:
        bots = list(p.bots.all())
        default = settings_for(bots[0]).default_max_concurrent if bots else 1
        rows.append(
            {
                "id": p.user_id,
                "name": display_name(p.user),
                "status": p.status,
                "status_label": p.get_status_display(),
                "active_tickets": p.load,
                "max_concurrent": p.max_concurrent or default,
                "seconds_in_status": int((now - p.status_changed_at).total_seconds()),
                "groups": list(p.skill_groups or []),
                "bots": [b.name for b in bots],
            }
        )
    return rows


def message_json(message: Message, *, for_customer: bool = False) -> dict[str, Any]:
    if message.sender == Message.Sender.AGENT and message.author is not None:
        who = display_name(message.author)
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
    state: dict[str, Any] = {"csat": None, "queue_position": None}
    if ticket is None:
        return state
    state["queue_position"] = ticket.queue_position
    if ticket.status == Ticket.Status.PENDING_CSAT:
        state["csat"] = {"asked": True, "question": bot.csat_question, "scale": bot.csat_scale}
    elif (rated := csat_state(ticket)) is not None:
        state["csat"] = {"asked": False, "rated": rated}
    return state
