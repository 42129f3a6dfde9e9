from __future__ import annotations

from django.db import transaction
from rest_framework import serializers

from api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from inbox.services import routing
from studio import services as studio
from studio.models import Bot


class CSATSettingsSerializer(serializers.Serializer):
    enabled = StrictBooleanField(required=False)
    question = StrictCharField(required=False, max_length=300)
    scale = StrictIntegerField(required=False, min_value=2, max_value=10)
    expires_after_minutes = StrictIntegerField(required=False, min_value=1, max_value=10 * 365 * 24 * 60)


class InboxSettingsSerializer(serializers.Serializer):
    """Routing and inactivity settings (docs/console.md)."""

    queue_enabled = StrictBooleanField(required=False, help_text="Off: tickets nobody can take are missed.")
    queue_limit = StrictIntegerField(required=False, min_value=1, max_value=100_000)
    offline_queueing = StrictBooleanField(
        required=False, help_text="Queue tickets even when no agent of the group is online."
    )
    default_max_concurrent = StrictIntegerField(required=False, min_value=1, max_value=100)
    missed_message = StrictCharField(required=False, max_length=500)
    customer_reminder_minutes = StrictIntegerField(required=False, min_value=0, max_value=100_000)
    customer_close_minutes = StrictIntegerField(required=False, min_value=0, max_value=100_000)
    reminder_message = StrictCharField(required=False, max_length=500)
    agent_reply_minutes = StrictIntegerField(required=False, min_value=0, max_value=100_000)


class BotSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=120)
    csat = CSATSettingsSerializer(required=False)
    inbox = InboxSettingsSerializer(required=False)

    class Meta:
        model = Bot
        fields = ["id", "name", "csat", "inbox", "created_at"]
        read_only_fields = ["id", "created_at"]

    def to_representation(self, bot):
        data = super().to_representation(bot)
        data["csat"] = studio.csat_settings(bot)
        data["inbox"] = routing.settings_json(bot)
        return data

    @transaction.atomic
    def create(self, validated):
        bot = studio.create_bot(validated["name"], csat=validated.get("csat"))
        if validated.get("inbox"):
            routing.update_settings(bot, validated["inbox"])
        return bot

    @transaction.atomic
    def update(self, bot, validated):
        bot = studio.update_bot(bot, name=validated.get("name"), csat=validated.get("csat"))
        if validated.get("inbox"):
            routing.update_settings(bot, validated["inbox"])
        return bot
