from __future__ import annotations

from django.db import models


class Event(models.Model):
    class Category(models.TextChoices):
        INBOX = "inbox", "Inbox"
        BOT = "bot", "Bot"
        CUSTOM = "custom", "Custom"

    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="events")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    # A custom event's documented payload; system events take theirs from the catalogue.
    payload_example = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["bot", "category", "key"]
        constraints = [
            models.UniqueConstraint(fields=["bot", "key"], name="events_event_unique_key_per_bot"),
        ]

    def __str__(self) -> str:
        state = "active" if self.is_active else "inactive"
        return f"{self.key} ({state})"


class EventOccurrence(models.Model):
    """One emission of an event, kept whether it started anything or not."""

    class Status(models.TextChoices):
        DISPATCHED = "dispatched", "Dispatched"
        SKIPPED = "skipped", "Skipped (event inactive)"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="occurrences")
    bot = models.ForeignKey("studio.Bot", on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=80)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    # Makes an emission idempotent: a second close of the same ticket finds the first.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "dedupe_key"],
                condition=models.Q(dedupe_key__isnull=False),
                name="events_occurrence_unique_dedupe_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} #{self.pk} ({self.status})"

    @property
    def was_active(self) -> bool:
        return self.status == self.Status.DISPATCHED
