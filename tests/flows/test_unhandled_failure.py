"""A failure nobody handles fails the run: a `failure` or `agents_unavailable` port with no
edge. A flow that means to ignore it connects the port to an end node."""

from __future__ import annotations

import pytest

from events.models import EventOccurrence
from flows.models import FlowRun
from home.dashboard import dashboard
from inbox import services as inbox
from inbox.models import Ticket
from tests.conftest import activate
from tests.flows.conftest import build_flow, steps_of

pytestmark = pytest.mark.django_db


def handover(bot, *, edges=None, **config):
    return build_flow(
        bot,
        [("handover", "raise_ticket", {"subject": "Help", **config}), ("ignored", "end", {})],
        edges=edges or [("start", "next", "handover")],
        name="Hand over",
    )


def test_a_ticket_refused_with_no_failure_edge_fails_the_run(bot, agent, run_flow, client, admin_user):
    activate(bot, "run-failed")
    conversation = inbox.start_conversation(bot)
    run = run_flow(handover(bot, priority="whenever"), conversation=conversation)
    assert run.status == "failed"
    assert run.error.startswith("Node 'handover' (raise_ticket) failed: ")
    assert "'failure' port has no edge" in run.error
    step = run.steps.get(node_key="handover")
    assert step.port == "failure" and step.error == run.error
    assert not Ticket.objects.exists()
    occurrence = EventOccurrence.objects.get(key="run-failed")
    assert occurrence.payload["run"]["id"] == run.pk and occurrence.payload["error"] == run.error
    assert dashboard(admin_user).runs_failed == 1


def test_no_agent_available_with_no_edge_fails_the_run(bot, agent, run_flow):
    inbox.set_agent_status(agent, "offline")  # nobody online, offline queueing off: missed
    run = run_flow(handover(bot, group="billing"), conversation=inbox.start_conversation(bot))
    assert run.status == "failed"
    assert "no agent is available in group 'billing'" in run.error
    assert "'agents_unavailable' port has no edge" in run.error


def test_a_failure_port_connected_to_an_end_node_is_ignored_on_purpose(bot, agent, run_flow):
    flow = handover(
        bot,
        priority="whenever",
        edges=[("start", "next", "handover"), ("handover", "failure", "ignored")],
    )
    run = run_flow(flow, conversation=inbox.start_conversation(bot))
    assert run.status == "succeeded"
    assert steps_of(run) == [("start", "next"), ("handover", "failure"), ("ignored", "")]


def test_an_api_call_failure_with_no_edge_fails_the_run_with_its_error(bot, run_flow, httpserver, settings):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0
    httpserver.expect_request("/down").respond_with_data("no", status=404)
    flow = build_flow(bot, [("call", "api_call", {"url": httpserver.url_for("/down"), "retries": 0})])
    run = run_flow(flow)
    assert run.status == "failed" and "Node 'call' (api_call) failed: HTTP 404" in run.error
    assert FlowRun.objects.filter(status="failed").count() == 1
