from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from api.fields import StrictBooleanField, StrictCharField, StrictIntegerField, StrictPrimaryKeyField
from inbox import services as inbox
from inbox.models import AgentProfile
from inbox.services import routing
from studio.models import Bot


class AgentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = StrictCharField(max_length=150, help_text="Fixed once the agent exists.")
    password = StrictCharField(write_only=True, max_length=128, style={"input_type": "password"})
    name = StrictCharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    bots = serializers.ListField(
        child=StrictPrimaryKeyField(queryset=Bot.objects.all()), required=False, max_length=1000
    )
    groups = serializers.ListField(
        child=StrictCharField(max_length=60),
        required=False,
        max_length=50,
        help_text='Skill groups, e.g. ["billing"].',
    )
    is_available = StrictBooleanField(required=False, help_text="True exactly when status is available.")
    status = serializers.ChoiceField(choices=AgentProfile.Status.choices, required=False)
    max_concurrent = StrictIntegerField(
        required=False, allow_null=True, min_value=1, max_value=100, help_text="Null: the bot's default."
    )
    active_tickets = serializers.IntegerField(read_only=True)
    last_assigned_at = serializers.DateTimeField(read_only=True, allow_null=True)
    status_changed_at = serializers.DateTimeField(read_only=True)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # updating: username is fixed, password optional
            fields["username"].read_only = True
            fields["password"].required = False
        return fields

    def validate_username(self, value: str) -> str:
        try:
            User.username_validator(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value

    def validate(self, attrs):
        if attrs.get("password"):
            user = self.instance or User(username=attrs.get("username", ""), email=attrs.get("email", ""))
            try:
                validate_password(attrs["password"], user)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs

    def to_representation(self, user):
        profile = user.agent_profile
        return {
            "id": user.pk,
            "username": user.username,
            "name": user.get_full_name(),
            "email": user.email,
            "bots": sorted(b.pk for b in profile.bots.all()),
            "groups": list(profile.skill_groups or []),
            "is_available": profile.is_available,
            "status": profile.status,
            "status_changed_at": profile.status_changed_at,
            "max_concurrent": profile.max_concurrent,
            "active_tickets": user.active_count
            if hasattr(user, "active_count")
            else routing.active_tickets(user.pk),
            "last_assigned_at": profile.last_assigned_at,
        }

    def create(self, validated):
        return inbox.create_agent(**validated)

    def update(self, user, validated):
        return inbox.update_agent(user, **validated)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AgentProfile.Status.choices)
