"""The mission end to end through the API only: token, bot, CSAT, event, flow, ticket, rating, run."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def walk_through(receiver_url: str, capture) -> dict:
    api = APIClient()
    token = api.post("/api/auth/token/", {"username": "admin", "password": PASSWORD}, format="json")
    assert token.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    def call(method, url, body=None, status=200):
        response = getattr(api, method)(f"/api{url}", body, format="json")
        assert response.status_code == status, (url, response.content)
        return response.json()

    bot = call("post", "/bots/", {"name": "Acme support"}, 201)["id"]
    call("patch", f"/bots/{bot}/", {"csat": {"enabled": True, "scale": 5}})
    event = call("get", f"/events/?bot={bot}&key=ticket-closed")["results"][0]
    assert call("post", f"/events/{event['id']}/activate/")["is_active"] is True
    flow = call(
        "post",
        "/flows/",
        {
            "bot": bot,
            "name": "Tell the CRM",
            "trigger": {"type": "event", "event": "ticket-closed"},
            "nodes": [
                {"key": "start", "type": "start"},
                {
                    "key": "crm",
                    "type": "api_call",
                    "config": {
                        "method": "POST",
                        "url": f"{receiver_url}/crm/ticket-closed",
                        "headers": {},
                        "body": {"ticket": "{{ event.ticket.id }}", "rating": "{{ event.csat.rating }}"},
                        "timeout_seconds": 5,
                        "retries": 0,
                        "save_as": "crm",
                    },
                },
                {"key": "done", "type": "end"},
            ],
            "edges": [
                {"source": "start", "port": "next", "target": "crm"},
                {"source": "crm", "port": "success", "target": "done"},
            ],
        },
        201,
    )["id"]
    agent = call(
        "post", "/agents/", {"username": "alice", "password": "correct-horse-42", "bots": [bot]}, 201
    )["id"]
    conversation = call("post", "/conversations/", {"bot": bot, "customer": {"name": "Dana"}}, 201)["id"]
    call("post", f"/conversations/{conversation}/messages/", {"text": "Charged twice"}, 201)
    ticket = call("post", "/tickets/", {"conversation": conversation, "subject": "Charged twice"}, 201)["id"]
    call("post", f"/tickets/{ticket}/assign/", {"agent": agent})
    assert call("post", f"/tickets/{ticket}/resolve/", {"note": "Refunded"})["status"] == "pending_csat"
    call("post", f"/tickets/{ticket}/resolve/", {}, 409)
    with capture(execute=True):
        call("post", f"/tickets/{ticket}/csat/", {"rating": 5, "comment": "Great"}, 201)
    call("post", f"/tickets/{ticket}/csat/", {"rating": 4}, 409)
    closed = call("get", f"/tickets/{ticket}/")
    assert closed["status"] == "closed" and closed["csat"]["rating"] == 5
    runs = call("get", f"/runs/?flow={flow}")
    assert runs["count"] == 1
    run = call("get", f"/runs/{runs['results'][0]['id']}/")
    assert (run["trigger"], run["ticket"]) == ("event", ticket)
    occurrence = call("get", f"/event-occurrences/?event={event['id']}")["results"][0]
    assert occurrence["runs"] == [run["id"]]
    assert occurrence["payload"]["csat"] == {"rating": 5, "scale": 5, "comment": "Great"}
    return {"ticket": ticket, "run": run}


def test_the_mission_calls_the_api_when_the_ticket_closes(
    admin_user, httpserver, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/crm/ticket-closed", method="POST").respond_with_json({"ok": True})
    result = walk_through(httpserver.url_for("").rstrip("/"), django_capture_on_commit_callbacks)
    run = result["run"]
    assert run["status"] == "succeeded", run
    assert [(s["node"], s["port"]) for s in run["steps"]][:2] == [("start", "next"), ("crm", "success")]
    assert all(
        set(s) >= {"node", "type", "port", "started_at", "duration_ms", "output", "error"}
        for s in run["steps"]
    )
    ((request, _),) = httpserver.log
    assert request.get_json() == {"ticket": str(result["ticket"]), "rating": "5"} or request.get_json() == {
        "ticket": result["ticket"],
        "rating": 5,
    }
