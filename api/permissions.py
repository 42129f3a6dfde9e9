"""Who may do what. Studio admins manage everything; agents work their bots' inbox.

The access rule for rows is `visible_to(user)` on each model's manager (studio.access).
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from inbox.models import AgentProfile
from studio.access import is_studio_admin


class IsStudioAdmin(BasePermission):
    message = "Only studio admins can do this."

    def has_permission(self, request, view) -> bool:
        return is_studio_admin(request.user)


class IsAgentOrStudioAdmin(BasePermission):
    message = "Only agents and studio admins can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return is_studio_admin(user) or AgentProfile.objects.filter(user=user).exists()
