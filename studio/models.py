from __future__ import annotations

import base64
import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from studio.access import bot_scoped


def new_webhook_secret() -> str:
    # Standard Webhooks secrets are standard base64 (not URL-safe): receivers decode them so.
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Bot(models.Model):
    """The workspace that owns flows, events, tables, conversations and tickets."""

    name = models.CharField(max_length=120)
    csat_enabled = models.BooleanField("CSAT on", default=False)
    csat_question = models.CharField(max_length=300, default="How would you rate the help you received?")
    csat_scale = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(2), MaxValueValidator(10)]
    )
    csat_expires_after_minutes = models.PositiveIntegerField(default=1440, validators=[MinValueValidator(1)])
    # Signs outbound api_call requests (Standard Webhooks) when a node asks for it.
    webhook_secret = models.CharField(max_length=80, default=new_webhook_secret, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = bot_scoped("")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat_scale__gte=2, csat_scale__lte=10),
                name="studio_bot_csat_scale_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WakeMark(models.Model):
    """A wake-up task waiting in the ORM broker's queue (studio.queue.wake_on_commit): while
    its row is here and younger than WAKE_MARK_SECONDS, a commit needs no wake-up of its
    own. The woken task deletes it before it looks for work."""

    name = models.CharField(max_length=200, primary_key=True)  # the queue and the task
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
