"""Who may see what: the one access rule, written once and used by the API, the console, the
admin and the dashboard.

Studio admins (superusers, or members of the "Studio admins" group) see every bot; an agent
sees the bots their agent profile names; anyone else, and any inactive user, sees nothing.
Every model that belongs to a bot gets `objects.visible_to(user)` from `bot_scoped()`.
"""

from __future__ import annotations

from django.db import models

AGENTS_GROUP = "Agents"
ADMINS_GROUP = "Studio admins"


def is_studio_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and (
        user.is_superuser or user.groups.filter(name=ADMINS_GROUP).exists()
    )


class BotScopedQuerySet(models.QuerySet):
    bot_path = "bot"  # the lookup from a row to its bot; "" for Bot itself

    def visible_to(self, user, *, admin: bool | None = None) -> models.QuerySet:
        """`admin`: is_studio_admin(user) when the caller asked it already (the API's
        permission check did, in the same request)."""
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if is_studio_admin(user) if admin is None else admin:
            return self
        # Through the reverse name of AgentProfile.bots, so the core needs no import of the
        # inbox that owns profiles. A user has one profile: the join adds no duplicate rows.
        prefix = f"{self.bot_path}__" if self.bot_path else ""
        return self.filter(**{f"{prefix}agent_profiles__user": user})


def bot_scoped(bot_path: str = "bot") -> models.Manager:
    """A manager whose querysets know `visible_to(user)` through `bot_path`."""
    queryset_class = type(
        f"BotScopedQuerySet_{bot_path or 'self'}", (BotScopedQuerySet,), {"bot_path": bot_path}
    )
    return models.Manager.from_queryset(queryset_class)()
