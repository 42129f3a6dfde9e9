"""The flows admin: the builder page, adding a flow, JSON import/export, Replay."""

from __future__ import annotations

import json
import re

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


def test_the_flow_page_is_the_builder_and_has_no_inlines(staff, bot):
    flow = build_flow(bot, [("say", "send_message", {"text": "Hi"})])
    body = staff.get(reverse("admin:flows_flow_change", args=[flow.pk])).content.decode()
    assert 'id="flow-builder-config" type="application/json"' in body
    assert "flows/vendor/drawflow/drawflow.min.js" in body and "flows/builder/main.js" in body
    assert "nodes-TOTAL_FORMS" not in body and "edges-TOTAL_FORMS" not in body
    # No inline script: the page's own scripts are all files (a strict CSP allows only these).
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body) == []
    assert f'href="/admin/flows/flow/{flow.pk}/change/" class="open-builder"' in (
        staff.get(reverse("admin:flows_flow_changelist")).content.decode()
    )


def test_adding_a_flow_opens_its_builder(staff, bot):
    response = staff.post(
        reverse("admin:flows_flow_add"), {"bot": bot.pk, "name": "CRM sync", "description": ""}
    )
    flow = Flow.objects.get(name="CRM sync")
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:flows_flow_change", args=[flow.pk]
    )
    assert flow.nodes.count() == 0 and flow.trigger == {"type": "manual"}


def test_the_form_under_the_builder_changes_the_name_and_leaves_the_graph(staff, bot):
    flow = build_flow(bot, [("say", "send_message", {"text": "Hi"})])
    url = reverse("admin:flows_flow_change", args=[flow.pk])
    response = staff.post(url, {"name": "Renamed", "description": "why", "is_active": "on"})
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.name == "Renamed" and flow.nodes.count() == 2 and Edge.objects.filter(flow=flow).count() == 1


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
