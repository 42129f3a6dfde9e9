"""Shapes shared by several endpoints: errors and the small action bodies."""

from __future__ import annotations

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """`{"detail": "..."}`; a 400 may instead name fields: `{"field": ["message", ...]}`."""

    detail = serializers.CharField(required=False)

    class Meta:
        ref_name = "Error"


class RunStartedSerializer(serializers.Serializer):
    run = serializers.IntegerField(help_text="The id of the queued run.")


ERRORS = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
}
WITH_CONFLICT = {**ERRORS, 409: ErrorSerializer}
