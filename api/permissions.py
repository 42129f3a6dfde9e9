"""Who may do what. Studio admins manage everything; agents work their bots' inbox.

The access rule for rows is `visible_to(user)` on each model's manager (studio.access).
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from inbox.models import AgentProfile
from studio.access import is_studio_admin, recall

HAS_AGENT_PROFILE = "has_agent_profile"


def agent_profile_sql(user_id: str, connection) -> str:
    """SQL true when the user whose id the SQL `user_id` gives has an agent profile: for the
    statement that loads the user (token authentication), so the permission check below
    needs no query of its own: `remember(user, HAS_AGENT_PROFILE, ...)`."""
    quote = connection.ops.quote_name
    user = AgentProfile._meta.get_field("user")
    return f"EXISTS (SELECT 1 FROM {quote(AgentProfile._meta.db_table)} p WHERE p.{quote(user.column)} = {user_id})"


def has_agent_profile(user) -> bool:
    return recall(user, HAS_AGENT_PROFILE, lambda: AgentProfile.objects.filter(user=user).exists())


def studio_admin(request) -> bool:
    """is_studio_admin(request.user), asked once per request: the permission check and the
    scoped queryset (InboxViewSet) both need it, and each asking is a query."""
    admin = getattr(request, "_studio_admin", None)
    if admin is None:
        admin = request._studio_admin = is_studio_admin(request.user)
    return admin


class IsStudioAdmin(BasePermission):
    message = "Only studio admins can do this."

    def has_permission(self, request, view) -> bool:
        return studio_admin(request)


class IsAgentOrStudioAdmin(BasePermission):
    message = "Only agents and studio admins can do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return studio_admin(request) or has_agent_profile(user)
