"""Shapes shared by several endpoints: errors and the small action bodies."""

from __future__ import annotations

from typing import Any

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


class Representer:
    """The output of `serializer_class` for one object at a time, from one serializer instance
    built on first use, as DRF's ListSerializer represents every item with one child. A
    serializer builds its fields on each instantiation (deep copies of the declared ones and
    a field per model field): ~0.8 ms per answer, a quarter of a resolve's CPU once its
    statements were cut (docs/performance.md). Only for serializers whose output reads no
    context (no request: no hyperlinked fields); the fields hold no state between calls."""

    def __init__(self, serializer_class: type[serializers.BaseSerializer]) -> None:
        self.serializer_class = serializer_class
        self._serializer: serializers.BaseSerializer | None = None

    def __call__(self, instance: Any) -> dict[str, Any]:
        if self._serializer is None:
            serializer = self.serializer_class()
            serializer.fields  # noqa: B018 - built here, once, before any thread shares it
            self._serializer = serializer
        return self._serializer.to_representation(instance)
