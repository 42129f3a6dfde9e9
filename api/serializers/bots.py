from __future__ import annotations

from rest_framework import serializers

from api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from studio import services as studio
from studio.models import Bot


class CSATSettingsSerializer(serializers.Serializer):
    enabled = StrictBooleanField(required=False)
    question = StrictCharField(required=False, max_length=300)
    scale = StrictIntegerField(required=False, min_value=2, max_value=10)
    expires_after_minutes = StrictIntegerField(required=False, min_value=1, max_value=10 * 365 * 24 * 60)


class BotSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=120)
    csat = CSATSettingsSerializer(required=False)

    class Meta:
        model = Bot
        fields = ["id", "name", "csat", "created_at"]
        read_only_fields = ["id", "created_at"]

    def to_representation(self, bot):
        data = super().to_representation(bot)
        data["csat"] = studio.csat_settings(bot)
        return data

    def create(self, validated):
        return studio.create_bot(validated["name"], csat=validated.get("csat"))

    def update(self, bot, validated):
        return studio.update_bot(bot, name=validated.get("name"), csat=validated.get("csat"))
