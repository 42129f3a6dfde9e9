"""The FlowRun state machine: the allowed moves, and the one function that makes them.

    queued --claim--> running --checkpoint/renew--> running
    running --wait--> waiting --resume--> queued
    running --succeed--> succeeded      running --fail--> failed --replay--> queued
    running (lease expired) --reclaim--> queued        (the sweeper; a dead worker's run)
    queued | running | waiting --cancel--> cancelled  (an admin)

Every move is one conditional UPDATE: the row changes only if it is still in a source state
(and matches `where`), and the row count says whether this caller won. That holds on SQLite
(where select_for_update does nothing) as on PostgreSQL. A worker whose run was cancelled or
taken over finds its next move refused and stops.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q

from flows.models import FlowRun

S = FlowRun.Status

TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "claim": ((S.QUEUED,), S.RUNNING),
    "take_over": ((S.RUNNING,), S.RUNNING),  # only past the lease: the claimer passes `where`
    "checkpoint": ((S.RUNNING,), S.RUNNING),
    "renew": ((S.RUNNING,), S.RUNNING),  # a worker back from a lost connection keeps its claim
    "wait": ((S.RUNNING,), S.WAITING),
    "succeed": ((S.RUNNING,), S.SUCCEEDED),
    "fail": ((S.RUNNING,), S.FAILED),
    "resume": ((S.WAITING,), S.QUEUED),
    "replay": ((S.FAILED,), S.QUEUED),
    "reclaim": ((S.RUNNING,), S.QUEUED),
    "cancel": ((S.QUEUED, S.RUNNING, S.WAITING), S.CANCELLED),
}


def sources(trigger: str) -> tuple[str, ...]:
    return TRANSITIONS[trigger][0]


def move(run_id: int, trigger: str, *, where: Q | None = None, **fields: Any) -> bool:
    """Apply `trigger` to one run; True when this caller made the move."""
    from_states, target = TRANSITIONS[trigger]
    runs = FlowRun.objects.filter(pk=run_id, status__in=from_states)
    if where is not None:
        runs = runs.filter(where)
    return bool(runs.update(status=target, **fields))


def claim(run_id: int, *, now, **fields: Any) -> bool:
    """A queued run, or a running one past its lease (its worker died), becomes this worker's."""
    return move(run_id, "claim", **fields) or move(
        run_id,
        "take_over",
        where=Q(lease_expires_at__lt=now),
        lease_takeovers=F("lease_takeovers") + 1,  # a run that kills its workers fails in the end
        **fields,
    )
