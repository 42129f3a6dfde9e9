"""How a flow is doing: runs per day by outcome and their duration percentiles.

Test runs are left out. A run counts on the day it was created (in the current time zone);
`waiting` counts the runs of that day still waiting now. Durations are started -> finished
of the runs that finished (succeeded or failed), percentiles by nearest rank.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from flows.models import Flow, FlowRun

MAX_DAYS = 90
RECENT_FAILURES = 10


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 3)


def flow_stats(flow: Flow, *, days: int = 14, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    runs = FlowRun.objects.filter(flow=flow, created_at__gte=since).exclude(trigger=FlowRun.Trigger.TEST)
    per_day: dict[date, dict[str, Any]] = {
        first + timedelta(days=i): {"succeeded": 0, "failed": 0, "waiting": 0, "durations": []}
        for i in range(days)
    }
    rows = runs.order_by().values_list("created_at", "status", "started_at", "finished_at")
    for created_at, status, started_at, finished_at in rows.iterator():
        day = per_day.get(timezone.localdate(created_at))
        if day is None:
            continue
        if status in day:
            day[status] += 1
        if status in (FlowRun.Status.SUCCEEDED, FlowRun.Status.FAILED) and started_at and finished_at:
            day["durations"].append((finished_at - started_at).total_seconds() * 1000)
    failures = (
        runs.filter(status=FlowRun.Status.FAILED)
        .order_by("-finished_at", "-id")
        .values_list("pk", flat=True)[:RECENT_FAILURES]
    )
    return {
        "days": [
            {
                "date": day,
                "succeeded": counts["succeeded"],
                "failed": counts["failed"],
                "waiting": counts["waiting"],
                "p50_ms": percentile(counts["durations"], 0.5),
                "p95_ms": percentile(counts["durations"], 0.95),
            }
            for day, counts in per_day.items()
        ],
        "recent_failures": list(failures),
    }
