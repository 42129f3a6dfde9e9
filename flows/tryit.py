"""Test runs ("Try it" in the builder): a flow's draft or published version, run on a sample
event, marked `trigger=test` so it emits no run-failed and stays out of the figures."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from flows import dry_run as dry_runs
from flows import services, tasks, versions
from flows.models import Flow, FlowRun
from studio.errors import Conflict, InvalidInput
from studio.queue import enqueue_on_commit

log = logging.getLogger(__name__)
SOURCES = ("draft", "published")


@transaction.atomic
def start_test_run(
    flow: Flow,
    *,
    event: dict[str, Any] | None = None,
    dry_run: bool = True,
    source: str = "draft",
    dry_run_ports: dict[str, str] | None = None,
) -> FlowRun:
    """Start a test run. A dry run executes right after the request commits (it waits on
    nothing and calls nothing, so the builder can poll its steps at once); a real one goes
    through the queue like any run."""
    event = event or {}
    if source not in SOURCES:
        raise InvalidInput("source is draft or published.", field="source")
    flow = Flow.objects.select_related("published_version").get(pk=flow.pk)
    if source == "published":
        if flow.published_version is None:
            raise Conflict(f"Flow {flow.name!r} has no published version yet.")
        graph, links = flow.published_version.graph, {"version": flow.published_version}
    else:
        graph = versions.draft_of(flow)
        if problems := versions.problems_of(flow, graph):
            raise versions.DraftInvalid(problems)
        links = {"graph": graph}
    ports = dry_run_ports or {}
    types = {n["key"]: n["type"] for n in graph["nodes"]}
    if problems := dry_runs.port_problems(types, ports):
        raise InvalidInput(problems[0], field="dry_run_ports")
    run = FlowRun.objects.create(
        flow=flow,
        trigger=FlowRun.Trigger.TEST,
        context={"event": event},
        dry_run=dry_run,
        dry_run_ports=ports if dry_run else {},
        **links,
        **services.event_links(flow.bot_id, event),
    )
    if dry_run:
        transaction.on_commit(lambda: _execute_now(run.pk))
    else:
        enqueue_on_commit(services.EXECUTE_TASK, run.pk)
    return run


def _execute_now(run_id: int) -> None:
    try:
        tasks.execute_run(run_id)
    except Exception:  # the request has committed; the sweeper picks the run up again
        log.exception("test run %s could not execute in the request", run_id)
