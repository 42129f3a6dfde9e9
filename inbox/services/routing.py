"""Who gets a ticket: automatic assignment with capacity, the queue, and Take.

Capacity is counted, not stored: an agent's load is the number of tickets assigned to them.
Before counting, routing locks the agent's row (an UPDATE that changes nothing), so two
transactions giving chats to one agent count one after the other - on PostgreSQL the
second waits for the first to commit and its count (a new statement, a new snapshot) sees
the first's ticket; on SQLite every write transaction is serialised already. The ticket
itself moves by a conditional UPDATE (inbox.transitions), so two agents freeing at once can
never both take one queued ticket: the second UPDATE finds it assigned and moves on.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone

from inbox import events, transitions
from inbox.models import AgentProfile, InboxSettings, Ticket
from inbox.payloads import display_name
from inbox.services.conversations import post_system_message
from inbox.services.notify import emit, reload
from studio.errors import InvalidInput

Status = AgentProfile.Status


def settings_for(bot) -> InboxSettings:
    """The bot's inbox settings; the defaults while it has none saved."""
    return InboxSettings.objects.filter(bot_id=bot.pk).first() or InboxSettings(bot=bot)


def capacity(profile: AgentProfile, settings: InboxSettings) -> int:
    return profile.max_concurrent or settings.default_max_concurrent


def active_tickets(user_id: int) -> int:
    return Ticket.objects.filter(assignee_id=user_id, status=Ticket.Status.ASSIGNED).count()


def _agents(bot, group: str = ""):
    profiles = (
        AgentProfile.objects.filter(bots=bot, user__is_active=True)
        .select_related("user")
        .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
    )
    # JSON containment is not portable to SQLite, and groups lists are short.
    return [p for p in profiles if not group or group in (p.skill_groups or [])]


def anyone_online(bot, group: str = "") -> bool:
    return any(p.status != Status.OFFLINE for p in _agents(bot, group))


def _lock(profile: AgentProfile, *, available_only: bool) -> bool:
    """Take the agent's row lock for this transaction; False when (available_only) the agent
    is not available any more."""
    rows = AgentProfile.objects.filter(pk=profile.pk)
    if available_only:
        rows = rows.filter(status=Status.AVAILABLE)
    return bool(rows.update(status=F("status")))


def has_room(profile: AgentProfile, settings: InboxSettings) -> bool:
    return active_tickets(profile.user_id) < capacity(profile, settings)


def pick_agent(bot, group: str, settings: InboxSettings) -> AgentProfile | None:
    """The available agent of the group with a free slot whose last assignment is oldest;
    their row stays locked until the caller's transaction ends."""
    for profile in _agents(bot, group):
        if profile.status != Status.AVAILABLE:
            continue
        if _lock(profile, available_only=True) and has_room(profile, settings):
            return profile
    return None


def mark_assigned(profile: AgentProfile, now) -> None:
    AgentProfile.objects.filter(pk=profile.pk).update(last_assigned_at=now)


def assignment_fields(user, now) -> dict:
    return {
        "assignee": user,
        "assigned_at": now,
        "queued_at": None,
        "awaiting_agent_since": now,
        "agent_alerted_at": None,
    }


def can_queue(bot, group: str, settings: InboxSettings) -> bool:
    if not settings.queue_enabled:
        return False
    if not settings.offline_queueing and not anyone_online(bot, group):
        return False
    return Ticket.objects.filter(bot=bot, status=Ticket.Status.QUEUED).count() < settings.queue_limit


def announce_assigned(ticket: Ticket, *, key: str = events.TICKET_ASSIGNED) -> Ticket:
    """Tell the customer who joined and publish the assignment."""
    ticket = reload(ticket)
    post_system_message(ticket.conversation, f"{display_name(ticket.assignee)} joined the chat.")
    emit(ticket, key)
    return ticket


def announce_queued(ticket: Ticket) -> Ticket:
    ticket = reload(ticket)
    post_system_message(
        ticket.conversation,
        f"All our agents are busy. You are number {ticket.queue_position} in the queue; "
        "an agent will join as soon as one is free.",
    )
    emit(ticket, events.TICKET_QUEUED)
    return ticket


def _eligible_queued(profile: AgentProfile):
    groups = list(profile.skill_groups or [])
    return (
        Ticket.objects.filter(status=Ticket.Status.QUEUED, bot__agent_profiles=profile)
        .filter(Q(group="") | Q(group__in=groups))
        .select_related("bot")
        .order_by("queued_at", "pk")
    )


def fill_agent(user_id: int) -> list[Ticket]:
    """Capacity freed for this agent: give them the oldest queued tickets of their bots and
    groups while they are available and have room. Returns the tickets given."""
    profile = AgentProfile.objects.select_related("user").filter(user_id=user_id).first()
    if profile is None or profile.status != Status.AVAILABLE or not profile.user.is_active:
        return []
    if not _lock(profile, available_only=True):
        return []
    given: list[Ticket] = []
    settings: dict[int, InboxSettings] = {}
    # Counted once, under the row lock taken above: only a transaction holding that lock
    # assigns to this agent, so the load grows only by what this loop gives (a ticket
    # closing meanwhile only leaves more room, and its close fills it). A count per queued
    # ticket looked at made a full agent's fill 2 queries per queued ticket (up to 100).
    load = active_tickets(profile.user_id)
    while True:
        progress = False
        for ticket in _eligible_queued(profile)[:50]:
            if ticket.bot_id not in settings:
                settings[ticket.bot_id] = settings_for(ticket.bot)
            if load >= capacity(profile, settings[ticket.bot_id]):
                continue
            now = timezone.now()
            if transitions.move(
                ticket.pk,
                "assign",
                where={"status": Ticket.Status.QUEUED},
                **assignment_fields(profile.user, now),
            ):
                load += 1
                mark_assigned(profile, now)
                given.append(announce_assigned(ticket))
                progress = True
                break
        if not progress:
            return given


def fill_bot(bot) -> list[Ticket]:
    """A bot's capacity grew (its default was raised): every available agent may take more."""
    given: list[Ticket] = []
    for profile in _agents(bot):
        if profile.status == Status.AVAILABLE:
            given += fill_agent(profile.user_id)
    return given


SETTINGS_FIELDS = (
    "queue_enabled",
    "queue_limit",
    "offline_queueing",
    "default_max_concurrent",
    "missed_message",
    "customer_reminder_minutes",
    "customer_close_minutes",
    "reminder_message",
    "agent_reply_minutes",
)


def settings_json(bot) -> dict:
    settings = settings_for(bot)
    return {name: getattr(settings, name) for name in SETTINGS_FIELDS}


def update_settings(bot, values: dict) -> InboxSettings:
    """Change a bot's inbox settings; capacity or queue room that grew is used at once."""
    settings, _ = InboxSettings.objects.get_or_create(bot=bot)
    for name, value in values.items():
        if name not in SETTINGS_FIELDS:
            raise InvalidInput(f"Unknown inbox setting {name!r}.", field="inbox")
        setattr(settings, name, value)
    try:
        settings.full_clean(exclude=["bot"])
    except ValidationError as exc:
        raise InvalidInput(
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()), field="inbox"
        ) from exc
    settings.save()
    fill_bot(bot)
    return settings
