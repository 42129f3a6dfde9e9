"""Drafts, publishing, versions and restore through the API (API.md "Flow versions")."""

from __future__ import annotations

import pytest

from flows.models import Flow, FlowRun, FlowVersion, Node

pytestmark = pytest.mark.django_db

START = {"key": "start", "type": "start", "config": {}, "position": {"x": 0, "y": 0}}
END = {"key": "done", "type": "end", "config": {}, "position": {"x": 200, "y": 0}}


def create(api, bot, **changes):
    body = {
        "bot": bot.pk,
        "name": "After close",
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": [START, END],
        "edges": [{"source": "start", "port": "next", "target": "done"}],
        **changes,
    }
    response = api.post("/api/flows/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def call_node(key="api_call_2", **config):
    return {"key": key, "type": "api_call", "config": config, "position": {"x": 100, "y": 50}}


def test_creating_a_flow_publishes_version_1(admin_api, bot, admin_user):
    flow = create(admin_api, bot)
    assert flow["published_version"] == 1 and flow["has_unpublished_changes"] is False
    version = FlowVersion.objects.get(flow_id=flow["id"])
    assert (version.number, version.published_by) == (1, admin_user)
    assert version.graph["edges"] == [{"source": "start", "port": "next", "target": "done"}]
    assert admin_api.get(f"/api/flows/{flow['id']}/draft/").json() == {
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": [START, END],
        "edges": [{"source": "start", "port": "next", "target": "done"}],
        "problems": [],
    }


def test_an_incomplete_draft_is_saved_with_its_problems_on_the_node(admin_api, bot):
    flow = create(admin_api, bot)
    draft = {
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": [START, END, call_node(method="POST")],
        "edges": [
            {"source": "start", "port": "next", "target": "api_call_2"},
            {"source": "api_call_2", "port": "success", "target": "done"},
        ],
    }
    response = admin_api.put(f"/api/flows/{flow['id']}/draft/", draft, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["problems"] == [
        {"node": "api_call_2", "field": "url", "message": "'url' is a required property"}
    ]
    assert Flow.objects.get(pk=flow["id"]).draft["nodes"][2]["key"] == "api_call_2"
    # What runs has not changed: the published graph, the Node rows.
    body = admin_api.get(f"/api/flows/{flow['id']}/").json()
    assert (body["published_version"], body["has_unpublished_changes"]) == (1, True)
    assert [n["key"] for n in body["nodes"]] == ["start", "done"]
    assert list(Node.objects.filter(flow_id=flow["id"]).values_list("key", flat=True)) == ["start", "done"]
    # Publishing refuses it and says why, on the node.
    response = admin_api.post(f"/api/flows/{flow['id']}/publish/", {"note": "try"}, format="json")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"node": "api_call_2", "field": "url", "message": "'url' is a required property"}
    ]
    assert FlowVersion.objects.filter(flow_id=flow["id"]).count() == 1


