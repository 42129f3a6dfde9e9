"""Roles and periodic schedules the studio needs in every database, kept after migrate."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from studio.access import ADMINS_GROUP, AGENTS_GROUP

AGENT_PERMISSIONS = {
    "inbox": [
        "view_ticket",
        "change_ticket",
        "view_conversation",
        "view_customer",
        "view_message",
        "view_csatresponse",
    ],
}
SWEEPER_NAME = "flows-sweeper"
INACTIVITY_NAME = "inbox-inactivity"


def ensure_roles() -> None:
    agents, _ = Group.objects.get_or_create(name=AGENTS_GROUP)
    admins, _ = Group.objects.get_or_create(name=ADMINS_GROUP)
    for app, codenames in AGENT_PERMISSIONS.items():
        agents.permissions.add(
            *Permission.objects.filter(content_type__app_label=app, codename__in=codenames)
        )
    admins.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["studio", "events", "inbox", "flows", "tables"]
        )
    )


def ensure_schedules() -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SWEEPER_NAME,
        defaults={
            "func": "flows.tasks.sweep_runs",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name=INACTIVITY_NAME,
        defaults={
            "func": "inbox.tasks.sweep_inactivity",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )


def after_migrate(sender, **kwargs) -> None:
    ensure_roles()
    ensure_schedules()
