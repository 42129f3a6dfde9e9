"""Who may do what. Studio admins manage everything; agents work their bots' inbox.

The access rule for rows is written once, in `scoped()`: every inbox queryset goes through it.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from inbox.models import AgentProfile
from inbox.services.agents import bot_ids_for, is_studio_admin


class IsStudioAdmin(BasePermission):
    message = "Only studio admins can do this."

    def has_permission(self, request, view) -> bool:
        return is_studio_admin(request.user)


class IsAgentOrStudioAdmin(BasePermission):
    message = "Only agents and studio admins can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return is_studio_admin(user) or AgentProfile.objects.filter(user=user).exists()


def scoped(queryset, user, bot_field: str = "bot_id"):
    """The rows of the bots `user` may see: all for studio admins, their bots for agents."""
    bot_ids = bot_ids_for(user)
    if bot_ids is None:
        return queryset
    return queryset.filter(**{f"{bot_field}__in": bot_ids})
