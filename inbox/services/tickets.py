"""Tickets: raise, assign, reply, resolve, rate, close.

Every state change is a conditional UPDATE whose row count decides who won, so a double
click, two agents or a retried request change a ticket once, on SQLite (where
select_for_update does nothing) as on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from inbox import events
from inbox.models import Conversation, CSATResponse, Ticket
from inbox.payloads import ticket_event_payload
from inbox.services.agents import is_agent_of
from inbox.services.conversations import post_agent_message, post_system_message
from studio.errors import Conflict, InvalidInput, NotAllowed

EXPIRE_CSAT_TASK = "inbox.tasks.expire_csat_survey"


def _reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_related("bot", "conversation__customer", "assignee", "resolved_by").get(
        pk=ticket.pk
    )


def _emit(ticket: Ticket, key: str, *, csat=None, dedupe: bool = False) -> None:
    events.publish(
        ticket.bot,
        key,
        ticket_event_payload(key, ticket, csat=csat),
        dedupe_key=f"ticket:{ticket.pk}" if dedupe else None,
        ticket=ticket,
        conversation=ticket.conversation,
        csat=csat,
    )


@transaction.atomic
def raise_ticket(
    conversation: Conversation,
    *,
    subject: str,
    category: str = "",
    priority: str = Ticket.Priority.NORMAL,
    group: str = "",
    custom_fields: dict[str, Any] | None = None,
) -> Ticket:
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput("A ticket needs a subject.", field="subject")
    if priority not in Ticket.Priority.values:
        raise InvalidInput(f"Priority must be one of {', '.join(Ticket.Priority.values)}.", field="priority")
    ticket = Ticket.objects.create(
        bot=conversation.bot,
        conversation=conversation,
        subject=subject[:200],
        category=(category or "")[:60],
        priority=priority,
        group=(group or "")[:60],
        custom_fields=custom_fields or {},
    )
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.AGENT)
    post_system_message(conversation, "You are being connected to an agent.")
    _emit(_reload(ticket), events.TICKET_CREATED)
    return ticket


@transaction.atomic
def assign_ticket(ticket: Ticket, agent, *, by=None) -> Ticket:
    if not is_agent_of(agent, ticket.bot):
        raise InvalidInput("That user is not an agent of this ticket's bot.", field="agent")
    now = timezone.now()
    changed = Ticket.objects.filter(pk=ticket.pk, status__in=Ticket.RESOLVABLE).update(
        assignee=agent, status=Ticket.Status.ASSIGNED, assigned_at=now
    )
    if not changed:
        raise Conflict(f"Ticket {ticket.pk} is {ticket_status(ticket)} and cannot be assigned.")
    ticket = _reload(ticket)
    _emit(ticket, events.TICKET_ASSIGNED)
    return ticket


def ticket_status(ticket: Ticket) -> str:
    return Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first() or "gone"


@transaction.atomic
def reply_to_ticket(ticket: Ticket, agent, text: Any):
    if ticket_status(ticket) == Ticket.Status.CLOSED:
        raise Conflict(f"Ticket {ticket.pk} is closed.")
    if not is_agent_of(agent, ticket.bot):
        raise NotAllowed("You are not an agent of this ticket's bot.")
    message = post_agent_message(ticket.conversation, agent, text)
    # Answering an unassigned ticket takes it, as agents expect.
    Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.OPEN).update(
        assignee=agent, status=Ticket.Status.ASSIGNED, assigned_at=timezone.now()
    )
    return message


@transaction.atomic
def resolve_ticket(ticket: Ticket, agent, *, note: str = "") -> Ticket:
    """Resolve: close at once, or ask for a CSAT rating first when the bot has CSAT on."""
    bot = ticket.bot
    now = timezone.now()
    fields = {"resolved_at": now, "resolved_by": agent, "resolution_note": (note or "")[:5000]}
    if bot.csat_enabled:
        expires = now + timedelta(minutes=bot.csat_expires_after_minutes)
        fields.update(status=Ticket.Status.PENDING_CSAT, csat_expires_at=expires)
    else:
        fields.update(status=Ticket.Status.CLOSED, closed_at=now)
    # An unassigned ticket is assigned to whoever resolves it, in the same UPDATE.
    fields["assignee"] = Coalesce(F("assignee"), Value(agent.pk))
    changed = Ticket.objects.filter(pk=ticket.pk, status__in=Ticket.RESOLVABLE).update(**fields)
    if not changed:
        raise Conflict(f"Ticket {ticket.pk} is {ticket_status(ticket)}; it cannot be resolved again.")
    ticket = _reload(ticket)
    if bot.csat_enabled:
        _ask_for_rating(ticket)
    else:
        # Straight from open/assigned: no CSAT survey was ever scheduled for this ticket.
        _after_close(ticket, csat=None, survey_scheduled=False)
    return ticket


def _ask_for_rating(ticket: Ticket) -> None:
    from django_q.models import Schedule

    bot = ticket.bot
    post_system_message(ticket.conversation, f"{bot.csat_question} (1-{bot.csat_scale})")
    Schedule.objects.create(
        name=f"csat-expiry-ticket-{ticket.pk}",
        func=EXPIRE_CSAT_TASK,
        args=str(ticket.pk),
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=ticket.csat_expires_at,
    )


@transaction.atomic
def submit_csat(ticket: Ticket, rating: Any, *, comment: str = "") -> CSATResponse:
    ticket = _reload(ticket)
    scale = ticket.bot.csat_scale
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= scale:
        raise InvalidInput(f"The rating must be a whole number from 1 to {scale}.", field="rating")
    if CSATResponse.objects.filter(ticket=ticket).exists():
        raise Conflict(f"Ticket {ticket.pk} has already been rated.")
    if ticket.status != Ticket.Status.PENDING_CSAT:  # just reloaded, in this transaction
        raise Conflict(f"Ticket {ticket.pk} is not waiting for a rating.")
    try:
        with transaction.atomic():
            response = CSATResponse.objects.create(
                ticket=ticket,
                agent_id=ticket.resolved_by_id or ticket.assignee_id,
                rating=rating,
                scale=scale,
                comment=(comment or "")[:2000],
            )
    except IntegrityError as exc:
        raise Conflict(f"Ticket {ticket.pk} has already been rated.") from exc
    if not close_ticket(ticket, expected=Ticket.Status.PENDING_CSAT, csat=response):
        raise Conflict(f"Ticket {ticket.pk} is no longer waiting for a rating.")
    _emit(_reload(ticket), events.CSAT_SUBMITTED, csat=response)
    return response


@transaction.atomic
def expire_csat(ticket_id: int) -> bool:
    """Close a ticket whose survey went unanswered; csat is null in its payload."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.csat_expires_at is None or ticket.csat_expires_at > timezone.now():
        return False
    return close_ticket(ticket, expected=Ticket.Status.PENDING_CSAT, csat=None)


@transaction.atomic
def close_ticket(ticket: Ticket, *, expected: str, csat=None) -> bool:
    """Move a ticket from `expected` to closed; False when another request got there first."""
    changed = Ticket.objects.filter(pk=ticket.pk, status=expected).update(
        status=Ticket.Status.CLOSED, closed_at=timezone.now()
    )
    if changed:
        _after_close(_reload(ticket), csat=csat)
    return bool(changed)


def _after_close(ticket: Ticket, *, csat, survey_scheduled: bool = True) -> None:
    from django_q.models import Schedule

    if survey_scheduled:
        Schedule.objects.filter(name=f"csat-expiry-ticket-{ticket.pk}").delete()
    Conversation.objects.filter(pk=ticket.conversation_id).update(status=Conversation.Status.BOT)
    # One occurrence per ticket however often a close is retried.
    _emit(ticket, events.TICKET_CLOSED, csat=csat, dedupe=True)
