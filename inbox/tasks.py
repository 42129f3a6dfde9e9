"""django-q2 entry points of the inbox. They take ids and are safe to run twice."""

from __future__ import annotations

from inbox import services
from inbox.services import inactivity


def expire_csat_survey(ticket_id: int) -> bool:
    return services.expire_csat(int(ticket_id))


def sweep_inactivity() -> dict[str, int]:
    return inactivity.sweep()
