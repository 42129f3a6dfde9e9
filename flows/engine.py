"""The graph walker: executes a claimed run node by node until it waits, ends or fails.

Checkpoints. A node with effects outside the run (a call, a message, a row, a task: every
type not declared `pure`) is recorded before the next node starts: its step is written in the
same transaction that advances the run (current node, vars, step count, lease). The steps of
pure nodes (start, condition, set_variable, database find, end) are buffered in memory and
written in one bulk insert with the next checkpoint: right before the next side-effecting
node executes, when the run waits, ends or fails (and at least every lease/3 seconds). A
worker that dies mid-run leaves the run `running`; the sweeper re-queues it after its lease
and the next worker continues from the last checkpoint. Pure nodes after it run again, which
changes nothing outside the run; a side-effecting node whose step was recorded is never
executed again. (The node that was executing when the worker died runs again: its side
effects are at least once, which is why api_call sends an Idempotency-Key derived from the
step, stable across that redo: the checkpoint before it fixes its step number.)

The conditional update `status=running, step_count=<last recorded>` is the guard against two
workers walking one run (a lease that expired under a slow worker): the loser's steps roll
back and it stops. The lease is renewed at every checkpoint.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from flows import context as run_context
from flows import dry_run, nodes, runrows, services, signals, transitions
from flows.models import FlowRun, FlowVersion, RunStep
from flows.nodes.base import Context, NodeError, Outcome
from flows.signals import RUN_FAILED

log = logging.getLogger(__name__)

MAX_VARS_BYTES = 256 * 1024
MAX_OUTPUT_BYTES = 32 * 1024


class LostRun(Exception):
    """Another worker (or a cancel) changed the run under us; stop without writing."""


class ConnectionLost(Exception):
    """The database connection broke mid-run; `attempts` is this execution's claim, so the
    worker can take the run up again once the database answers (flows.tasks.execute_run)."""

    def __init__(self, run_id: int, attempts: int) -> None:
        super().__init__(f"run {run_id}: the database connection was lost")
        self.run_id, self.attempts = run_id, attempts


@dataclass
class Graph:
    nodes: dict[str, Any]  # key -> Node
    edges: dict[tuple[str, str], str]  # (source key, port) -> target key
    start: str | None


def load_graph(flow) -> Graph:
    """The flow's graph, loaded once per process and flow version.

    Every change to a flow's nodes or edges goes through flows.graph.save_flow or the admin,
    both of which save the Flow, so (pk, updated_at) names one version of the graph. Nodes
    are shared between runs: node types read their config, never change it.
    """
    key = (flow.pk, flow.updated_at)
    graph = _graphs.get(key)
    if graph is None:
        graph = _graphs[key] = _load_graph(flow)
        while len(_graphs) > GRAPH_CACHE_SIZE:
            _graphs.pop(next(iter(_graphs)))  # the oldest version loaded
    return graph


GRAPH_CACHE_SIZE = 256
_graphs: dict[tuple[Any, Any], Graph] = {}


def _load_graph(flow) -> Graph:
    # order_by("id"): Meta.ordering ("flow", "id") would join Flow (and Bot) to sort.
    node_list = list(flow.nodes.order_by("id"))
    keys = {n.pk: n.key for n in node_list}
    edges = {(keys[e.source_id], e.port): keys[e.target_id] for e in flow.edges.order_by("id")}
    start = next((n.key for n in node_list if n.type == "start"), None)
    return Graph({n.key: n for n in node_list}, edges, start)


@dataclass(frozen=True)
class GraphNode:
    """A node of a version's (or a test run's) graph, as the walk reads it."""

    key: str
    type: str
    config: dict[str, Any]


def run_graph(flow_run: FlowRun) -> Graph:
    """The graph the run executes: its version's (cached: versions never change), or the
    draft snapshot a test run carries; runs from before versions fall back to the flow's rows."""
    if flow_run.version_id is not None:
        # A version never changes, but its id can come back after a rolled-back publish
        # (SQLite reuses it): its publishing time tells the two apart.
        key = ("version", flow_run.version_id, flow_run.version.published_at)
        graph = _graphs.get(key)
        if graph is None:
            data = FlowVersion.objects.filter(pk=flow_run.version_id).values_list("graph", flat=True).get()
            graph = _graphs[key] = graph_from(data)
            while len(_graphs) > GRAPH_CACHE_SIZE:
                _graphs.pop(next(iter(_graphs)))  # the oldest version loaded
        return graph
    if flow_run.graph is not None:
        return graph_from(flow_run.graph)
    return load_graph(flow_run.flow)


