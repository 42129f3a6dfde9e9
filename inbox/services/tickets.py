"""Tickets: raise (routed), assign, reply, resolve, rate, close, transfer, notes, tags.

Every state change is a conditional UPDATE whose row count decides who won, so a double
click, two agents or a retried request change a ticket once, on SQLite (where
select_for_update does nothing) as on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox import events, transitions
from inbox.models import AgentProfile, Conversation, CSATResponse, InternalNote, Ticket, TicketTag
from inbox.payloads import display_name, note_payload, user_payload
from inbox.services import routing
from inbox.services.agents import is_agent_of, is_studio_admin
from inbox.services.conversations import post_agent_message, post_system_message
from inbox.services.notify import emit, reload, share_bot
from studio.errors import Conflict, InvalidInput, NotAllowed

EXPIRE_CSAT_TASK = "inbox.tasks.expire_csat_survey"
MAX_TAGS = 20
MAX_NOTE = 5000


class AgentsUnavailable(Conflict):
    """Nobody can take the ticket now or queue it: it would be missed."""


def _emit(ticket: Ticket, key: str, *, csat=None, dedupe: bool = False) -> None:
    emit(ticket, key, csat=csat, dedupe=f"ticket:{ticket.pk}" if dedupe else None)


@transaction.atomic
def raise_ticket(
    conversation: Conversation,
    *,
    subject: str,
    category: str = "",
    priority: str = Ticket.Priority.NORMAL,
    group: str = "",
    custom_fields: dict[str, Any] | None = None,
    allow_missed: bool = True,
) -> Ticket:
    """Create a ticket and route it: assigned to a free agent, queued, or missed.

    With `allow_missed` False (the Raise ticket node) a ticket that would be missed is not
    created: AgentsUnavailable is raised instead.
    """
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput("A ticket needs a subject.", field="subject")
    if priority not in Ticket.Priority.values:
        raise InvalidInput(f"Priority must be one of {', '.join(Ticket.Priority.values)}.", field="priority")
    bot = conversation.bot
    group = (group or "")[:60]
    settings = routing.settings_for(bot)
    now = timezone.now()
    fields: dict[str, Any] = {}
    profile = routing.pick_agent(bot, group, settings)
    if profile is not None:
        fields = {"status": Ticket.Status.ASSIGNED, **routing.assignment_fields(profile.user, now)}
    elif routing.can_queue(bot, group, settings):
        fields = {"status": Ticket.Status.QUEUED, "queued_at": now}
    elif allow_missed:
        fields = {"status": Ticket.Status.MISSED}
    else:
        raise AgentsUnavailable("No agent can take this ticket now or queue it.")
    transitions.check_initial(fields["status"])
    ticket = Ticket.objects.create(
        bot=bot,
        conversation=conversation,
        subject=subject[:200],
        category=(category or "")[:60],
        priority=priority,
        group=group,
        custom_fields=custom_fields or {},
        **fields,
    )
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.AGENT)
    _emit(reload(ticket), events.TICKET_CREATED)
    if profile is not None:
        routing.mark_assigned(profile, now)
        return routing.announce_assigned(ticket)
    if ticket.status == Ticket.Status.QUEUED:
        return routing.announce_queued(ticket)
    post_system_message(conversation, settings.missed_message)
    ticket = reload(ticket)
    _emit(ticket, events.TICKET_MISSED)
    return ticket


def _room_or_refuse(agent, ticket: Ticket, *, force: bool) -> None:
    """Lock the agent's row and refuse when they have no free slot (unless forced)."""
    profile = AgentProfile.objects.filter(user=agent).first()
    if profile is None or force:
        return
    routing._lock(profile, available_only=False)
    if not routing.has_room(profile, routing.settings_for(ticket.bot)):
        limit = routing.capacity(profile, routing.settings_for(ticket.bot))
        raise Conflict(f"{display_name(agent)} already has {limit} chats, the most they may hold.")


def _check_force(by, force: bool) -> None:
    if force and not is_studio_admin(by):
        raise NotAllowed("Only studio admins may assign past an agent's capacity.")


