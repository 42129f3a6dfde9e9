"""A run executes the version it started on to its end, waits included."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from flows import graph, services, versions
from flows.models import Flow, FlowRun, FlowVersion
from inbox import services as inbox
from inbox.models import Message, Ticket
from studio.errors import Conflict
from tests.flows.conftest import build_flow, steps_of
from tests.flows.test_ticket_flows import chat_until_handover

pytestmark = pytest.mark.django_db


def republish(flow, nodes, edges, note="v next"):
    data = {**graph.flow_to_dict(flow), "nodes": nodes, "edges": edges}
    return graph.save_flow(bot=flow.bot, data=data, flow=flow, note=note)


def test_a_run_waiting_on_a_ticket_resumes_on_its_original_graph(bot, agent, on_commit):
    conversation, run = chat_until_handover(bot, on_commit)
    assert (run.status, run.waiting_for, run.version.number) == ("waiting", "ticket", 1)
    # Version 2 has no Raise ticket node (nor the thanks after it).
    republish(
        run.flow,
        [
            {"key": "start", "type": "start"},
            {"key": "bye", "type": "send_message", "config": {"text": "Bye"}},
        ],
        [{"source": "start", "port": "next", "target": "bye"}],
    )
    assert run.flow.versions.count() == 2
    assert not run.flow.nodes.filter(key="handover").exists()
    ticket = Ticket.objects.get(conversation=conversation)
    with on_commit():
        inbox.resolve_ticket(ticket, agent, note="Refunded")
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert steps_of(run)[-3:] == [("handover", "ticket_closed"), ("thanks", "next"), ("done", "")]
    texts = list(
        Message.objects.filter(conversation=conversation, sender="bot").values_list("text", flat=True)
    )
    assert texts[-1] == "Thanks for your patience!" and "Bye" not in texts
    # A new conversation starts on version 2.
    with on_commit():
        later = inbox.start_conversation(bot, customer={"name": "Eli"})
    new_run = FlowRun.objects.get(conversation=later)
    assert (new_run.version.number, new_run.status) == (2, "succeeded")
    assert steps_of(new_run) == [("start", "next"), ("bye", "next")]


def test_a_delayed_run_resumes_on_its_original_graph(bot, on_commit):
    flow = build_flow(
        bot, [("wait", "delay", {"days": 1}), ("after", "set_variable", {"name": "from", "value": "v1"})]
    )
    with on_commit():
        run = services.start_run(flow, trigger="manual")
    run.refresh_from_db()
    assert run.status == "waiting"
    republish(
        flow,
        [
            {"key": "start", "type": "start"},
            {"key": "other", "type": "set_variable", "config": {"name": "from", "value": "v2"}},
        ],
        [{"source": "start", "port": "next", "target": "other"}],
    )
    with on_commit():
        assert services.resume_after_delay(run.pk)
    run.refresh_from_db()
    assert (run.status, run.vars, run.version.number) == ("succeeded", {"from": "v1"}, 1)


def test_an_event_starts_only_published_versions(bot, on_commit):
    from events import services as events
    from tests.conftest import activate

    activate(bot, "ticket-closed")
    published = build_flow(bot, [], trigger={"type": "event", "event": "ticket-closed"}, name="published")
    # A flow saved without publishing (as the admin's add page or a draft does) does not start.
    Flow.objects.create(bot=bot, name="draft only", trigger_type="event", trigger_event="ticket-closed")
    with on_commit():
        occurrence = events.emit(bot, "ticket-closed", {"event": "ticket-closed"})
    assert list(occurrence.runs.values_list("flow_id", "version__number")) == [(published.pk, 1)]


def test_publishing_twice_at_once_is_a_conflict(bot):
    flow = build_flow(bot, [])
    stale = Flow.objects.get(pk=flow.pk)
    versions.publish(flow, note="first")
    with pytest.raises(Conflict):
        versions.publish_graph(stale, versions.draft_of(stale), note="second")
    assert list(FlowVersion.objects.filter(flow=flow).values_list("number", flat=True)) == [2, 1]


def test_existing_flows_become_version_1_with_their_runs(transactional_db, bot):
    executor = MigrationExecutor(connection)
    executor.migrate([("flows", "0002_run_ticket_wait_node")])
    old_apps = executor.loader.project_state([("flows", "0002_run_ticket_wait_node")]).apps
    OldFlow, OldNode, OldEdge, OldRun = (
        old_apps.get_model("flows", name) for name in ("Flow", "Node", "Edge", "FlowRun")
    )
    flow = OldFlow.objects.create(
        bot_id=bot.pk, name="Old", trigger_type="event", trigger_event="ticket-closed"
    )
    start = OldNode.objects.create(flow=flow, key="start", type="start", position_x=5)
    end = OldNode.objects.create(flow=flow, key="end", type="end")
    OldEdge.objects.create(flow=flow, source=start, port="next", target=end)
    run = OldRun.objects.create(flow=flow, trigger="event", status="waiting")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = Flow.objects.get(pk=flow.pk)
    version = migrated.published_version
    assert (version.number, migrated.version_count) == (1, 1)
    assert version.graph == {
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": [
            {"key": "start", "type": "start", "config": {}, "position": {"x": 5, "y": 0}},
            {"key": "end", "type": "end", "config": {}, "position": {"x": 0, "y": 0}},
        ],
        "edges": [{"source": "start", "port": "next", "target": "end"}],
    }
    assert migrated.draft == version.graph and not versions.has_unpublished_changes(migrated)
    assert FlowRun.objects.get(pk=run.pk).version_id == version.pk
