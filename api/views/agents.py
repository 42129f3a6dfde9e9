from __future__ import annotations

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from api.serializers.agents import AgentSerializer
from api.serializers.common import ERRORS
from api.views.base import AdminViewSet


@extend_schema_view(
    list=extend_schema(summary="List agents", responses={200: AgentSerializer(many=True), **ERRORS}),
    create=extend_schema(summary="Create an agent", responses={201: AgentSerializer, **ERRORS}),
    retrieve=extend_schema(summary="Get an agent", responses={200: AgentSerializer, **ERRORS}),
    partial_update=extend_schema(summary="Change an agent", responses={200: AgentSerializer, **ERRORS}),
)
class AgentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    AdminViewSet,
):
    queryset = (
        User.objects.filter(agent_profile__isnull=False)
        .select_related("agent_profile")
        .prefetch_related("agent_profile__bots")
        .order_by("username", "id")
    )
    serializer_class = AgentSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
