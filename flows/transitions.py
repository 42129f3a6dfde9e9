"""The FlowRun state machine: the allowed moves, and the one function that makes them.

    queued --claim--> running --checkpoint/renew--> running
    running --wait--> waiting --resume--> queued
    running --succeed--> succeeded      running --fail--> failed --replay--> queued
    running (lease expired) --reclaim--> queued        (the sweeper; a dead worker's run)
    queued | running | waiting --cancel--> cancelled  (an admin)

Every move is one conditional UPDATE whose row count decides (studio.statemachine). A worker
whose run was cancelled or taken over finds its next move refused and stops. The moves a
worker makes on every run (claim or take_over, then checkpoint, wait, succeed, fail) are
written as SQL once per process in flows/runrows.py, from the statuses declared here.
"""

from __future__ import annotations

from flows.models import FlowRun
from studio.statemachine import StateMachine

S = FlowRun.Status

TRANSITIONS = {
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


MACHINE = StateMachine(FlowRun, TRANSITIONS)
move = MACHINE.move
