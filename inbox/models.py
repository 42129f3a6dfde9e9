from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.access import BotScopedQuerySet, bot_scoped


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


class AgentProfile(models.Model):
    """What makes a user an agent: the bots they answer for, their skill groups, their
    routing status and how many chats they hold at once."""

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        BUSY = "busy", "Busy"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    bots = models.ManyToManyField("studio.Bot", related_name="agent_profiles", blank=True)
    skill_groups = models.JSONField(default=list, blank=True, help_text='e.g. ["billing"]')
    # Only `available` agents receive new chats; the row is also the lock routing takes
    # before counting an agent's chats (inbox.services.routing).
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    status_changed_at = models.DateTimeField(default=timezone.now)
    max_concurrent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Chats at once; empty: the bot's default."
    )
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.user.get_username()

    @property
    def is_available(self) -> bool:
        return self.status == self.Status.AVAILABLE


class InboxSettings(models.Model):
    """A bot's routing and inactivity settings (defaults apply while it has no row)."""

    bot = models.OneToOneField("studio.Bot", on_delete=models.CASCADE, related_name="inbox_settings")
    queue_enabled = models.BooleanField(
        default=True, help_text="Queue tickets when nobody is free (off: they are missed)."
    )
    queue_limit = models.PositiveIntegerField(
        default=50, validators=[MinValueValidator(1)], help_text="Queued tickets at most; more are missed."
    )
    offline_queueing = models.BooleanField(
        default=False, help_text="Queue tickets even when no agent is online at all."
    )
    default_max_concurrent = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="Chats per agent unless the agent says otherwise.",
    )
    missed_message = models.CharField(
        max_length=500,
        default="All our agents are busy right now. An agent will answer here within one business day.",
    )
    customer_reminder_minutes = models.PositiveIntegerField(
        default=10, help_text="Remind a customer silent this long after an agent wrote (0: never)."
    )
    customer_close_minutes = models.PositiveIntegerField(
        default=10, help_text="Close the ticket this long after the reminder (0: never)."
    )
    reminder_message = models.CharField(
        max_length=500, default="Are you still there? This chat closes soon if we do not hear from you."
    )
    agent_reply_minutes = models.PositiveIntegerField(
        default=5,
        help_text="Raise agent-inactive when an assigned chat waits this long for the agent (0: never).",
    )

    objects = bot_scoped("bot")

    class Meta:
        verbose_name = "inbox settings"
        verbose_name_plural = "inbox settings"

    def __str__(self) -> str:
        return f"Inbox settings of {self.bot}"


class Customer(models.Model):
    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = bot_scoped("bot")

    def __str__(self) -> str:
        return self.name or self.email or f"Customer {self.pk}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        BOT = "bot", "With the bot"
        AGENT = "agent", "With an agent"
        ENDED = "ended", "Ended"

    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="conversations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="conversations")
    channel = models.CharField(max_length=30, default="web")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOT)
    # The customer's chat page is reached only through this unguessable token.
    access_token = models.CharField(max_length=64, unique=True, default=new_access_token)
    started_at = models.DateTimeField(auto_now_add=True)

    objects = bot_scoped("bot")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Conversation {self.pk} with {self.customer}"


