"""django-q2 entry points. Each takes ids, reloads its rows, and is safe to run twice."""

from __future__ import annotations

import logging
import time
from contextlib import suppress

from flows import engine, services
from flows.models import FlowRun
from studio.queue import enqueue_each, wake, woken

log = logging.getLogger(__name__)

RECONNECTS_PER_TASK = 3
# A wake-up stops taking runs after this long and hands the rest to a new wake-up, so a
# long backlog does not keep other tasks (delays, the sweeper) waiting behind it.
RUN_QUEUED_SECONDS = 1.0


def dispatch_occurrence(occurrence_id: int, *run_ids: int) -> int:
    """Fan an event occurrence's queued runs out as one task each; run the first one here.

    The others are enqueued first, so idle workers start them at once; executing one in
    this task saves it a trip through the queue (a poll interval on the ORM broker) and a
    task. The emit that started the runs passes their ids (no lookup here); a task enqueued
    with the occurrence alone looks its queued runs up. A second delivery is a no-op: the
    claim refuses runs already taken. Returns the number of runs handed out.
    """
    if not run_ids:
        run_ids = tuple(
            FlowRun.objects.filter(occurrence_id=occurrence_id, status=FlowRun.Status.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    enqueue_each(services.EXECUTE_TASK, list(run_ids[1:]))
    if run_ids:
        execute_run(run_ids[0])
    return len(run_ids)


def run_queued() -> int:
    """A wake-up (services.hand_off_event_runs): run queued runs, oldest first, one claim at
    a time, until none is left. Returns how many it ran.

    The wake-up's mark is cleared before the first look, so a run committed after that look
    brings a new wake-up. The runs it leaves when its time is up, or when a run raised, go
    to a new wake-up. A failing claim (the database away) wakes nobody: the next commit's
    wake-up or the sweeper finds the runs, rather than a loop of failing tasks.
    """
    woken(services.RUN_QUEUED_TASK)
    deadline = time.monotonic() + RUN_QUEUED_SECONDS
    done = 0
    while (claimed := services.claim_next()) is not None:
        try:
            _execute(claimed.pk, claimed)
        except BaseException:
            with suppress(Exception):  # the run's own error is the one to report
                wake(services.RUN_QUEUED_TASK)
            raise
        done += 1
        if time.monotonic() >= deadline:
            wake(services.RUN_QUEUED_TASK)
            break
    return done


def execute_run(run_id: int) -> str:
    claimed = services.claim(run_id)
    if claimed is None:
        return "not-claimed"
    return _execute(run_id, claimed)


def _execute(run_id: int, claimed: FlowRun | None) -> str:
    for retry in range(RECONNECTS_PER_TASK + 1):
        try:
            return engine.run(run_id, claimed=claimed)
        except engine.ConnectionLost as lost:
            # A database restart or failover: wait for it to answer again and go on from the
            # last checkpoint at once, rather than leaving the run `running` until its lease
            # runs out. If it stays away (or the error keeps coming back: not an outage), the
            # error ends the task and the sweeper takes the run over after its lease.
            log.warning("run %s lost its database connection; waiting for the database", run_id)
            if retry == RECONNECTS_PER_TASK or not services.wait_for_database():
                raise
            if not services.reclaim(run_id, lost.attempts):
                return "lost"  # another worker took it meanwhile
            claimed = None  # reloaded: what was recorded before the connection broke


def resume_run(run_id: int) -> bool:
    return services.resume_after_delay(run_id)


def sweep_runs() -> dict[str, int]:
    return services.sweep()
