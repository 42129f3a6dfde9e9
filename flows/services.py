"""Starting, resuming, claiming and sweeping flow runs.

The row is the truth, the task is a wake-up: a FlowRun is written in the transaction that
caused it, the task carries only ids, and a worker claims a run with a conditional update
(queued -> running) so a task delivered twice runs the flow once.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.models import Schedule

from flows import runrows, transitions
from flows.models import Flow, FlowRun
from inbox import services as inbox
from inbox.models import Conversation, Ticket
from inbox.payloads import csat_payload, ticket_payload
from studio import ratelimit
from studio.errors import Conflict
from studio.queue import enqueue, enqueue_on_commit, wake_on_commit, wakes_coalesce
from studio.rawsql import Insert, per_vendor

log = logging.getLogger(__name__)

DISPATCH_TASK = "flows.tasks.dispatch_occurrence"
EXECUTE_TASK = "flows.tasks.execute_run"
RUN_QUEUED_TASK = "flows.tasks.run_queued"  # a wake-up: runs whatever is queued
RESUME_TASK = "flows.tasks.resume_run"  # a delay's wake-up (flows.nodes.delay)


def lease_seconds() -> int:
    return int(getattr(settings, "FLOW_RUN_LEASE_SECONDS", 300))


def requeue_after_seconds() -> int:
    return int(getattr(settings, "FLOW_RUN_REQUEUE_AFTER_SECONDS", 60))


# --- Starting runs ------------------------------------------------------------------------


class _EventRuns:
    """The INSERT ... SELECT starting an occurrence's runs, built once per database vendor."""

    def __init__(self, connection) -> None:
        quote = connection.ops.quote_name
        self.insert = Insert(
            FlowRun,
            ["occurrence_id", "flow_id", "version_id", "trigger", "ticket_id", "conversation_id", "context"],
            connection,
            prefix="run_",
        )
        flow, ticket, conversation = (quote(model._meta.db_table) for model in (Flow, Ticket, Conversation))
        self.sql = (
            f"INSERT INTO {self.insert.table} ({self.insert.columns}) "
            "SELECT s.occurrence_id, f.id, f.published_version_id, %(run_trigger)s, "
            f"(SELECT t.id FROM {ticket} t WHERE t.id = %(run_ticket)s AND t.bot_id = s.bot_id), "
            f"(SELECT c.id FROM {conversation} c WHERE c.id = %(run_conversation)s AND c.bot_id = s.bot_id), "
            f"%(run_context)s{self.insert.default_sql} "
            f"FROM {{source}} s JOIN {flow} f ON f.bot_id = s.bot_id AND f.trigger_event = s.event_key "
            "WHERE f.trigger_type = %(run_flow_trigger)s AND f.is_active = %(run_active)s "
            "AND f.published_version_id IS NOT NULL ORDER BY f.id"
        )


_runs_for = per_vendor(_EventRuns)


def event_runs_sql(connection, source: str, *, returning: bool = True) -> str:
    """The statement starting one queued run of each active, published flow that an event
    starts. `source` is SQL for a row (occurrence_id, bot_id, event_key): a CTE's, or
    parameters; no row, no runs. `RETURNING id` of the runs when asked. Its parameters:
    `event_runs_params(...)` (named `run_*`).

    The runs carry what an event run carries: the flow's published version, the trigger,
    the occurrence, context {"event": payload[, "depth"]}, and the payload's ticket and
    conversation only when those rows exist and belong to the bot (`event_links`). The
    unique (occurrence, flow) constraint refuses a second run of a flow per occurrence.
    """
    runs = _runs_for(connection)
    sql = runs.sql.format(source=source)
    return f"{sql} RETURNING id" if returning else sql