def graph_from(data: dict[str, Any]) -> Graph:
    node_map = {
        n["key"]: GraphNode(n["key"], n["type"], n.get("config") or {}) for n in data.get("nodes", [])
    }
    edges = {(e["source"], e["port"]): e["target"] for e in data.get("edges", [])}
    start = next((n.key for n in node_map.values() if n.type == "start"), None)
    return Graph(node_map, edges, start)


def max_steps() -> int:
    return int(getattr(settings, "FLOW_MAX_STEPS", 200))


@dataclass
class _Walk:
    """The run's state as this execution sees it, ahead of what is recorded.

    `flow_run` holds what the database holds (step_count is the guard's expected value);
    `pending` are the steps of pure nodes executed since the last checkpoint.
    """

    flow_run: FlowRun
    graph: Graph
    base: dict[str, Any]  # event, ticket, customer, conversation: fixed during one execution
    current: str | None
    vars: dict[str, Any]
    seq: int
    pending: list[RunStep] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # JSON size of each var, for the limit
    checkpointed: float = field(default_factory=time.monotonic)


def run(run_id: int, *, claimed: FlowRun | None = None) -> str:
    """Walk a claimed (running) run; returns its status when this execution stops.

    `claimed` is the run as the claim returned it (flows.services.claim); without it the run
    is loaded here."""
    flow_run = claimed if claimed is not None else runrows.load(run_id)
    if flow_run is None or flow_run.status != FlowRun.Status.RUNNING:
        return flow_run.status if flow_run else "gone"
    try:
        return _walk(flow_run, run_graph(flow_run))
    except LostRun:
        log.info("run %s was taken over or cancelled; this worker stops", run_id)
        return "lost"
    except (OperationalError, InterfaceError) as exc:
        # What is recorded is the last checkpoint; the run is still ours (running, our claim).
        raise ConnectionLost(run_id, flow_run.attempts) from exc


def _walk(flow_run: FlowRun, graph: Graph) -> str:
    data = run_context.build(flow_run)
    walk = _Walk(
        flow_run,
        graph,
        base={k: v for k, v in data.items() if k != "vars"},
        current=flow_run.current_node or graph.start,
        vars=data["vars"],
        seq=flow_run.step_count,
    )
    walk.sizes = _sizes(walk.vars)
    if flow_run.lease_takeovers > services.max_takeovers():
        return _fail(
            walk,
            f"The run was taken over {flow_run.lease_takeovers} times from workers that stopped "
            f"answering within its {services.lease_seconds()} s lease at node {walk.current!r} "
            "(a worker killed, out of memory, or a node outlasting the task timeout); it is failed "
            "rather than tried again. Fix the cause, then Replay it.",
        )
    for _ in range(max_steps()):
        node = graph.nodes.get(walk.current or "")
        if node is None:
            missing = walk.current or "start"
            return _fail(walk, f"The flow has no node {missing!r} (was it edited while the run waited?).")
        status = _step(walk, node)
        if status is not None:
            return status
    return _fail(
        walk,
        f"Stopped after {max_steps()} steps in one go: the flow loops without waiting "
        f"(last node {walk.current!r}). Add a question or delay node to the loop, or raise FLOW_MAX_STEPS.",
    )


