from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from api.permissions import IsAgentOrStudioAdmin
from api.serializers.agents import AgentSerializer, StatusSerializer
from api.serializers.common import ERRORS
from api.views.base import AdminViewSet
from inbox import services as inbox


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
        .annotate(active_count=Count("assigned_tickets", filter=Q(assigned_tickets__status="assigned")))
        .order_by("username", "id")
    )
    serializer_class = AgentSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(
        summary="Set my own routing status (agents)",
        description="`available` agents receive new chats; becoming available takes queued ones at once.",
        request=StatusSerializer,
        responses={200: AgentSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="me/status", permission_classes=[IsAgentOrStudioAdmin])
    def me_status(self, request):
        inbox.set_agent_status(request.user, self.validated(StatusSerializer)["status"])
        user = self.get_queryset().get(pk=request.user.pk)
        return Response(AgentSerializer(user).data)
