"""Test runs from the builder: dry runs act on nothing, test runs count nowhere."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from events.models import EventOccurrence
from flows.models import Flow, FlowRun
from home.dashboard import dashboard
from inbox.models import Message, Ticket
from tables.models import Row
from tests.conftest import activate

pytestmark = pytest.mark.django_db

START = {"key": "start", "type": "start", "config": {}}


def billing_draft(url):
    return {
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": [
            START,
            {
                "key": "is_billing",
                "type": "condition",
                "config": {"expression": "event.ticket.category == 'billing'"},
            },
            {
                "key": "api_call_2",
                "type": "api_call",
                "config": {
                    "method": "POST",
                    "url": url,
                    "headers": {
                        "Authorization": "Bearer {{ event.token }}",
                        "X-Ticket": "{{ event.ticket.id }}",
                    },
                    "body": {"ticket": "{{ event.ticket.id }}", "subject": "{{ event.ticket.subject }}"},
                    "save_as": "crm",
                },
            },
            {
                "key": "ok",
                "type": "set_variable",
                "config": {"name": "result", "value": "{{ vars.crm.status }}"},
            },
            {"key": "ko", "type": "end", "config": {"status": "failed", "message": "CRM down"}},
        ],
        "edges": [
            {"source": "start", "port": "next", "target": "is_billing"},
            {"source": "is_billing", "port": "true", "target": "api_call_2"},
            {"source": "api_call_2", "port": "success", "target": "ok"},
            {"source": "api_call_2", "port": "failure", "target": "ko"},
        ],
    }


EVENT = {"token": "s3cret", "ticket": {"id": 7, "subject": "Charged twice", "category": "billing"}}


@pytest.fixture
def flow(admin_api, bot, httpserver):
    """Published as a plain start -> end; the draft is the billing flow."""
    body = {"bot": bot.pk, "name": "Billing to CRM", "nodes": [START], "edges": []}
    created = admin_api.post("/api/flows/", body, format="json").json()
    response = admin_api.put(
        f"/api/flows/{created['id']}/draft/", billing_draft(httpserver.url_for("/crm")), format="json"
    )
    assert response.json()["problems"] == []
    return Flow.objects.get(pk=created["id"])


@pytest.fixture
def try_it(admin_api, django_capture_on_commit_callbacks):
    def post(flow, **body):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_api.post(f"/api/flows/{flow.pk}/test/", body, format="json")
        if response.status_code != 202:
            return response
        return admin_api.get(f"/api/runs/{response.json()['run']}/").json()

    return post


def test_a_dry_run_of_the_draft_shows_what_would_be_sent_and_sends_nothing(flow, try_it, httpserver):
    run = try_it(flow, event=EVENT)
    assert (run["status"], run["trigger"], run["version"], run["dry_run"]) == (
        "succeeded",
        "test",
        None,
        True,
    )
    assert [(s["node"], s["port"]) for s in run["steps"]] == [
        ("start", "next"),
        ("is_billing", "true"),
        ("api_call_2", "success"),
        ("ok", "next"),
    ]
    output = run["steps"][2]["output"]
    assert output["dry_run"] is True
    assert output["request"] == {
        "method": "POST",
        "url": httpserver.url_for("/crm"),
        "headers": {"Authorization": "[redacted]", "X-Ticket": "7"},
        "body": {"ticket": 7, "subject": "Charged twice"},
        "sign": False,
    }
    assert "s3cret" not in json.dumps(run["steps"])
    assert run["vars"]["result"] == 200  # the stand-in response
    assert httpserver.log == []


def test_the_user_picks_the_port_a_dry_run_leaves_by(flow, try_it):
    run = try_it(flow, event=EVENT, dry_run_ports={"api_call_2": "failure"})
    assert [(s["node"], s["port"]) for s in run["steps"]][-2:] == [("api_call_2", "failure"), ("ko", "")]
    assert run["status"] == "failed" and run["error"].endswith("CRM down")


def test_a_failed_test_run_emits_no_run_failed_and_counts_nowhere(flow, try_it, bot, admin_api):
    activate(bot, "run-failed")
    run = try_it(flow, event=EVENT, dry_run_ports={"api_call_2": "failure"})
    assert run["status"] == "failed"
    assert not EventOccurrence.objects.filter(key="run-failed").exists()
    figures = dashboard()
    assert (figures.runs_failed, figures.last_failures) == (0, [])
    assert admin_api.get("/api/runs/").json()["count"] == 0
    listed = admin_api.get("/api/runs/?trigger=test").json()
    assert [r["id"] for r in listed["results"]] == [run["id"]]
    stats = admin_api.get(f"/api/flows/{flow.pk}/stats/?days=1").json()
    assert stats["days"][0]["failed"] == 0 and stats["recent_failures"] == []


def test_bad_test_requests_are_400s(flow, try_it, admin_api):
    response = try_it(flow, event=EVENT, dry_run_ports={"api_call_2": "sideways"})
    assert response.status_code == 400 and "sideways" in json.dumps(response.json())
    response = try_it(flow, event=EVENT, dry_run_ports={"ghost": "next"})
    assert response.status_code == 400 and "ghost" in json.dumps(response.json())
    assert try_it(flow, event=[1]).status_code == 400
    assert try_it(flow, source="elsewhere").status_code == 400
    assert try_it(flow, dry_run="yes").status_code == 400
    draft = admin_api.get(f"/api/flows/{flow.pk}/draft/").json()
    draft["nodes"][2]["config"].pop("url")
    admin_api.put(f"/api/flows/{flow.pk}/draft/", draft, format="json")
    response = try_it(flow, event=EVENT)
    assert response.status_code == 400
    assert response.json()["problems"][0] == {
        "node": "api_call_2",
        "field": "url",
        "message": "'url' is a required property",
    }
    assert not FlowRun.objects.exists()


def test_a_real_test_run_calls_and_the_published_source_runs_the_version(flow, try_it, httpserver):
    httpserver.expect_request("/crm", method="POST").respond_with_json({"ok": True})
    run = try_it(flow, event=EVENT, dry_run=False)
    assert (run["status"], run["dry_run"]) == ("succeeded", False)
    assert len(httpserver.log) == 1 and json.loads(httpserver.log[0][0].data)["ticket"] == 7
    published = try_it(flow, event=EVENT, source="published")
    assert (published["version"], [s["node"] for s in published["steps"]]) == (1, ["start"])


def test_nodes_with_effects_do_nothing_in_a_dry_run(admin_api, bot, try_it):
    conversation = admin_api.post(
        "/api/conversations/", {"bot": bot.pk, "customer": {"name": "Dana"}}, format="json"
    ).json()
    nodes = [
        START,
        {"key": "hello", "type": "send_message", "config": {"text": "Hi {{ customer.name }}"}},
        {"key": "ask", "type": "question", "config": {"text": "Why?", "save_as": "why"}},
        {
            "key": "handover",
            "type": "raise_ticket",
            "config": {"subject": "Help {{ vars.why }}", "category": "billing"},
        },
        {
            "key": "row",
            "type": "database",
            "config": {"table": "log", "operation": "insert", "values": {"t": "{{ vars.ticket.subject }}"}},
        },
        {
            "key": "mail",
            "type": "send_email",
            "config": {"to": "ops@example.com", "subject": "Closed", "body": "Done"},
        },
        {"key": "wait", "type": "delay", "config": {"days": 1}},
        {"key": "jump", "type": "jump_to_flow", "config": {"flow": "Chat"}},
    ]
    keys = [n["key"] for n in nodes]
    ports = ["next", "next", "answered", "ticket_closed", "success", "sent", "next"]
    edges = [{"source": s, "port": p, "target": t} for s, p, t in zip(keys, ports, keys[1:], strict=False)]
    body = {
        "bot": bot.pk,
        "name": "Chat",
        "trigger": {"type": "conversation"},
        "nodes": nodes,
        "edges": edges,
    }
    created = admin_api.post("/api/flows/", body, format="json")
    assert created.status_code == 201, created.json()
    flow = Flow.objects.get(pk=created.json()["id"])
    before = (Message.objects.count(), FlowRun.objects.count())
    run = try_it(flow, event={"conversation": {"id": conversation["id"]}})
    assert run["status"] == "succeeded", run["error"]
    assert [s["port"] for s in run["steps"]] == [*ports, "next"]
    assert all(s["output"].get("dry_run") for s in run["steps"][1:])
    by_node = {s["node"]: s["output"] for s in run["steps"]}
    assert by_node["hello"]["text"] == "Hi Dana"
    assert by_node["handover"]["ticket"]["subject"] == "Help "
    assert by_node["mail"]["to"] == ["ops@example.com"]
    assert by_node["jump"]["flow_name"] == "Chat"
    assert (Message.objects.count(), FlowRun.objects.count()) == (before[0], before[1] + 1)
    assert (
        not Ticket.objects.exists()
        and not Row.objects.exists()
        and not Schedule.objects.filter(func="flows.tasks.resume_run").exists()
    )


def test_sample_event_prefers_the_latest_occurrence_then_the_example(flow, admin_api, bot):
    body = admin_api.get(f"/api/flows/{flow.pk}/sample-event/").json()
    assert (body["event"], body["source"], body["occurrence"]) == ("ticket-closed", "example", None)
    assert body["payload"]["ticket"]["category"] == "billing" and body["payload"]["csat"]["scale"] == 5
    from events import services as events

    occurrence = events.emit(bot, "ticket-closed", {"event": "ticket-closed", "ticket": {"subject": "Real"}})
    body = admin_api.get(f"/api/flows/{flow.pk}/sample-event/").json()
    assert (body["source"], body["occurrence"], body["payload"]["ticket"]) == (
        "occurrence",
        occurrence.pk,
        {"subject": "Real"},
    )


def test_events_carry_a_payload_example(admin_api, bot):
    events = admin_api.get(f"/api/events/?bot={bot.pk}&key=ticket-closed").json()["results"]
    example = events[0]["payload_example"]
    assert set(example) >= {"event", "ticket", "agent", "customer", "conversation", "csat"}
    custom = admin_api.post(
        "/api/events/",
        {"bot": bot.pk, "key": "order-paid", "name": "Order paid", "payload_example": {"order": {"id": 1}}},
        format="json",
    )
    assert custom.status_code == 201 and custom.json()["payload_example"] == {"order": {"id": 1}}


def test_stats_count_runs_per_day_with_percentiles(admin_api, bot):
    created = admin_api.post(
        "/api/flows/", {"bot": bot.pk, "name": "S", "nodes": [START]}, format="json"
    ).json()
    flow = Flow.objects.get(pk=created["id"])
    now = timezone.now()
    for ms, status in [(100, "succeeded"), (200, "succeeded"), (300, "failed"), (None, "waiting")]:
        FlowRun.objects.create(
            flow=flow,
            version=flow.published_version,
            trigger="manual",
            status=status,
            started_at=now - timedelta(seconds=1),
            finished_at=now - timedelta(seconds=1) + timedelta(milliseconds=ms) if ms else None,
        )
    old = FlowRun.objects.create(flow=flow, trigger="manual", status="failed")
    FlowRun.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    body = admin_api.get(f"/api/flows/{flow.pk}/stats/?days=14").json()
    assert len(body["days"]) == 14
    today = body["days"][-1]
    assert (today["succeeded"], today["failed"], today["waiting"]) == (2, 1, 1)
    assert (today["p50_ms"], today["p95_ms"]) == (200.0, 300.0)
    assert body["days"][0]["p50_ms"] is None
    assert len(body["recent_failures"]) == 1 and old.pk not in body["recent_failures"]
    assert admin_api.get(f"/api/flows/{flow.pk}/stats/?days=0").status_code == 400
    assert admin_api.get(f"/api/flows/{flow.pk}/stats/?days=x").status_code == 400