def _execute(flow_run: FlowRun, node_type, node, ctx: Context) -> Outcome:
    if flow_run.resume_port:
        # Leaving a waiting node: the event it waited on has happened.
        if node_type.resume is not None:
            return node_type.resume(ctx, node.config, flow_run.resume_port)
        return Outcome(port=flow_run.resume_port, outputs={"resumed": flow_run.resume_port})
    if flow_run.dry_run and not node_type.is_pure(node.config):
        return dry_run.outcome(ctx, node_type, node.config, flow_run.dry_run_ports.get(node.key))
    return node_type.execute(ctx, node.config)


def _step(walk: _Walk, node) -> str | None:
    """Execute one node and record (or buffer) it; None means: go on with walk.current."""
    node_type = nodes.get(node.type)
    # Resuming a waiting node is checkpointed too: it clears resume_port.
    usual = node_type is not None and not walk.flow_run.resume_port
    pure = usual and node_type.is_pure(node.config)
    atomic = usual and not pure and node_type.is_atomic(node.config)
    if atomic:
        # Its only effects are rows of this database: they commit with its step and the
        # pending ones (one transaction instead of three), or roll back with them.
        with transaction.atomic():
            return _run_node(walk, node, node_type, record=True)
    if not pure or time.monotonic() - walk.checkpointed > services.lease_seconds() / 3:
        _checkpoint(walk)  # the side effect below must not be redone once its step is recorded
    return _run_node(walk, node, node_type, record=not pure)


def _run_node(walk: _Walk, node, node_type, *, record: bool) -> str | None:
    flow_run = walk.flow_run
    seq = walk.seq + 1
    ctx = Context(run=flow_run, node_key=node.key, seq=seq, data={**walk.base, "vars": dict(walk.vars)})
    started, clock = timezone.now(), time.perf_counter()
    try:
        if node_type is None:
            raise NodeError(f"unknown node type {node.type!r}")
        outcome = _execute(flow_run, node_type, node, ctx)
        new_vars = {**ctx.vars, **outcome.vars}
        sizes = _check_size(walk.sizes, outcome.vars)
    except NodeError as exc:
        error = f"Node {node.key!r} ({node.type}) failed: {exc}"
        return _fail(walk, error, step=_step_row(flow_run, seq, node, started, clock, error=error))
    except DatabaseError:
        raise  # transient: the run stays running and the sweeper retries it after the lease
    except Exception as exc:  # a bug in a node: fail this run clearly rather than retry forever
        log.exception("node %s of run %s crashed", node.key, flow_run.pk)
        error = f"Node {node.key!r} ({node.type}) crashed: {type(exc).__name__}: {exc}"
        return _fail(walk, error, step=_step_row(flow_run, seq, node, started, clock, error=error))
    step = _step_row(flow_run, seq, node, started, clock, port=outcome.port or "", output=outcome.outputs)
    walk.seq, walk.vars, walk.sizes = seq, new_vars, sizes
    walk.pending.append(step)
    target = walk.graph.edges.get((node.key, outcome.port)) if outcome.port else None
    if outcome.wait:
        step.output = {**step.output, "waiting_for": outcome.wait}
        if target is None:
            return _wait(walk, current=node.key, wait=outcome)
        # Raise ticket's `ticket_created`: that branch runs first (e.g. "an agent is on the
        # way"); the run waits on the ticket at this node when the branch ends.
        walk.current = target
        _save(
            walk,
            **_changed_vars(walk),
            current_node=target,
            resume_port="",
            lease_expires_at=_lease(),
            ticket_wait_node=node.key,
            **outcome.links,
        )
        return None
    if target is None:
        if outcome.port in UNHANDLED_FAILURE_PORTS:
            # Nobody handles it: the run fails, loudly, rather than ending green. A flow that
            # means to ignore it connects the port to an `end` node.
            step.error = _unhandled(node, outcome)[:5000]
            return _fail(walk, step.error)
        if walk.flow_run.ticket_wait_node:
            return _wait(walk, current=walk.flow_run.ticket_wait_node, wait=Outcome(wait="ticket"))
        return _advance(walk, current=node.key, finished=True)
    walk.current = target
    if record:
        _advance(walk, current=target)
    return None


