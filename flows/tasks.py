"""django-q2 entry points. Each takes ids, reloads its rows, and is safe to run twice."""

from __future__ import annotations

from flows import engine, services
from flows.models import FlowRun
from studio.queue import enqueue


def dispatch_occurrence(occurrence_id: int) -> int:
    """Fan an event occurrence's queued runs out as one task each."""
    run_ids = list(
        FlowRun.objects.filter(occurrence_id=occurrence_id, status=FlowRun.Status.QUEUED).values_list(
            "pk", flat=True
        )
    )
    for run_id in run_ids:
        enqueue(services.EXECUTE_TASK, run_id)
    return len(run_ids)


def execute_run(run_id: int) -> str:
    if not services.claim(run_id):
        return "not-claimed"
    return engine.run(run_id)


def resume_run(run_id: int) -> bool:
    return services.resume_after_delay(run_id)


def sweep_runs() -> dict[str, int]:
    return services.sweep()
