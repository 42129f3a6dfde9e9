"""What every resource view shares: auth classes come from settings, errors from api.errors."""

from __future__ import annotations

from rest_framework import viewsets

from api.permissions import IsAgentOrStudioAdmin, IsStudioAdmin, studio_admin


class StudioViewSet(viewsets.GenericViewSet):
    def validated(self, serializer_class) -> dict:
        """The request body checked by `serializer_class` (a 400 with its errors if not)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class AdminViewSet(StudioViewSet):
    """Studio admins only: bots, agents, flows, events and runs."""

    permission_classes = [IsStudioAdmin]
    lookup_value_regex = r"[0-9]+"


class InboxViewSet(StudioViewSet):
    """Agents and studio admins, each seeing the rows of their own bots only.

    The one place the access rule is applied: another bot's ticket is simply not found (404).
    """

    permission_classes = [IsAgentOrStudioAdmin]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return queryset
        return queryset.visible_to(self.request.user, admin=studio_admin(self.request))
