from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import JSONObjectField, StrictCharField, StrictPrimaryKeyField
from events import services as events
from events.models import Event, EventOccurrence
from studio.models import Bot


class EventSerializer(serializers.ModelSerializer):
    payload_example = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "bot", "key", "name", "category", "description", "is_active", "payload_example"]
        read_only_fields = fields

    @extend_schema_field(JSONObjectField(help_text="A payload shaped like what the event carries."))
    def get_payload_example(self, event: Event) -> dict:
        return events.payload_example(event)


class CustomEventSerializer(serializers.Serializer):
    """`POST /api/events/`: a custom event of a bot."""

    bot = StrictPrimaryKeyField(queryset=Bot.objects.all())
    key = serializers.SlugField(max_length=80)
    name = StrictCharField(max_length=120)
    description = StrictCharField(required=False, allow_blank=True, max_length=5000, default="")
    payload_example = JSONObjectField(
        required=False, default=dict, help_text="A payload shaped like what the event will carry."
    )

    def validate_key(self, value):
        if not isinstance(self.initial_data.get("key"), str):
            raise serializers.ValidationError("Not a valid string.")
        return value


class EmitSerializer(serializers.Serializer):
    payload = JSONObjectField(required=False, default=dict)


class EmittedSerializer(serializers.Serializer):
    occurrence = serializers.IntegerField()
    runs = serializers.ListField(child=serializers.IntegerField())


class EventOccurrenceSerializer(serializers.ModelSerializer):
    runs = serializers.SerializerMethodField()
    payload = JSONObjectField(read_only=True)

    class Meta:
        model = EventOccurrence
        fields = ["id", "event", "bot", "key", "payload", "status", "occurred_at", "runs"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_runs(self, occurrence) -> list[int]:
        return sorted(run.pk for run in occurrence.runs.all())
