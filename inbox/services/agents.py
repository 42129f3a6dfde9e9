"""Agents are users in the "Agents" group with a profile naming their bots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction

from inbox.models import AgentProfile
from studio.access import ADMINS_GROUP, AGENTS_GROUP, is_studio_admin
from studio.errors import InvalidInput

__all__ = ["ADMINS_GROUP", "AGENTS_GROUP", "is_studio_admin"]


def is_agent_of(user, bot) -> bool:
    if is_studio_admin(user):
        return True
    return AgentProfile.objects.filter(user=user, bots=bot).exists()


def agents_of(bot) -> list[User]:
    """The active users who answer for `bot`: whom one of its tickets may be assigned to."""
    return list(
        User.objects.filter(agent_profile__bots=bot, is_active=True).order_by("first_name", "username")
    )


def agents_available(bot, group: str = "") -> bool:
    agents = AgentProfile.objects.filter(bots=bot, is_available=True, user__is_active=True)
    if group:
        # JSON containment is not portable to SQLite, and groups lists are short.
        return any(group in (p.skill_groups or []) for p in agents.only("skill_groups"))
    return agents.exists()


def _clean_groups(groups: Iterable[Any] | None) -> list[str]:
    cleaned = [str(g).strip() for g in (groups or []) if str(g).strip()]
    return sorted(set(cleaned))


@transaction.atomic
def create_agent(
    *,
    username: str,
    password: str,
    name: str = "",
    email: str = "",
    bots: Iterable = (),
    groups: Iterable[str] = (),
    is_available: bool = True,
) -> User:
    first, _, last = name.partition(" ")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                email=email,
                first_name=first,
                last_name=last,
                is_staff=True,
            )
    except IntegrityError as exc:
        raise InvalidInput(f"The username {username!r} is taken.", field="username") from exc
    user.groups.add(Group.objects.get_or_create(name=AGENTS_GROUP)[0])
    profile = AgentProfile.objects.create(
        user=user, skill_groups=_clean_groups(groups), is_available=is_available
    )
    profile.bots.set(list(bots))
    return user


@transaction.atomic
def update_agent(user: User, **changes: Any) -> User:
    profile, _ = AgentProfile.objects.get_or_create(user=user)
    if "name" in changes:
        user.first_name, _, user.last_name = changes["name"].partition(" ")
    if "email" in changes:
        user.email = changes["email"]
    if changes.get("password"):
        user.set_password(changes["password"])
    user.save()
    if "groups" in changes:
        profile.skill_groups = _clean_groups(changes["groups"])
    if "is_available" in changes:
        profile.is_available = bool(changes["is_available"])
    profile.save()
    if "bots" in changes:
        profile.bots.set(list(changes["bots"]))
    return user
