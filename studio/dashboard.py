"""The figures on the admin home page, scoped to the bots the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, FloatField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from flows.models import FlowRun
from inbox.models import CSATResponse, Ticket
from inbox.services.agents import bot_ids_for

CSAT_WINDOW = timedelta(days=7)
RUNS_WINDOW = timedelta(hours=24)
LAST_FAILURES = 5


@dataclass
class Dashboard:
    open_tickets: int = 0
    unassigned_tickets: int = 0
    pending_csat: int = 0
    csat_average: float | None = None  # mean rating, on each response's own scale
    csat_percent: float | None = None  # mean of rating/scale, comparable across bots' scales
    csat_count: int = 0
    runs_succeeded: int = 0
    runs_failed: int = 0
    last_failures: list[FlowRun] = field(default_factory=list)


def dashboard(user=None, *, now: datetime | None = None) -> Dashboard:
    """Open tickets, CSAT over 7 days, runs over 24 hours and the latest failed runs.

    `user` limits the figures to their bots (None or a studio admin: every bot).
    """
    now = now or timezone.now()
    bot_ids = bot_ids_for(user) if user is not None else None
    tickets = Ticket.objects.all()
    ratings = CSATResponse.objects.filter(submitted_at__gte=now - CSAT_WINDOW)
    runs = FlowRun.objects.exclude(trigger=FlowRun.Trigger.TEST)  # the builder's tries do not count
    if bot_ids is not None:
        tickets = tickets.filter(bot_id__in=bot_ids)
        ratings = ratings.filter(ticket__bot_id__in=bot_ids)
        runs = runs.filter(flow__bot_id__in=bot_ids)

    ticket_counts = tickets.aggregate(
        open=Count("pk", filter=Q(status__in=Ticket.RESOLVABLE)),
        unassigned=Count("pk", filter=Q(status__in=Ticket.RESOLVABLE, assignee__isnull=True)),
        pending=Count("pk", filter=Q(status=Ticket.Status.PENDING_CSAT)),
    )
    csat = ratings.aggregate(
        average=Avg("rating"),
        share=Avg(Cast("rating", FloatField()) / Cast(F("scale"), FloatField())),
        count=Count("pk"),
    )
    recent = runs.filter(finished_at__gte=now - RUNS_WINDOW).aggregate(
        succeeded=Count("pk", filter=Q(status=FlowRun.Status.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=FlowRun.Status.FAILED)),
    )
    failures = list(
        runs.filter(status=FlowRun.Status.FAILED)
        .select_related("flow")
        .order_by("-finished_at", "-id")[:LAST_FAILURES]
    )
    return Dashboard(
        open_tickets=ticket_counts["open"],
        unassigned_tickets=ticket_counts["unassigned"],
        pending_csat=ticket_counts["pending"],
        csat_average=round(csat["average"], 2) if csat["average"] is not None else None,
        csat_percent=round(csat["share"] * 100) if csat["share"] is not None else None,
        csat_count=csat["count"],
        runs_succeeded=recent["succeeded"],
        runs_failed=recent["failed"],
        last_failures=failures,
    )
