from __future__ import annotations

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import StrictBooleanField, StrictCharField, StrictIntegerField, StrictPrimaryKeyField
from inbox.models import CannedResponse, Conversation, CSATResponse, Customer, InternalNote, Message, Ticket
from inbox.payloads import user_payload
from studio.models import Bot


class ScopedPrimaryKeyField(StrictPrimaryKeyField):
    """A related row the requesting user may see (its manager's `visible_to` rule)."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.context["request"].user)


# --- Conversations and messages -----------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=120, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    external_id = StrictCharField(max_length=120, required=False, allow_blank=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "external_id"]
        read_only_fields = ["id"]


class ConversationSerializer(serializers.ModelSerializer):
    bot = ScopedPrimaryKeyField(queryset=Bot.objects.all())
    customer = CustomerSerializer(required=False)
    channel = StrictCharField(max_length=30, required=False, default="web")

    class Meta:
        model = Conversation
        fields = ["id", "bot", "customer", "channel", "status", "started_at"]
        read_only_fields = ["id", "status", "started_at"]


class MessageSerializer(serializers.ModelSerializer):
    text = StrictCharField(max_length=4000)

    class Meta:
        model = Message
        fields = ["id", "sender", "text", "created_at"]
        read_only_fields = ["id", "sender", "created_at"]


# --- Tickets ------------------------------------------------------------------------------


class CSATSerializer(serializers.ModelSerializer):
    class Meta:
        model = CSATResponse
        fields = ["rating", "comment", "submitted_at"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    conversation = ScopedPrimaryKeyField(queryset=Conversation.objects.all())
    subject = StrictCharField(max_length=200)
    category = StrictCharField(max_length=60, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, default=Ticket.Priority.NORMAL)
    group = StrictCharField(max_length=60, required=False, allow_blank=True, default="")
    csat = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    tags = serializers.ListField(
        child=StrictCharField(max_length=40), required=False, max_length=20, help_text="Free-text labels."
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "bot",
            "conversation",
            "subject",
            "category",
            "priority",
            "group",
            "status",
            "assignee",
            "queue_position",
            "tags",
            "close_reason",
            "resolution_note",
            "created_at",
            "assigned_at",
            "resolved_at",
            "closed_at",
            "csat",
        ]
        read_only_fields = [
            "id",
            "bot",
            "status",
            "assignee",
            "close_reason",
            "resolution_note",
            "created_at",
            "assigned_at",
            "resolved_at",
            "closed_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_queue_position(self, ticket) -> int | None:
        return ticket.queue_position

    @extend_schema_field(CSATSerializer(allow_null=True))
    def get_csat(self, ticket):
        try:
            response = ticket.csat_response
        except CSATResponse.DoesNotExist:
            return None
        return CSATSerializer(response).data


class AssignSerializer(serializers.Serializer):
    agent = StrictPrimaryKeyField(queryset=User.objects.all(), help_text="The agent's user id.")
    force = StrictBooleanField(
        required=False, default=False, help_text="Studio admins only: assign past the agent's capacity."
    )


class TransferSerializer(serializers.Serializer):
    agent = StrictPrimaryKeyField(
        queryset=User.objects.all(), required=False, help_text="The agent's user id."
    )
    group = StrictCharField(max_length=60, required=False, help_text="A skill group's queue.")
    note = StrictCharField(required=False, allow_blank=True, max_length=5000, default="")
    force = StrictBooleanField(
        required=False, default=False, help_text="Studio admins only: past the agent's capacity."
    )

    def validate(self, attrs):
        if ("agent" in attrs) == ("group" in attrs):
            raise serializers.ValidationError({"agent": ["Give an agent or a group, not both."]})
        return attrs


class TagsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=StrictCharField(max_length=40), max_length=20)


class NoteSerializer(serializers.ModelSerializer):
    text = StrictCharField(max_length=5000)
    author = serializers.SerializerMethodField()

    class Meta:
        model = InternalNote
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = ["id", "author", "created_at"]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_author(self, note):
        return user_payload(note.author)


class CannedResponseSerializer(serializers.ModelSerializer):
    bot = ScopedPrimaryKeyField(queryset=Bot.objects.all())
    shortcut = serializers.SlugField(max_length=40)
    text = StrictCharField(max_length=4000)

    class Meta:
        model = CannedResponse
        fields = ["id", "bot", "shortcut", "text", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["bot"].read_only = True
        return fields


class ReplySerializer(serializers.Serializer):
    text = StrictCharField(max_length=4000)


class ResolveSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=5000, default="")


class RatingSerializer(serializers.Serializer):
    rating = StrictIntegerField(min_value=1, max_value=10, help_text="1 to the bot's CSAT scale.")
    comment = StrictCharField(required=False, allow_blank=True, max_length=2000, default="")


class RatingResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = CSATResponse
        fields = ["ticket", "rating", "scale", "comment", "submitted_at"]
        read_only_fields = fields
