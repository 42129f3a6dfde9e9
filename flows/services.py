"""Starting, resuming, claiming and sweeping flow runs.

The row is the truth, the task is a wake-up: a FlowRun is written in the transaction that
caused it, the task carries only ids, and a worker claims a run with a conditional update
(queued -> running) so a task delivered twice runs the flow once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from flows.models import Flow, FlowRun
from inbox import services as inbox
from inbox.models import Ticket
from inbox.payloads import csat_payload, ticket_payload
from studio.errors import Conflict
from studio.queue import enqueue, enqueue_on_commit

DISPATCH_TASK = "flows.tasks.dispatch_occurrence"
EXECUTE_TASK = "flows.tasks.execute_run"


def lease_seconds() -> int:
    return int(getattr(settings, "FLOW_RUN_LEASE_SECONDS", 300))


def requeue_after_seconds() -> int:
    return int(getattr(settings, "FLOW_RUN_REQUEUE_AFTER_SECONDS", 60))


# --- Starting runs ------------------------------------------------------------------------


def start_event_flows(occurrence, *, depth: int = 0) -> int:
    """Create one queued run per active flow triggered by the occurrence's event.

    Runs are created in bulk in the caller's transaction; one dispatch task, enqueued on
    commit, fans them out to workers, so the request path costs the same whatever the
    number of flows. Returns the number of flows started.
    """
    flows = (
        Flow.objects.filter(
            bot_id=occurrence.bot_id,
            trigger_type=Flow.Trigger.EVENT,
            trigger_event=occurrence.key,
            is_active=True,
        )
        .order_by()
        .values_list("pk", flat=True)
    )  # order_by(): Meta.ordering would join Bot to sort
    runs = [
        FlowRun(
            flow_id=flow_id,
            trigger=FlowRun.Trigger.EVENT,
            occurrence=occurrence,
            context={"event": occurrence.payload, **({"depth": depth} if depth else {})},
            **_event_links(occurrence.payload),
        )
        for flow_id in flows
    ]
    if not runs:
        return 0
    FlowRun.objects.bulk_create(runs, ignore_conflicts=True)
    enqueue_on_commit(DISPATCH_TASK, occurrence.pk)
    return len(runs)


def _event_links(payload: dict[str, Any]) -> dict[str, Any]:
    links: dict[str, Any] = {}
    if isinstance(payload.get("ticket"), dict) and payload["ticket"].get("id"):
        links["ticket_id"] = payload["ticket"]["id"]
    if isinstance(payload.get("conversation"), dict) and payload["conversation"].get("id"):
        links["conversation_id"] = payload["conversation"]["id"]
    return links


def start_run(flow: Flow, *, trigger: str, context: dict[str, Any] | None = None, **links: Any) -> FlowRun:
    run = FlowRun.objects.create(flow=flow, trigger=trigger, context=context or {}, **links)
    enqueue_on_commit(EXECUTE_TASK, run.pk)
    return run


def start_manual_run(flow: Flow, context: dict[str, Any] | None = None) -> FlowRun:
    if not flow.is_active:
        raise Conflict(f"Flow {flow.name!r} is inactive.")
    return start_run(flow, trigger=FlowRun.Trigger.MANUAL, context=context or {})


def start_conversation_flow(conversation) -> FlowRun | None:
    """Start the bot's conversation flow (the first active one without keywords)."""
    flow = (
        Flow.objects.filter(
            bot_id=conversation.bot_id, trigger_type=Flow.Trigger.CONVERSATION, is_active=True
        )
        .order_by("id")
        .first()
    )
    if flow is None:
        return None
    return start_run(flow, trigger=FlowRun.Trigger.CONVERSATION, conversation=conversation)


# --- Resuming waiting runs ----------------------------------------------------------------


def _resume(runs, *, port: str, vars_update: dict[str, Any] | None = None) -> list[int]:
    resumed = []
    for run in runs:
        new_vars = {**run.vars, **(vars_update or {})}
        changed = FlowRun.objects.filter(pk=run.pk, status=FlowRun.Status.WAITING).update(
            status=FlowRun.Status.QUEUED,
            resume_port=port,
            waiting_for="",
            wait_until=None,
            vars=new_vars,
        )
        if changed:
            enqueue_on_commit(EXECUTE_TASK, run.pk)
            resumed.append(run.pk)
    return resumed


def on_ticket_closed(ticket, *, csat=None) -> list[int]:
    """A ticket closed: its waiting runs continue; with none, its conversation has ended."""
    resumed = resume_ticket_runs(ticket, csat=csat_payload(csat))
    if not resumed:
        inbox.end_conversation(ticket.conversation)
    return resumed


def on_run_finished(run: FlowRun) -> None:
    """A conversation's own flow ended while the bot held the chat: the conversation ended."""
    if run.trigger == FlowRun.Trigger.CONVERSATION and run.conversation_id:
        inbox.end_conversation(run.conversation, only_with_bot=True)


