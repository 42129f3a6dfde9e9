"""Hands the inbox's ticket_closed signal to the flows waiting on that ticket."""

from __future__ import annotations

from django.dispatch import receiver

from flows import services
from inbox.payloads import csat_payload
from inbox.signals import ticket_closed


@receiver(ticket_closed, dispatch_uid="flows.resume_ticket_runs")
def resume_ticket_runs(sender, ticket, csat=None, **kwargs) -> None:
    services.resume_ticket_runs(ticket, csat=csat_payload(csat))