class Message(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        BOT = "bot", "Bot"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = bot_scoped("conversation__bot")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class TicketQuerySet(BotScopedQuerySet):
    bot_path = "bot"

    def with_queue_position(self) -> TicketQuerySet:
        """Annotate queue positions in the same query (lists would ask once per ticket)."""
        ahead = (
            Ticket.objects.filter(
                bot_id=models.OuterRef("bot_id"), group=models.OuterRef("group"), status="queued"
            )
            .filter(
                models.Q(queued_at__lt=models.OuterRef("queued_at"))
                | models.Q(queued_at=models.OuterRef("queued_at"), pk__lt=models.OuterRef("pk"))
            )
            .order_by()
            .values("bot_id")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(
            annotated_queue_position=models.Case(
                models.When(
                    status="queued",
                    queued_at__isnull=False,
                    then=Coalesce(models.Subquery(ahead, output_field=models.IntegerField()), 0) + 1,
                ),
                default=None,
                output_field=models.IntegerField(null=True),
            )
        )


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        QUEUED = "queued", "Queued"
        MISSED = "missed", "Missed"
        ASSIGNED = "assigned", "Assigned"
        PENDING_CSAT = "pending_csat", "Pending CSAT"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class CloseReason(models.TextChoices):
        RESOLVED = "resolved", "Resolved"
        CSAT_EXPIRED = "csat_expired", "CSAT expired"
        INACTIVITY = "inactivity", "Customer inactive"

    # Not yet resolved: an agent may still take, transfer or resolve these.
    RESOLVABLE = (Status.OPEN, Status.QUEUED, Status.MISSED, Status.ASSIGNED)

    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="tickets")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tickets")
    subject = models.CharField(max_length=200)
    category = models.CharField(max_length=60, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    group = models.CharField(max_length=60, blank=True, help_text="Agent skill group")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    csat_expires_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    # Free-text labels; TicketTag rows mirror them for filtering.
    tags = models.JSONField(default=list, blank=True)
    # Inactivity timers, read by the sweeper: an agent wrote and the customer has not
    # answered since / the customer (or the assignment) waits for the agent since.
    awaiting_customer_since = models.DateTimeField(null=True, blank=True)
    customer_reminded_at = models.DateTimeField(null=True, blank=True)
    awaiting_agent_since = models.DateTimeField(null=True, blank=True)
    agent_alerted_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The agent console's queue: a bot's tickets by status, newest first.
            models.Index(fields=["bot", "status", "-created_at"], name="inbox_ticket_queue_idx"),
            # Lists, newest first (Meta.ordering): a page is read off this index.
            models.Index(fields=["-created_at", "-id"], name="inbox_ticket_recent_idx"),
            # Routing: an agent's chats, and the oldest queued ticket.
            models.Index(fields=["assignee", "status"], name="inbox_ticket_load_idx"),
            models.Index(fields=["status", "queued_at", "id"], name="inbox_ticket_waiting_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | models.Q(closed_at__isnull=False),
                name="inbox_ticket_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="assigned") | models.Q(assignee__isnull=False),
                name="inbox_ticket_assigned_has_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_resolvable(self) -> bool:
        return self.status in self.RESOLVABLE

    @property
    def queue_position(self) -> int | None:
        """1 for the next ticket of its bot and group's queue; None unless queued. Counted
        on every read, so it is current without rewriting the queue when it moves."""
        if self.status != self.Status.QUEUED or self.queued_at is None:
            return None
        if hasattr(self, "annotated_queue_position"):
            return self.annotated_queue_position
        ahead = Ticket.objects.filter(bot_id=self.bot_id, group=self.group, status=self.Status.QUEUED).filter(
            models.Q(queued_at__lt=self.queued_at) | models.Q(queued_at=self.queued_at, pk__lt=self.pk)
        )
        return ahead.count() + 1


class CSATResponse(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="csat_response")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="csat_responses",
    )
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    scale = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    objects = bot_scoped("ticket__bot")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1) & models.Q(rating__lte=models.F("scale")),
                name="inbox_csat_rating_in_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/{self.scale} for ticket {self.ticket_id}"


class TicketTag(models.Model):
    """One tag of a ticket, so queues and the API can filter by tag on any database."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="tag_rows")
    name = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "name"], name="inbox_tickettag_unique")]
        indexes = [models.Index(fields=["name"], name="inbox_tickettag_name_idx")]

    def __str__(self) -> str:
        return self.name


class InternalNote(models.Model):
    """A note agents leave on a ticket; never part of the customer's transcript."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = bot_scoped("ticket__bot")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on ticket {self.ticket_id}: {self.text[:40]}"


class CannedResponse(models.Model):
    """A saved reply an agent inserts by typing #shortcut; its text is a template over
    customer, agent and ticket."""

    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="canned_responses")
    shortcut = models.SlugField(max_length=40)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = bot_scoped("bot")

    class Meta:
        ordering = ["bot", "shortcut"]
        constraints = [
            models.UniqueConstraint(fields=["bot", "shortcut"], name="inbox_canned_unique_shortcut"),
        ]

    def __str__(self) -> str:
        return f"#{self.shortcut}"