def resume_ticket_runs(ticket, *, csat: dict[str, Any] | None = None) -> list[int]:
    """The runs whose Raise ticket node waits on this ticket continue at `ticket_closed`."""
    runs = FlowRun.objects.filter(
        ticket=ticket, status=FlowRun.Status.WAITING, waiting_for=FlowRun.Waiting.TICKET
    )
    return _resume(runs, port="ticket_closed", vars_update={"ticket": ticket_payload(ticket), "csat": csat})


def resume_if_ticket_closed(run: FlowRun) -> list[int]:
    """A run that began waiting on a ticket which closed meanwhile continues at once.

    The close resumes only runs already waiting; a run still on its `ticket_created` branch
    (or between creating the ticket and recording its wait) when the agent closed the ticket
    is caught here, after its wait is recorded, and by the sweeper.
    """
    ticket = Ticket.objects.filter(pk=run.ticket_id, status=Ticket.Status.CLOSED).first()
    if ticket is None:
        return []
    return resume_ticket_runs(ticket, csat=csat_payload(getattr(ticket, "csat_response", None)))


def deliver_reply(conversation, message) -> list[int]:
    """A customer's message answers the question a run of this conversation waits on."""
    runs = FlowRun.objects.filter(
        conversation=conversation, status=FlowRun.Status.WAITING, waiting_for=FlowRun.Waiting.REPLY
    )
    return _resume(runs, port="answered", vars_update={"last_reply": message.text})


def resume_after_delay(run_id: int) -> bool:
    runs = FlowRun.objects.filter(pk=run_id, status=FlowRun.Status.WAITING, waiting_for=FlowRun.Waiting.DELAY)
    return bool(_resume(runs, port="next"))


# --- Claiming, replaying, sweeping --------------------------------------------------------


def claim(run_id: int) -> bool:
    """Take a queued run for this worker. Exactly one of concurrent claimers wins.

    A run still `running` past its lease is taken too: its worker died (SIGKILL, OOM, a lost
    machine), and the task django-q2 delivers again after `retry` is the wake-up for it.
    """
    now = timezone.now()
    claimable = Q(status=FlowRun.Status.QUEUED) | Q(status=FlowRun.Status.RUNNING, lease_expires_at__lt=now)
    changed = FlowRun.objects.filter(claimable, pk=run_id).update(
        status=FlowRun.Status.RUNNING,
        lease_expires_at=now + timedelta(seconds=lease_seconds()),
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), Value(now)),  # the first claim's time
    )
    return bool(changed)


@transaction.atomic
def replay_run(run: FlowRun) -> FlowRun:
    """Re-queue a failed run from the step that failed; steps that succeeded are not redone."""
    changed = FlowRun.objects.filter(pk=run.pk, status=FlowRun.Status.FAILED).update(
        status=FlowRun.Status.QUEUED, error="", finished_at=None, lease_expires_at=None
    )
    if not changed:
        raise Conflict(f"Run {run.pk} is {run.status}; only a failed run can be replayed.")
    enqueue_on_commit(EXECUTE_TASK, run.pk)
    run.refresh_from_db()
    return run


def sweep() -> dict[str, int]:
    """Re-enqueue runs whose task was lost: queued too long, or running past their lease."""
    now = timezone.now()
    stale = FlowRun.objects.filter(status=FlowRun.Status.RUNNING, lease_expires_at__lt=now).values_list(
        "pk", flat=True
    )
    reclaimed = [
        run_id
        for run_id in list(stale)
        if FlowRun.objects.filter(pk=run_id, status=FlowRun.Status.RUNNING, lease_expires_at__lt=now).update(
            status=FlowRun.Status.QUEUED
        )
    ]
    queued = list(
        FlowRun.objects.filter(
            status=FlowRun.Status.QUEUED,
            created_at__lt=now - timedelta(seconds=requeue_after_seconds()),
        ).values_list("pk", flat=True)[:1000]
    )
    due = list(
        FlowRun.objects.filter(
            status=FlowRun.Status.WAITING, waiting_for=FlowRun.Waiting.DELAY, wait_until__lt=now
        ).values_list("pk", flat=True)[:1000]
    )
    for run_id in due:
        resume_after_delay(run_id)
    closed = FlowRun.objects.filter(
        status=FlowRun.Status.WAITING, waiting_for=FlowRun.Waiting.TICKET, ticket__status="closed"
    )[:1000]
    resumed_on_ticket = sum(len(resume_if_ticket_closed(run)) for run in closed)
    # A reclaimed run's task was lost with its worker: enqueue it now, however young the run.
    for run_id in dict.fromkeys([*reclaimed, *queued]):
        enqueue(EXECUTE_TASK, run_id)
    return {"reclaimed": len(reclaimed), "requeued": len(queued), "resumed": len(due) + resumed_on_ticket}