@transaction.atomic
def assign_ticket(ticket: Ticket, agent, *, by=None, force: bool = False) -> Ticket:
    """Take (by = agent) or assign: within the agent's capacity unless an admin forces it."""
    _check_force(by, force)
    if not is_agent_of(agent, ticket.bot):
        raise InvalidInput("That user is not an agent of this ticket's bot.", field="agent")
    current = Ticket.objects.filter(pk=ticket.pk).values("status", "assignee_id").first() or {}
    if current.get("assignee_id") == agent.pk and current.get("status") == Ticket.Status.ASSIGNED:
        return reload(ticket)  # already theirs: assigning again changes nothing
    _room_or_refuse(agent, ticket, force=force)
    trigger = "transfer_to_agent" if current.get("status") == Ticket.Status.ASSIGNED else "assign"
    now = timezone.now()
    moved = current and transitions.move(
        ticket.pk,
        trigger,
        where={"status": current["status"], "assignee_id": current["assignee_id"]},
        **routing.assignment_fields(agent, now),
    )
    if not moved:
        raise Conflict(f"Ticket {ticket.pk} is {ticket_status(ticket)} and cannot be assigned.")
    AgentProfile.objects.filter(user=agent).update(last_assigned_at=now)
    ticket = routing.announce_assigned(ticket)
    if current["assignee_id"]:
        routing.fill_agent(current["assignee_id"])
    return ticket


def ticket_status(ticket: Ticket) -> str:
    return Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first() or "gone"


