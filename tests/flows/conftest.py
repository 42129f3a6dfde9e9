"""Helpers to build small flows and run them the way the queue would."""

from __future__ import annotations

from typing import Any

import pytest

from flows import graph, services
from flows.models import FlowRun


def build_flow(
    bot,
    steps: list[tuple[str, str, dict]],
    edges: list[tuple[str, str, str]] | None = None,
    *,
    name: str = "test flow",
    trigger: dict | None = None,
    active: bool = True,
):
    """`steps` are (key, type, config); without `edges`, they are chained by their first port."""
    from flows import nodes

    nodes_data = [{"key": "start", "type": "start", "config": {}}]
    nodes_data += [{"key": k, "type": t, "config": c} for k, t, c in steps]
    if edges is None:
        edges, previous, prev_type = [], "start", "start"
        for key, node_type, _ in steps:
            port = "next" if previous == "start" else nodes.get(prev_type).ports[0]
            edges.append((previous, port, key))
            previous, prev_type = key, node_type
    return graph.save_flow(
        bot=bot,
        data={
            "name": name,
            "is_active": active,
            "trigger": trigger or {"type": "manual"},
            "nodes": nodes_data,
            "edges": [{"source": s, "port": p, "target": t} for s, p, t in edges],
        },
    )


@pytest.fixture
def run_flow(django_capture_on_commit_callbacks):
    """Start a manual run (optionally linked to a conversation) and execute it inline."""

    def run(flow, context: dict[str, Any] | None = None, **links: Any) -> FlowRun:
        with django_capture_on_commit_callbacks(execute=True):
            flow_run = services.start_run(
                flow, trigger=FlowRun.Trigger.MANUAL, context=context or {}, **links
            )
        flow_run.refresh_from_db()
        return flow_run

    return run


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a block the way a request would: its enqueued tasks execute when it commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def steps_of(run: FlowRun) -> list[tuple[str, str]]:
    return list(run.steps.order_by("seq").values_list("node_key", "port"))


@pytest.fixture
def staff(client, admin_user):
    """A superuser's browser session on the admin."""
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client