# Ports meaning "this did not happen"; with no edge they fail the run instead of ending it.
UNHANDLED_FAILURE_PORTS = frozenset({"failure", "agents_unavailable"})


def _unhandled(node, outcome: Outcome) -> str:
    detail = outcome.outputs.get("error") or (
        "no agent is available"
        + (f" in group {outcome.outputs['group']!r}" if outcome.outputs.get("group") else "")
        if outcome.port == "agents_unavailable"
        else "it failed"
    )
    return (
        f"Node {node.key!r} ({node.type}) failed: {detail} (its {outcome.port!r} port has no edge; "
        "connect it to an end node to ignore this)"
    )


def _sizes(variables: dict[str, Any]) -> dict[str, int]:
    # '"key": value, ' per item: the sum is the size of json.dumps(vars) (give or take 2).
    return {k: len(json.dumps(k)) + len(json.dumps(v, default=str)) + 4 for k, v in variables.items()}


def _check_size(sizes: dict[str, int], changed: dict[str, Any]) -> dict[str, int]:
    """The vars' sizes once `changed` (a node's Outcome.vars) is merged; serializes only that."""
    if changed:
        sizes = {**sizes, **_sizes(changed)}
    size = sum(sizes.values())
    if size > MAX_VARS_BYTES:
        raise NodeError(f"the run's vars would take {size} bytes, more than {MAX_VARS_BYTES}")
    return sizes


