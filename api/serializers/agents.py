from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from api.fields import StrictBooleanField, StrictCharField, StrictPrimaryKeyField
from inbox import services as inbox
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
    is_available = StrictBooleanField(required=False, default=True)

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
        }

    def create(self, validated):
        return inbox.create_agent(**validated)

    def update(self, user, validated):
        return inbox.update_agent(user, **validated)