def test_publish_makes_the_next_version_and_only_it_runs(
    admin_api, bot, admin_user, django_capture_on_commit_callbacks
):
    flow = create(admin_api, bot)
    draft = admin_api.get(f"/api/flows/{flow['id']}/draft/").json()
    draft["nodes"].append({"key": "note", "type": "set_variable", "config": {"name": "x", "value": 1}})
    draft["edges"] = [
        {"source": "start", "port": "next", "target": "note"},
        {"source": "note", "port": "next", "target": "done"},
    ]
    assert admin_api.put(f"/api/flows/{flow['id']}/draft/", draft, format="json").json()["problems"] == []
    response = admin_api.post(f"/api/flows/{flow['id']}/publish/", {"note": "Adds x"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 2 and body["note"] == "Adds x"
    assert body["published_by"] == {"id": admin_user.pk, "username": "admin"}
    assert body["published_at"]
    flow_body = admin_api.get(f"/api/flows/{flow['id']}/").json()
    assert (flow_body["published_version"], flow_body["has_unpublished_changes"]) == (2, False)
    assert [n["key"] for n in flow_body["nodes"]] == ["start", "done", "note"]
    with django_capture_on_commit_callbacks(execute=True):
        run = admin_api.post(f"/api/flows/{flow['id']}/run/", {"context": {}}, format="json").json()["run"]
    run_body = admin_api.get(f"/api/runs/{run}/").json()
    assert run_body["version"] == 2 and run_body["status"] == "succeeded"
    assert [s["node"] for s in run_body["steps"]] == ["start", "note", "done"]


def test_versions_list_detail_restore_and_diff(admin_api, bot):
    flow = create(admin_api, bot)
    fid = flow["id"]
    two = {
        **flow,
        "nodes": [START, {**END, "position": {"x": 300, "y": 0}}, call_node(url="https://example.com")],
    }
    two["edges"] = flow["edges"] + [{"source": "api_call_2", "port": "success", "target": "done"}]
    assert admin_api.put(f"/api/flows/{fid}/", two, format="json").status_code == 200
    listing = admin_api.get(f"/api/flows/{fid}/versions/").json()
    assert listing["count"] == 2 and [v["version"] for v in listing["results"]] == [2, 1]
    one = admin_api.get(f"/api/flows/{fid}/versions/1/").json()
    assert one["version"] == 1 and [n["key"] for n in one["nodes"]] == ["start", "done"]
    assert admin_api.get(f"/api/flows/{fid}/versions/9/").status_code == 404

    diff = admin_api.get(f"/api/flows/{fid}/versions/2/diff/").json()
    assert diff["against"] == "1" and diff["trigger"] is None
    assert [n["key"] for n in diff["nodes"]["added"]] == ["api_call_2"]
    assert diff["nodes"]["removed"] == []
    assert [(c["key"], c["fields"]) for c in diff["nodes"]["changed"]] == [("done", ["position"])]
    assert diff["edges"]["added"] == [{"source": "api_call_2", "port": "success", "target": "done"}]
    assert admin_api.get(f"/api/flows/{fid}/versions/2/diff/?against=x").status_code == 400

    response = admin_api.post(f"/api/flows/{fid}/versions/1/restore/")
    assert response.status_code == 200
    assert [n["key"] for n in response.json()["nodes"]] == ["start", "done"]
    body = admin_api.get(f"/api/flows/{fid}/").json()
    assert (body["published_version"], body["has_unpublished_changes"]) == (2, True)
    assert admin_api.post(f"/api/flows/{fid}/publish/", {}, format="json").json()["version"] == 3
    assert (
        FlowVersion.objects.get(flow_id=fid, number=3).graph
        == FlowVersion.objects.get(flow_id=fid, number=1).graph
    )
    assert admin_api.post(f"/api/flows/{fid}/versions/7/restore/").status_code == 404


def test_a_patch_that_changes_no_graph_keeps_the_draft_and_the_version(admin_api, bot):
    flow = create(admin_api, bot)
    draft = {"nodes": [START], "edges": []}
    admin_api.put(f"/api/flows/{flow['id']}/draft/", draft, format="json")
    body = admin_api.patch(f"/api/flows/{flow['id']}/", {"is_active": False}, format="json").json()
    assert (body["published_version"], body["has_unpublished_changes"]) == (1, True)
    assert len(Flow.objects.get(pk=flow["id"]).draft["nodes"]) == 1  # the user's work is kept


def test_draft_shapes_are_checked(admin_api, bot):
    flow = create(admin_api, bot)
    response = admin_api.put(f"/api/flows/{flow['id']}/draft/", {"nodes": "x"}, format="json")
    assert response.status_code == 400 and "nodes" in response.json()
    response = admin_api.put(f"/api/flows/{flow['id']}/draft/", {"nodes": [{"key": 5}]}, format="json")
    assert response.status_code == 200
    assert response.json()["problems"][0]["field"] == "key"


def test_a_flow_without_a_published_version_does_not_start(bot, admin_api):
    flow = Flow.objects.create(bot=bot, name="New", trigger_type="manual")
    response = admin_api.post(f"/api/flows/{flow.pk}/run/", {}, format="json")
    assert response.status_code == 409
    body = admin_api.get(f"/api/flows/{flow.pk}/").json()
    assert (body["published_version"], body["has_unpublished_changes"]) == (None, True)
    assert not FlowRun.objects.exists()


def test_deleting_a_flow_takes_its_versions_and_runs(admin_api, bot, django_capture_on_commit_callbacks):
    flow = create(admin_api, bot, trigger={"type": "manual"})
    admin_api.put(
        f"/api/flows/{flow['id']}/", {**flow, "name": "Renamed", "nodes": [START], "edges": []}, format="json"
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(f"/api/flows/{flow['id']}/run/", {}, format="json")
        admin_api.post(f"/api/flows/{flow['id']}/test/", {}, format="json")
    assert FlowRun.objects.count() == 2 and FlowVersion.objects.count() == 2
    assert admin_api.delete(f"/api/flows/{flow['id']}/").status_code == 204
    assert not FlowRun.objects.exists() and not FlowVersion.objects.exists()


def test_agents_cannot_touch_drafts_or_versions(agent_api, admin_api, bot):
    flow = create(admin_api, bot)
    for method, path in [
        ("get", "draft/"),
        ("put", "draft/"),
        ("post", "publish/"),
        ("get", "versions/"),
        ("post", "versions/1/restore/"),
        ("post", "test/"),
        ("get", "stats/"),
        ("get", "sample-event/"),
    ]:
        response = getattr(agent_api, method)(f"/api/flows/{flow['id']}/{path}", {}, format="json")
        assert response.status_code == 403, (method, path)


def test_node_types_carry_their_palette_family_and_success_port(admin_api):
    types = {t["name"]: t for t in admin_api.get("/api/node-types/?page_size=100").json()["results"]}
    assert (types["api_call"]["family"], types["api_call"]["success_port"]) == ("actions", "success")
    assert (types["raise_ticket"]["family"], types["raise_ticket"]["success_port"]) == (
        "actions",
        "ticket_closed",
    )
    assert (types["question"]["family"], types["send_email"]["family"]) == ("prompts", "messages")
    assert (types["end"]["family"], types["end"]["success_port"]) == ("logic", None)


def test_runs_filter_by_version(admin_api, bot, django_capture_on_commit_callbacks):
    flow = create(admin_api, bot, trigger={"type": "manual"})
    with django_capture_on_commit_callbacks(execute=True):
        first = admin_api.post(f"/api/flows/{flow['id']}/run/", {}, format="json").json()["run"]
    admin_api.put(f"/api/flows/{flow['id']}/", {**flow, "nodes": [START], "edges": []}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        second = admin_api.post(f"/api/flows/{flow['id']}/run/", {}, format="json").json()["run"]
    assert [r["id"] for r in admin_api.get("/api/runs/?version=1").json()["results"]] == [first]
    assert [r["id"] for r in admin_api.get("/api/runs/?version=2").json()["results"]] == [second]
    assert admin_api.get("/api/runs/?version=x").status_code == 400


def test_diff_against_the_draft(admin_api, bot):
    flow = create(admin_api, bot)
    draft = {"trigger": {"type": "manual"}, "nodes": [START], "edges": []}
    admin_api.put(f"/api/flows/{flow['id']}/draft/", draft, format="json")
    diff = admin_api.get(f"/api/flows/{flow['id']}/versions/1/diff/?against=draft").json()
    assert diff["trigger"] == {
        "before": {"type": "event", "event": "ticket-closed"},
        "after": {"type": "manual"},
    }
    assert [n["key"] for n in diff["nodes"]["removed"]] == ["done"]
    assert diff["edges"]["removed"] == [{"source": "start", "port": "next", "target": "done"}]
    assert admin_api.get(f"/api/flows/{flow['id']}/versions/1/diff/?against=5").status_code == 404