def event_runs_params(connection, payload: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    runs = _runs_for(connection)
    context = {"event": payload, **({"depth": depth} if depth else {})}
    return {
        "run_trigger": FlowRun.Trigger.EVENT.value,
        "run_ticket": _payload_id(payload.get("ticket")),
        "run_conversation": _payload_id(payload.get("conversation")),
        "run_context": runs.insert.value("context", context, connection),
        "run_flow_trigger": Flow.Trigger.EVENT.value,
        "run_active": True,
        **runs.insert.defaults(connection),
    }


def start_event_flows(
    occurrence_id: int, bot_id: int, key: str, payload: dict[str, Any], depth: int = 0
) -> list[int]:
    """Start the event's flows for an occurrence just written in the caller's transaction
    (where the occurrence cannot be written in the same statement: SQLite). One statement
    for the runs, one task for all of them. Returns the runs' ids, sorted."""
    source = "(SELECT %(occurrence)s AS occurrence_id, %(bot)s AS bot_id, %(key)s AS event_key)"
    params = {
        "occurrence": occurrence_id,
        "bot": bot_id,
        "key": key,
        **event_runs_params(connection, payload, depth),
    }
    with connection.cursor() as cursor:
        cursor.execute(event_runs_sql(connection, source), params)
        ids = sorted(row[0] for row in cursor.fetchall())
    hand_off_event_runs(occurrence_id, ids)
    return ids


def hand_off_event_runs(occurrence_id: int, run_ids: list[int]) -> None:
    """Start an occurrence's runs after the caller's commit, at a cost per request that does
    not grow with the number of flows.

    A wake-up: workers, as many as there are runs, take queued runs one claim at a time
    until none is left, and a wake-up already waiting in the queue stands for this one too.
    Under load, one task then runs many events' runs (django-q2's hop per task was a third
    of the cluster's CPU). In sync mode (tasks run at once, in the caller) one task: the
    run itself when there is one, else a dispatch task that executes them all.
    """
    if run_ids and wakes_coalesce():
        wake_on_commit(RUN_QUEUED_TASK, width=len(run_ids))
    elif len(run_ids) == 1:
        enqueue_on_commit(EXECUTE_TASK, run_ids[0])  # one hop
    elif run_ids:
        enqueue_on_commit(DISPATCH_TASK, occurrence_id, *run_ids)


def _payload_id(value: Any) -> int | None:
    """`{"id": 7}` -> 7; anything else (a string, a bool, -1, 10**30, no id) -> None."""
    ident = value.get("id") if isinstance(value, dict) else None
    if isinstance(ident, bool) or not isinstance(ident, int) or not 0 < ident < 2**63:
        return None
    return ident


def event_links(bot_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    """Link the runs to the payload's ticket and conversation only when those rows exist and
    belong to the emitting bot. An emitted payload is caller data: linking another bot's
    conversation would let a send_message write into that bot's customer chat. Otherwise the
    data stays in `event` and nothing is linked."""
    links: dict[str, Any] = {}
    ticket_id = _payload_id(payload.get("ticket"))
    if ticket_id is not None and Ticket.objects.filter(pk=ticket_id, bot_id=bot_id).exists():
        links["ticket_id"] = ticket_id
    conversation_id = _payload_id(payload.get("conversation"))
    if (
        conversation_id is not None
        and Conversation.objects.filter(pk=conversation_id, bot_id=bot_id).exists()
    ):
        links["conversation_id"] = conversation_id
    return links


def start_run(flow: Flow, *, trigger: str, context: dict[str, Any] | None = None, **links: Any) -> FlowRun:
    """Start the flow's published version (or the version or draft snapshot in `links`)."""
    if "version_id" not in links and "version" not in links and "graph" not in links:
        if flow.published_version_id is None:
            raise Conflict(f"Flow {flow.name!r} has no published version yet: publish it first.")
        links["version_id"] = flow.published_version_id
    run = FlowRun.objects.create(flow=flow, trigger=trigger, context=context or {}, **links)
    enqueue_on_commit(EXECUTE_TASK, run.pk)
    return run


def start_manual_run(flow: Flow, context: dict[str, Any] | None = None) -> FlowRun:
    if not flow.is_active:
        raise Conflict(f"Flow {flow.name!r} is inactive.")
    return start_run(flow, trigger=FlowRun.Trigger.MANUAL, context=context or {})


def start_conversation_flow(conversation) -> FlowRun | None:
    """A chat started: the bot's first active conversation flow without keywords runs."""
    flow = _conversation_flows(conversation).filter(trigger_keywords=[]).first()
    if flow is None:
        return None
    # Anyone can start a chat: a flood of them must not become a flood of runs.
    if not ratelimit.allow(f"flow-starts:bot{conversation.bot_id}", settings.FLOW_STARTS_PER_BOT_PER_MINUTE):
        log.warning(
            "bot %s started more than %s conversation flows this minute; conversation %s gets none",
            conversation.bot_id,
            settings.FLOW_STARTS_PER_BOT_PER_MINUTE,
            conversation.pk,
        )
        return None
    return start_run(flow, trigger=FlowRun.Trigger.CONVERSATION, conversation=conversation)


def start_keyword_flow(conversation, text: str) -> FlowRun | None:
    """A customer's message that no run waits for starts the first flow one of whose
    keywords it contains (whole words, any case), while the bot holds the chat."""
    if conversation.status == "agent":
        return None
    words = set(re.findall(r"\w+", text.casefold()))
    for flow in _conversation_flows(conversation).exclude(trigger_keywords=[]):
        if any(
            set(re.findall(r"\w+", str(k).casefold())) <= words
            for k in flow.trigger_keywords
            if str(k).strip()
        ):
            return start_run(flow, trigger=FlowRun.Trigger.CONVERSATION, conversation=conversation)
    return None


def _conversation_flows(conversation):
    return Flow.objects.filter(
        bot_id=conversation.bot_id,
        trigger_type=Flow.Trigger.CONVERSATION,
        is_active=True,
        published_version__isnull=False,  # only published versions run
    ).order_by("id")


# --- Resuming waiting runs ----------------------------------------------------------------


def _resume(runs, *, port: str, vars_update: dict[str, Any] | None = None) -> list[int]:
    resumed = []
    for run in runs:
        new_vars = {**run.vars, **(vars_update or {})}
        changed = transitions.move(
            run.pk,
            "resume",
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
        inbox.end_conversation(ticket.conversation, ticket_closed=True)
    return resumed


def finishing_writes(run: FlowRun) -> bool:
    """Whether on_run_finished writes anything for this run (it then commits with the finish)."""
    return run.trigger == FlowRun.Trigger.CONVERSATION and bool(run.conversation_id) and not run.parent_id


def on_run_finished(run: FlowRun) -> None:
    """A conversation's own flow ended while the bot held the chat: the conversation ended."""
    if finishing_writes(run):
        inbox.end_conversation(run.conversation, only_with_bot=True)


def resume_ticket_runs(ticket, *, csat: dict[str, Any] | None = None) -> list[int]:
    """The runs whose Raise ticket node waits on this ticket continue at `ticket_closed`."""
    resumed = runrows.resume_waiting_on_ticket(
        ticket.pk, port="ticket_closed", vars_update={"ticket": ticket_payload(ticket), "csat": csat}
    )
    for run_id in resumed:
        enqueue_on_commit(EXECUTE_TASK, run_id)
    return resumed


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
    resumed = _resume(runs, port="answered", vars_update={"last_reply": message.text})
    if not resumed and (started := start_keyword_flow(conversation, message.text)) is not None:
        return [started.pk]
    return resumed


def resume_after_delay(run_id: int) -> bool:
    runs = FlowRun.objects.filter(pk=run_id, status=FlowRun.Status.WAITING, waiting_for=FlowRun.Waiting.DELAY)
    return bool(_resume(runs, port="next"))


# --- Claiming, replaying, sweeping --------------------------------------------------------


def claim(run_id: int) -> FlowRun | None:
    """Take a queued run for this worker and load it; exactly one of concurrent claimers wins.

    A run still `running` past its lease is taken too: its worker died (SIGKILL, OOM, a lost
    machine), and the task django-q2 delivers again after `retry` is the wake-up for it; its
    takeovers are counted, so a run that kills every worker that executes it fails after
    FLOW_RUN_MAX_TAKEOVERS. Returns the run with what the engine reads, or None.
    """
    now = timezone.now()
    return runrows.claim(run_id, now=now, lease_expires_at=now + timedelta(seconds=lease_seconds()))


def claim_next() -> FlowRun | None:
    """Take the oldest queued run for this worker and load it (claim's guarantees); None
    when nothing is queued."""
    now = timezone.now()
    return runrows.claim_next(now=now, lease_expires_at=now + timedelta(seconds=lease_seconds()))


def reclaim(run_id: int, attempts: int) -> bool:
    """Renew the claim of a run this worker still holds (the claim numbered `attempts`)."""
    return transitions.move(
        run_id,
        "renew",
        where=Q(attempts=attempts),
        lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds()),
        attempts=F("attempts") + 1,
    )


def wait_for_database() -> bool:
    """Reconnect until the database answers, for up to FLOW_DB_RECONNECT_SECONDS."""
    deadline = time.monotonic() + int(getattr(settings, "FLOW_DB_RECONNECT_SECONDS", 60))
    pause = 0.2
    while True:
        connection.close()  # the broken connection; the next query opens a new one
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except (OperationalError, InterfaceError):
            if time.monotonic() + pause > deadline:
                connection.close()
                return False
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def max_takeovers() -> int:
    return int(getattr(settings, "FLOW_RUN_MAX_TAKEOVERS", 3))


@transaction.atomic
def replay_run(run: FlowRun) -> FlowRun:
    """Re-queue a failed run from the step that failed; steps that succeeded are not redone."""
    changed = transitions.move(
        run.pk, "replay", error="", finished_at=None, lease_expires_at=None, lease_takeovers=0
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
        if transitions.move(
            run_id, "reclaim", where=Q(lease_expires_at__lt=now), lease_takeovers=F("lease_takeovers") + 1
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


@transaction.atomic
def cancel_run(run: FlowRun) -> FlowRun:
    """Stop a queued, running or waiting run; its wait (ticket, reply, delay) is released.

    A worker executing it finds its next checkpoint refused and stops; a ticket that closes
    later, a reply or a due delay no longer resume it (they only move waiting runs).
    """
    now = timezone.now()
    if not transitions.move(
        run.pk,
        "cancel",
        finished_at=now,
        lease_expires_at=None,
        waiting_for=FlowRun.Waiting.NOTHING,
        wait_until=None,
        error="Cancelled by an admin.",
    ):
        raise Conflict(
            f"Run {run.pk} is {run_status(run)}; only a queued, running or waiting run can be cancelled."
        )
    # The delay's wake-up schedule, if any, is named after the run's step (flows.nodes.delay).
    Schedule.objects.filter(func=RESUME_TASK, args=str(run.pk)).delete()
    run.refresh_from_db()
    return run


def run_status(run: FlowRun) -> str:
    return FlowRun.objects.filter(pk=run.pk).values_list("status", flat=True).first() or "gone"
