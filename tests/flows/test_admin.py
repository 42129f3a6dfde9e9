"""The flows admin: JSON import/export, whole-graph validation of inline edits, Replay."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from flows.models import Edge, Flow, FlowRun
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db

FLOW = {
    "name": "Imported",
    "trigger": {"type": "event", "event": "ticket-closed"},
    "nodes": [
        {"key": "start", "type": "start", "config": {}, "position": {"x": 0, "y": 0}},
        {"key": "say", "type": "send_message", "config": {"text": "Bye {{ customer.name }}"}},
    ],
    "edges": [{"source": "start", "port": "next", "target": "say"}],
}


def test_import_json_creates_the_flow(staff, bot):
    url = reverse("admin:flows_flow_import")
    assert "Import JSON" in staff.get(reverse("admin:flows_flow_changelist")).content.decode()
    response = staff.post(url, {"bot": bot.pk, "data": json.dumps(FLOW)})
    flow = Flow.objects.get(name="Imported")
    assert response.status_code == 302 and response.url == reverse("admin:flows_flow_change", args=[flow.pk])
    assert flow.trigger == {"type": "event", "event": "ticket-closed"} and flow.nodes.count() == 2


def test_import_json_shows_the_graph_errors_as_form_errors(staff, bot):
    bad = {**FLOW, "edges": [{"source": "start", "port": "nowhere", "target": "say"}]}
    response = staff.post(reverse("admin:flows_flow_import"), {"bot": bot.pk, "data": json.dumps(bad)})
    assert response.status_code == 200
    assert "has no port &#x27;nowhere&#x27;" in response.content.decode()
    response = staff.post(reverse("admin:flows_flow_import"), {"bot": bot.pk, "data": "{not json"})
    assert "Not valid JSON" in response.content.decode()
    assert not Flow.objects.exists()


def test_export_downloads_the_flow_in_the_api_shape(staff, bot):
    flow = build_flow(bot, [("say", "send_message", {"text": "Hi"})])
    response = staff.get(reverse("admin:flows_flow_export", args=[flow.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="flow-{flow.pk}.json"'
    data = json.loads(response.content)
    assert data["nodes"][1] == {
        "key": "say",
        "type": "send_message",
        "config": {"text": "Hi"},
        "position": {"x": 0, "y": 0},
    }
    assert data["edges"] == [{"source": "start", "port": "next", "target": "say"}]
    assert "Export JSON" in staff.get(reverse("admin:flows_flow_change", args=[flow.pk])).content.decode()


def inline_post(flow, *, edge_port="next", delete_node=None):
    nodes = list(flow.nodes.order_by("id"))
    edges = list(flow.edges.order_by("id"))
    data = {
        "bot": flow.bot_id,
        "name": flow.name,
        "description": "",
        "is_active": "on",
        "trigger_type": flow.trigger_type,
        "trigger_event": flow.trigger_event,
        "trigger_keywords": "[]",
        "nodes-TOTAL_FORMS": len(nodes),
        "nodes-INITIAL_FORMS": len(nodes),
        "nodes-MIN_NUM_FORMS": 0,
        "nodes-MAX_NUM_FORMS": 1000,
        "edges-TOTAL_FORMS": len(edges),
        "edges-INITIAL_FORMS": len(edges),
        "edges-MIN_NUM_FORMS": 0,
        "edges-MAX_NUM_FORMS": 1000,
    }
    for i, node in enumerate(nodes):
        data.update(
            {
                f"nodes-{i}-id": node.pk,
                f"nodes-{i}-flow": flow.pk,
                f"nodes-{i}-key": node.key,
                f"nodes-{i}-type": node.type,
                f"nodes-{i}-config": json.dumps(node.config),
                f"nodes-{i}-position_x": 0,
                f"nodes-{i}-position_y": 0,
            }
        )
        if node.key == delete_node:
            data[f"nodes-{i}-DELETE"] = "on"
    for i, edge in enumerate(edges):
        data.update(
            {
                f"edges-{i}-id": edge.pk,
                f"edges-{i}-flow": flow.pk,
                f"edges-{i}-source": edge.source_id,
                f"edges-{i}-port": edge_port,
                f"edges-{i}-target": edge.target_id,
            }
        )
    return data


def test_inline_edits_are_validated_as_a_whole_graph(staff, bot):
    flow = build_flow(bot, [("say", "send_message", {"text": "Hi"})])
    url = reverse("admin:flows_flow_change", args=[flow.pk])
    response = staff.post(url, inline_post(flow, edge_port="sideways"))
    assert response.status_code == 200
    assert "has no port &#x27;sideways&#x27;" in response.content.decode()
    assert Edge.objects.get(flow=flow).port == "next"
    response = staff.post(url, inline_post(flow, delete_node="say"))
    assert response.status_code == 200 and "does not exist" in response.content.decode()
    assert flow.nodes.count() == 2
    response = staff.post(url, inline_post(flow))
    assert response.status_code == 302


def test_a_failed_run_has_a_replay_button(staff, bot, django_capture_on_commit_callbacks):
    flow = build_flow(bot, [("check", "condition", {"expression": "vars.ready"})])
    from flows import services

    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(flow, trigger="manual")
    run.refresh_from_db()
    page = staff.get(reverse("admin:flows_flowrun_change", args=[run.pk])).content.decode()
    assert 'run-status run-failed">Failed<' in page and "has no attribute" in page
    assert 'id="replay-run"' in page
    FlowRun.objects.filter(pk=run.pk).update(vars={"ready": True})
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("admin:flows_flowrun_replay", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert (
        'id="replay-run"'
        not in staff.get(reverse("admin:flows_flowrun_change", args=[run.pk])).content.decode()
    )
    response = staff.post(reverse("admin:flows_flowrun_replay", args=[run.pk]), follow=True)
    assert "only a failed run can be replayed" in response.content.decode()