def _bounded(output: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(output, default=str)
    if len(text) <= MAX_OUTPUT_BYTES:
        return json.loads(text)
    return {"truncated": True, "preview": text[: MAX_OUTPUT_BYTES // 2]}


def _step_row(flow_run, seq, node, started, clock, *, port="", output=None, error="") -> RunStep:
    return RunStep(
        run=flow_run,
        seq=seq,
        node_key=node.key,
        node_type=node.type,
        port=port,
        started_at=started,
        duration_ms=round((time.perf_counter() - clock) * 1000, 3),
        output=_bounded(output or {}),
        error=error[:5000],
    )


# The status a save moves the run to -> its transition (no status: a checkpoint).
_TRIGGER_FOR = {
    FlowRun.Status.WAITING: "wait",
    FlowRun.Status.SUCCEEDED: "succeed",
    FlowRun.Status.FAILED: "fail",
}


def _save(walk: _Walk, **fields: Any) -> None:
    """Write the pending steps and the run's new state at once, or neither (LostRun)."""
    flow_run, steps = walk.flow_run, walk.pending
    expected = flow_run.step_count
    if steps:
        fields["step_count"] = steps[-1].seq
        if flow_run.lease_takeovers:
            fields["lease_takeovers"] = 0  # progress: only takeovers in a row count
    trigger = _TRIGGER_FOR.get(fields.get("status"), "checkpoint")
    fields.pop("status", None)
    failed = trigger == "fail"
    # The move and its steps are one statement on PostgreSQL, committed by itself; what a
    # finish writes besides (run-failed, a conversation's end) commits with it.
    follow_up = failed or (trigger == "succeed" and services.finishing_writes(flow_run))
    try:
        with transaction.atomic(savepoint=False) if follow_up else nullcontext():
            moved = runrows.record(flow_run.pk, trigger, expected_steps=expected, fields=fields, steps=steps)
            if not moved:  # cancelled, or taken over by another worker
                raise LostRun()
            flow_run.status = transitions.MACHINE.target(trigger)
            for name, value in fields.items():
                setattr(flow_run, name, value)
            if failed:
                _emit_failed(flow_run)
            if trigger in ("succeed", "fail"):
                services.on_run_finished(flow_run)
    except IntegrityError as exc:  # the step number was taken by another worker
        raise LostRun() from exc
    walk.pending = []
    walk.checkpointed = time.monotonic()


def _changed_vars(walk: _Walk) -> dict[str, Any]:
    """{"vars": ...} when they differ from what is recorded, else nothing: a save after nodes
    that set no variable (a finish after an api_call saved its response) need not encode
    and write them again. What is recorded is the claim's row plus this execution's saves
    (the step-count guard keeps anyone else from writing the run meanwhile)."""
    return {"vars": walk.vars} if walk.vars != walk.flow_run.vars else {}


def _lease() -> Any:
    return timezone.now() + timedelta(seconds=services.lease_seconds())


def _checkpoint(walk: _Walk) -> None:
    """Record the buffered steps of pure nodes (and renew the lease) before a side effect."""
    if walk.pending:
        _save(
            walk,
            **_changed_vars(walk),
            current_node=walk.current or "",
            resume_port="",
            lease_expires_at=_lease(),
        )


def _advance(walk: _Walk, *, current, wait: Outcome | None = None, finished=False) -> str | None:
    fields: dict[str, Any] = {**_changed_vars(walk), "current_node": current, "resume_port": ""}
    if wait is not None:
        fields.update(
            status=FlowRun.Status.WAITING,
            waiting_for=wait.wait,
            wait_until=wait.wait_until,
            lease_expires_at=None,
            **wait.links,
        )
        if wait.wait == FlowRun.Waiting.TICKET:
            fields["ticket_wait_node"] = ""  # the branch before this wait, if any, has ended
    elif finished:
        fields.update(status=FlowRun.Status.SUCCEEDED, finished_at=timezone.now(), lease_expires_at=None)
    else:
        fields["lease_expires_at"] = _lease()
    _save(walk, **fields)
    return walk.flow_run.status if (wait is not None or finished) else None


def _wait(walk: _Walk, *, current: str, wait: Outcome) -> str:
    status = _advance(walk, current=current, wait=wait)
    if wait.wait == FlowRun.Waiting.TICKET:
        services.resume_if_ticket_closed(walk.flow_run)  # closed while we were getting here
    return status


def _fail(walk: _Walk, error: str, *, step: RunStep | None = None) -> str:
    """Fail the run; the pending steps are recorded, then the failing one (replay starts there)."""
    if step is not None:
        walk.pending.append(step)
    fields: dict[str, Any] = {
        "status": FlowRun.Status.FAILED,
        "error": error,
        "finished_at": timezone.now(),
        "lease_expires_at": None,
    }
    if walk.pending:
        # resume_port stays: a resumed node that fails is replayed as a resume again
        fields.update(**_changed_vars(walk), current_node=walk.current or "")
    _save(walk, **fields)
    return FlowRun.Status.FAILED


def _emit_failed(flow_run: FlowRun) -> None:
    if flow_run.occurrence_id and flow_run.occurrence.key == RUN_FAILED:
        return  # a flow handling run-failed that fails itself would otherwise loop forever
    if flow_run.trigger == FlowRun.Trigger.TEST:
        return  # the builder shows a test run's failure; it is nobody's alert
    flow = flow_run.flow
    signals.run_failed.send(
        sender=FlowRun,
        run=flow_run,
        bot=flow.bot,
        key=RUN_FAILED,
        payload={
            "event": RUN_FAILED,
            "occurred_at": timezone.now().isoformat(),
            "bot": {"id": flow.bot_id, "name": flow.bot.name},
            "run": {"id": flow_run.pk, "trigger": flow_run.trigger, "node": flow_run.current_node},
            "flow": {"id": flow.pk, "name": flow.name},
            "error": flow_run.error,
            "ticket": {"id": flow_run.ticket_id} if flow_run.ticket_id else None,
            "conversation": {"id": flow_run.conversation_id} if flow_run.conversation_id else None,
        },
    )
