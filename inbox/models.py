from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from studio.access import bot_scoped


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


class AgentProfile(models.Model):
    """What makes a user an agent: the bots they answer for and their skill groups."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    bots = models.ManyToManyField("studio.Bot", related_name="agent_profiles", blank=True)
    skill_groups = models.JSONField(default=list, blank=True, help_text='e.g. ["billing"]')
    is_available = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.user.get_username()


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


class Ticket(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ASSIGNED = "assigned", "Assigned"
        PENDING_CSAT = "pending_csat", "Pending CSAT"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    RESOLVABLE = (Status.OPEN, Status.ASSIGNED)

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

    objects = bot_scoped("bot")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The agent console's queue: a bot's tickets by status, newest first.
            models.Index(fields=["bot", "status", "-created_at"], name="inbox_ticket_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | models.Q(closed_at__isnull=False),
                name="inbox_ticket_closed_has_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_resolvable(self) -> bool:
        return self.status in self.RESOLVABLE


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
