"""django-q2 entry points of the inbox. They take ids and are safe to run twice."""

from __future__ import annotations

from inbox import services


def expire_csat_survey(ticket_id: int) -> bool:
    return services.expire_csat(int(ticket_id))
