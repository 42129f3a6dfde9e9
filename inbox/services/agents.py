"""Agents are users in the "Agents" group with a profile naming their bots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbox import events
from inbox.models import AgentProfile
from inbox.payloads import agent_payload
from inbox.services import routing
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


def _clean_status(status: Any) -> str:
    if status not in AgentProfile.Status.values:
        raise InvalidInput(f"Status must be one of {', '.join(AgentProfile.Status.values)}.", field="status")
    return status


def _clean_max(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise InvalidInput("max_concurrent is a whole number from 1 to 100, or null.", field="max_concurrent")
    return value


@transaction.atomic
def set_status(user: User, status: Any) -> AgentProfile:
    """The agent's routing status; becoming available takes queued chats at once."""
    status = _clean_status(status)
    profile = AgentProfile.objects.filter(user=user).first()
    if profile is None:
        raise InvalidInput("Only agents have a status.", field="status")
    previous = profile.status
    now = timezone.now()
    changed = (
        AgentProfile.objects.filter(pk=profile.pk)
        .exclude(status=status)
        .update(status=status, status_changed_at=now)
    )
    profile.refresh_from_db()
    if changed:
        payload_agent = agent_payload(profile)
        for bot in profile.bots.all():
            events.publish(
                bot,
                events.AGENT_STATUS_CHANGED,
                {
                    "event": events.AGENT_STATUS_CHANGED,
                    "occurred_at": now.isoformat(),
                    "bot": {"id": bot.pk, "name": bot.name},
                    "agent": payload_agent,
                    "status": status,
                    "previous_status": previous,
                },
            )
        if status == AgentProfile.Status.AVAILABLE:
            routing.fill_agent(user.pk)
    return profile


def agent_status_on_logout(user: User) -> None:
    if AgentProfile.objects.filter(user=user).exclude(status=AgentProfile.Status.OFFLINE).exists():
        set_status(user, AgentProfile.Status.OFFLINE)


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
    status: str | None = None,
    max_concurrent: int | None = None,
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
    if status is None:
        status = AgentProfile.Status.AVAILABLE if is_available else AgentProfile.Status.AWAY
    profile = AgentProfile.objects.create(
        user=user,
        skill_groups=_clean_groups(groups),
        status=_clean_status(status),
        max_concurrent=_clean_max(max_concurrent),
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
    if "max_concurrent" in changes:
        profile.max_concurrent = _clean_max(changes["max_concurrent"])
    profile.save(update_fields=["skill_groups", "max_concurrent"])
    if "bots" in changes:
        profile.bots.set(list(changes["bots"]))
    status = changes.get("status")
    if status is None and "is_available" in changes:
        available = bool(changes["is_available"])
        if available != profile.is_available:
            status = AgentProfile.Status.AVAILABLE if available else AgentProfile.Status.AWAY
    if status is not None:
        set_status(user, status)
    # A raised limit, new groups or bots may open slots for queued chats.
    routing.fill_agent(user.pk)
    return user
