from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from api.serializers.bots import BotSerializer
from api.serializers.common import ERRORS
from api.views.base import AdminViewSet
from studio.models import Bot


@extend_schema_view(
    list=extend_schema(summary="List bots", responses={200: BotSerializer(many=True), **ERRORS}),
    create=extend_schema(
        summary="Create a bot (its events are installed, all inactive)",
        responses={201: BotSerializer, **ERRORS},
    ),
    retrieve=extend_schema(summary="Get a bot", responses={200: BotSerializer, **ERRORS}),
    partial_update=extend_schema(
        summary="Change a bot or its CSAT settings", responses={200: BotSerializer, **ERRORS}
    ),
    destroy=extend_schema(summary="Delete a bot and all it owns", responses={204: None, **ERRORS}),
)
class BotViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AdminViewSet,
):
    queryset = Bot.objects.all()
    serializer_class = BotSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
