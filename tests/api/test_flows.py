"""Flows travel whole: saved all or nothing, and a 400 names the node and the field."""

from __future__ import annotations

import pytest

from flows.models import Edge, Flow, FlowRun, Node

pytestmark = pytest.mark.django_db


def flow_body(bot, **changes):
    body = {
        "bot": bot.pk,
        "name": "After close",
        "is_active": True,
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": [
            {"key": "start", "type": "start", "config": {}, "position": {"x": 0, "y": 0}},
            {"key": "done", "type": "end", "config": {}, "position": {"x": 200, "y": 0}},
        ],
        "edges": [{"source": "start", "port": "next", "target": "done"}],
    }
    return {**body, **changes}


def test_it_creates_a_flow_whole_and_reads_it_back(admin_api, bot):
    response = admin_api.post("/api/flows/", flow_body(bot), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["trigger"] == {"type": "event", "event": "ticket-closed"}
    assert body["nodes"][1] == {"key": "done", "type": "end", "config": {}, "position": {"x": 200, "y": 0}}
    assert body["edges"] == [{"source": "start", "port": "next", "target": "done"}]
    assert admin_api.get(f"/api/flows/{body['id']}/").json() == body


def test_put_replaces_the_graph(admin_api, bot):
    flow = admin_api.post("/api/flows/", flow_body(bot), format="json").json()
    body = flow_body(
        bot,
        name="Only start",
        trigger={"type": "conversation", "keywords": ["refund"]},
        nodes=[{"key": "begin", "type": "start"}],
        edges=[],
    )
    response = admin_api.put(f"/api/flows/{flow['id']}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["trigger"] == {"type": "conversation", "keywords": ["refund"]}
    assert list(Node.objects.filter(flow_id=flow["id"]).values_list("key", flat=True)) == ["begin"]
    assert not Edge.objects.filter(flow_id=flow["id"]).exists()


def test_patch_merges_over_the_saved_flow(admin_api, bot):
    flow = admin_api.post("/api/flows/", flow_body(bot), format="json").json()
    response = admin_api.patch(f"/api/flows/{flow['id']}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() | {"updated_at": None} == flow | {"is_active": False, "updated_at": None}


def test_a_patch_that_breaks_the_graph_changes_nothing(admin_api, bot):
    flow = admin_api.post("/api/flows/", flow_body(bot), format="json").json()
    response = admin_api.patch(
        f"/api/flows/{flow['id']}/",
        {"name": "X", "edges": [{"source": "start", "port": "nowhere", "target": "done"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "node 'start' (start) has no port 'nowhere'" in response.json()["edges"][0]
    assert Flow.objects.get(pk=flow["id"]).name == "After close"
    assert Edge.objects.get(flow_id=flow["id"]).port == "next"


def test_a_flow_cannot_move_to_another_bot(admin_api, bot, other_bot):
    flow = admin_api.post("/api/flows/", flow_body(bot), format="json").json()
    response = admin_api.patch(f"/api/flows/{flow['id']}/", {"bot": other_bot.pk}, format="json")
    assert response.status_code == 400 and "bot" in response.json()


@pytest.mark.parametrize(
    "change,field,words",
    [
        (
            {
                "nodes": [{"key": "start", "type": "start"}, {"key": "mystery", "type": "teleport"}],
                "edges": [],
            },
            "nodes",
            ["node 'mystery'", "unknown type 'teleport'"],
        ),
        (
            {
                "nodes": [
                    {"key": "start", "type": "start"},
                    {"key": "fin", "type": "end", "config": {"status": "meh"}},
                ],
                "edges": [],
            },
            "nodes",
            ["node 'fin'", "config.status"],
        ),
        (
            {"edges": [{"source": "start", "port": "next", "target": "ghost"}]},
            "edges",
            ["'ghost' does not exist"],
        ),
        (
            {"edges": [{"source": "ghost", "port": "next", "target": "done"}]},
            "edges",
            ["'ghost' does not exist"],
        ),
        (
            {
                "edges": [
                    {"source": "start", "port": "next", "target": "done"},
                    {"source": "start", "port": "next", "target": "start"},
                ]
            },
            "edges",
            ["start.next already has"],
        ),
        (
            {"edges": [{"source": "done", "port": "next", "target": "start"}]},
            "edges",
            ["node 'done' (end) has no port"],
        ),
        (
            {"nodes": [{"key": "done", "type": "end"}], "edges": []},
            "nodes",
            ["exactly one start node, it has 0"],
        ),
        (
            {"nodes": [{"key": "a", "type": "start"}, {"key": "b", "type": "start"}], "edges": []},
            "nodes",
            ["exactly one start node, it has 2"],
        ),
        (
            {
                "nodes": [{"key": "start", "type": "start"}, {"key": "bad", "type": "end", "config": "x"}],
                "edges": [],
            },
            "nodes",
            ["node 'bad'", "config", "Expected a JSON object"],
        ),
        (
            {"nodes": [{"key": "start", "type": "start", "position": {"x": "left"}}], "edges": []},
            "nodes",
            ["node 'start'", "position", "x"],
        ),
        ({"nodes": [{"key": "start", "type": 7}], "edges": []}, "nodes", ["node 'start'", "type"]),
        ({"nodes": ["start"], "edges": []}, "nodes", ["nodes[0]"]),
        ({"edges": [{"source": "start", "port": None, "target": "done"}]}, "edges", ["edges[0]", "port"]),
        ({"trigger": {"type": "event"}}, "trigger", ["trigger.event"]),
        ({"trigger": {"type": "cron"}}, "trigger", ["type"]),
        ({"trigger": {"type": "conversation", "keywords": "refund"}}, "trigger", ["keywords"]),
    ],
)
def test_a_400_names_the_problem(admin_api, bot, change, field, words):
    response = admin_api.post("/api/flows/", flow_body(bot, **change), format="json")
    assert response.status_code == 400, response.json()
    message = " ".join(str(m) for m in response.json()[field])
    for word in words:
        assert word in message, message
    assert not Flow.objects.exists()


def test_it_starts_a_manual_run(admin_api, bot, django_capture_on_commit_callbacks):
    flow = admin_api.post("/api/flows/", flow_body(bot, trigger={"type": "manual"}), format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/flows/{flow['id']}/run/", {"context": {"order": 7}}, format="json")
    assert response.status_code == 202, response.json()
    run = FlowRun.objects.get(pk=response.json()["run"])
    assert (run.trigger, run.context, run.status) == ("manual", {"order": 7}, "succeeded")


def test_an_inactive_flow_does_not_run(admin_api, bot):
    flow = admin_api.post("/api/flows/", flow_body(bot, is_active=False), format="json").json()
    response = admin_api.post(f"/api/flows/{flow['id']}/run/", {}, format="json")
    assert response.status_code == 409 and "inactive" in response.json()["detail"]


def test_it_deletes_a_flow(admin_api, bot):
    flow = admin_api.post("/api/flows/", flow_body(bot), format="json").json()
    assert admin_api.delete(f"/api/flows/{flow['id']}/").status_code == 204
    assert not Flow.objects.exists() and not Node.objects.exists()


def test_api_call_config_follows_the_contract(admin_api, bot):
    nodes = [
        {"key": "start", "type": "start"},
        {
            "key": "crm",
            "type": "api_call",
            "config": {
                "method": "POST",
                "url": "http://127.0.0.1:9/hook",
                "headers": {"X-Source": "studio"},
                "body": {"ticket": "{{ event.ticket.id }}"},
                "timeout_seconds": 10,
                "retries": 2,
                "save_as": "crm",
            },
        },
    ]
    body = flow_body(bot, nodes=nodes, edges=[{"source": "start", "port": "next", "target": "crm"}])
    response = admin_api.post("/api/flows/", body, format="json")
    assert response.status_code == 201, response.json()
    bad = flow_body(
        bot,
        nodes=[
            {"key": "start", "type": "start"},
            {"key": "crm", "type": "api_call", "config": {"retries": "two"}},
        ],
        edges=[],
    )
    response = admin_api.post("/api/flows/", bad, format="json")
    assert response.status_code == 400
    assert "node 'crm'" in " ".join(response.json()["nodes"])