@transaction.atomic
def reply_to_ticket(ticket: Ticket, agent, text: Any):
    if ticket_status(ticket) == Ticket.Status.CLOSED:
        raise Conflict(f"Ticket {ticket.pk} is closed.")
    if not is_agent_of(agent, ticket.bot):
        raise NotAllowed("You are not an agent of this ticket's bot.")
    # Answering an unassigned ticket takes it, as agents expect - within their capacity.
    if Ticket.objects.filter(
        pk=ticket.pk, assignee__isnull=True, status__in=transitions.sources("assign")
    ).exists():
        try:
            with transaction.atomic():
                assign_ticket(ticket, agent, by=agent)
        except Conflict:
            pass
    message = post_agent_message(ticket.conversation, agent, text)
    now = timezone.now()
    # The agent answered: the customer's silence is timed from now, the agent's is over.
    Ticket.objects.filter(pk=ticket.pk, status__in=transitions.ACTIVE).update(
        awaiting_customer_since=now,
        customer_reminded_at=None,
        awaiting_agent_since=None,
        agent_alerted_at=None,
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
        fields.update(csat_expires_at=expires)
        trigger = "resolve_for_rating"
    else:
        fields.update(closed_at=now, close_reason=Ticket.CloseReason.RESOLVED)
        trigger = "resolve"
    fields.update(queued_at=None, awaiting_customer_since=None, awaiting_agent_since=None)
    # Whose slot frees (`was`) is the caller's copy of the assignee, checked by the closing
    # UPDATE itself instead of read before it; when the copy is stale (a transfer since),
    # the assignee is read and the UPDATE tried again. The UPDATE answers with the row it
    # wrote, so the event's payload (and the API's answer) is the row that commits.
    was = ticket.assignee_id
    for _attempt in range(3):
        # An unassigned ticket is assigned to whoever resolves it, in the same UPDATE.
        fields["assignee_id"] = was or agent.pk
        resolved = transitions.move_returning(ticket.pk, trigger, where={"assignee_id": was}, **fields)
        if resolved is not None:
            break
        current = Ticket.objects.filter(pk=ticket.pk).values_list("status", "assignee_id").first()
        if current is None or current[0] not in transitions.ACTIVE or current[1] == was:
            raise Conflict(f"Ticket {ticket.pk} is {ticket_status(ticket)}; it cannot be resolved again.")
        was = current[1]
    else:
        raise Conflict(f"Ticket {ticket.pk} changed meanwhile; reload it and try again.")
    ticket = _with_relations(resolved, ticket, bot=bot, agent=agent)
    if bot.csat_enabled:
        _ask_for_rating(ticket)
    else:
        # Straight from an active status: no CSAT survey was ever scheduled for this ticket.
        _after_close(ticket, csat=None, survey_scheduled=False)
    if was:
        routing.fill_agent(was)  # a slot freed: the queue moves at once
    return ticket


def _with_relations(resolved: Ticket, caller: Ticket, *, bot, agent) -> Ticket:
    """The resolved row with what its payload and the API's answer name, none read again:
    its bot (the caller's, whose CSAT settings chose the move), its resolver and, when that
    is who it went to, its assignee (`agent`, written by the UPDATE), its conversation and
    customer (the caller's copy; the API's read joined them). It has no CSAT response: only
    a pending_csat ticket is rated, and it resolved from an active status (transitions)."""
    resolved.conversation = caller.conversation
    share_bot(resolved, bot)
    resolved.resolved_by = agent
    if resolved.assignee_id == agent.pk:
        resolved.assignee = agent
    Ticket._meta.get_field("csat_response").set_cached_value(resolved, None)
    return resolved


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
    ticket = reload(ticket)
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
    if not close_ticket(ticket, trigger="rate", csat=response):
        raise Conflict(f"Ticket {ticket.pk} is no longer waiting for a rating.")
    _emit(reload(ticket), events.CSAT_SUBMITTED, csat=response)
    return response


@transaction.atomic
def expire_csat(ticket_id: int) -> bool:
    """Close a ticket whose survey went unanswered; csat is null in its payload."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None or ticket.csat_expires_at is None or ticket.csat_expires_at > timezone.now():
        return False
    return close_ticket(ticket, trigger="expire_csat", csat=None)


CLOSE_REASONS = {
    "rate": Ticket.CloseReason.RESOLVED,
    "expire_csat": Ticket.CloseReason.CSAT_EXPIRED,
    "close_inactive": Ticket.CloseReason.INACTIVITY,
}


@transaction.atomic
def close_ticket(ticket: Ticket, *, trigger: str, csat=None) -> bool:
    """Close a ticket by `trigger` (rate, expire_csat, close_inactive); False when another
    request got there first."""
    was = Ticket.objects.filter(pk=ticket.pk).values_list("assignee_id", "status").first()
    changed = transitions.move(
        ticket.pk,
        trigger,
        closed_at=timezone.now(),
        close_reason=CLOSE_REASONS[trigger],
        awaiting_customer_since=None,
        awaiting_agent_since=None,
    )
    if changed:
        _after_close(reload(ticket), csat=csat)
        if was and was[0] and was[1] == Ticket.Status.ASSIGNED:
            routing.fill_agent(was[0])
    return changed


def _after_close(ticket: Ticket, *, csat, survey_scheduled: bool = True) -> None:
    from django_q.models import Schedule

    if survey_scheduled:
        Schedule.objects.filter(name=f"csat-expiry-ticket-{ticket.pk}").delete()
    conversation = ticket.conversation
    # The close gives the chat back to the bot; with no flow run waiting on the ticket, the
    # flows' receiver of ticket-closed ends it instead (end_conversation, in this
    # transaction). The status is written once, after the event: bot, or ended by then.
    conversation.status = Conversation.Status.BOT
    # One occurrence per ticket however often a close is retried.
    _emit(ticket, events.TICKET_CLOSED, csat=csat, dedupe=True)
    if conversation.status != Conversation.Status.ENDED:
        Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.BOT)


# --- Transfer, notes, tags ----------------------------------------------------------------


@transaction.atomic
def transfer_ticket(
    ticket: Ticket, by, *, agent=None, group: str | None = None, note: str = "", force: bool = False
) -> Ticket:
    """Hand a ticket to another agent (within their capacity unless an admin forces it) or
    to a group's queue (routed at once when one of its agents is free)."""
    _check_force(by, force)
    if (agent is None) == (group is None):
        raise InvalidInput("Transfer to an agent or to a group.", field="agent")
    if not is_agent_of(by, ticket.bot):
        raise NotAllowed("You are not an agent of this ticket's bot.")
    current = Ticket.objects.filter(pk=ticket.pk).values("status", "assignee_id", "group").first() or {}
    if current.get("status") not in transitions.ACTIVE:
        raise Conflict(f"Ticket {ticket.pk} is {ticket_status(ticket)} and cannot be transferred.")
    note = (note or "").strip()[:MAX_NOTE]
    previous = User.objects.filter(pk=current["assignee_id"]).first() if current["assignee_id"] else None
    where = {"status": current["status"], "assignee_id": current["assignee_id"]}
    now = timezone.now()
    if agent is not None:
        if not is_agent_of(agent, ticket.bot) or not AgentProfile.objects.filter(user=agent).exists():
            raise InvalidInput("That user is not an agent of this ticket's bot.", field="agent")
        if agent.pk == current["assignee_id"]:
            raise Conflict(f"Ticket {ticket.pk} is already with {display_name(agent)}.")
        _room_or_refuse(agent, ticket, force=force)
        moved = transitions.move(
            ticket.pk, "transfer_to_agent", where=where, **routing.assignment_fields(agent, now)
        )
        target = {"agent": user_payload(agent), "group": None}
        if moved:
            AgentProfile.objects.filter(user=agent).update(last_assigned_at=now)
    else:
        group = str(group).strip()[:60]
        if not group:
            raise InvalidInput("Name the group to transfer to.", field="group")
        moved = transitions.move(
            ticket.pk,
            "transfer_to_group",
            where=where,
            group=group,
            assignee=None,
            queued_at=now,
            assigned_at=None,
            awaiting_agent_since=None,
            agent_alerted_at=None,
        )
        target = {"agent": None, "group": group}
    if not moved:
        raise Conflict(f"Ticket {ticket.pk} changed meanwhile; reload it and try again.")
    text = f"Transferred to {display_name(agent) if agent else 'group ' + group}"
    _note(ticket, by, f"{text}: {note}" if note else f"{text}.")
    fresh = reload(ticket)
    emit(
        fresh,
        events.TICKET_TRANSFERRED,
        extra={
            "transfer": {
                "from_agent": user_payload(previous),
                "to_agent": target["agent"],
                "to_group": target["group"],
                "from_group": current["group"],
                "note": note,
                "by": user_payload(by),
            }
        },
    )
    if agent is not None:
        fresh = routing.announce_assigned(fresh)
    else:
        post_system_message(fresh.conversation, "You are being transferred to another team.")
        settings = routing.settings_for(fresh.bot)
        profile = routing.pick_agent(fresh.bot, group, settings)
        if profile is not None and transitions.move(
            fresh.pk,
            "assign",
            where={"status": Ticket.Status.QUEUED},
            **routing.assignment_fields(profile.user, now),
        ):
            routing.mark_assigned(profile, now)
            fresh = routing.announce_assigned(fresh)
        else:
            fresh = routing.announce_queued(fresh)
    if current["assignee_id"]:
        routing.fill_agent(current["assignee_id"])
    return fresh


def _note(ticket: Ticket, author, text: str) -> InternalNote:
    return InternalNote.objects.create(ticket=ticket, author=author, text=text)


@transaction.atomic
def add_note(ticket: Ticket, author, text: Any) -> InternalNote:
    """An internal note: agents and admins see it; the customer never does."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("A note needs some text.", field="text")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"A note is at most {MAX_NOTE} characters.", field="text")
    if not is_agent_of(author, ticket.bot):
        raise NotAllowed("You are not an agent of this ticket's bot.")
    note = _note(ticket, author, text.strip())
    emit(reload(ticket), events.NOTE_ADDED, extra={"note": note_payload(note)})
    return note


def clean_tags(tags: Any) -> list[str]:
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput("Tags are a list of words.", field="tags")
    cleaned = sorted({t.strip().lower()[:40] for t in tags if t.strip()})
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"A ticket has at most {MAX_TAGS} tags.", field="tags")
    return cleaned


@transaction.atomic
def set_tags(ticket: Ticket, by, tags: Any) -> Ticket:
    cleaned = clean_tags(tags)
    if not is_agent_of(by, ticket.bot):
        raise NotAllowed("You are not an agent of this ticket's bot.")
    Ticket.objects.filter(pk=ticket.pk).update(tags=cleaned)
    TicketTag.objects.filter(ticket_id=ticket.pk).exclude(name__in=cleaned).delete()
    TicketTag.objects.bulk_create(
        [TicketTag(ticket_id=ticket.pk, name=name) for name in cleaned], ignore_conflicts=True
    )
    return reload(ticket)
