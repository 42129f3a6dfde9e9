"""Who may call what: every endpoint for the admin, the bot's agent, another bot's agent, nobody.

Studio admins manage everything. Agents see and act on the tickets and conversations of
their own bots; another bot's ticket does not exist for them (404). Anonymous callers get 401.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from events import services as events
from flows import graph
from flows.models import FlowRun
from inbox import services as inbox
from tests.api.conftest import client_for
from tests.conftest import open_ticket

pytestmark = pytest.mark.django_db

ADMIN_ONLY = {"admin": None, "agent": 403, "other": 403, "anon": 401}


def inbox_rule(ok: int, *, other: int = 404) -> dict:
    return {"admin": ok, "agent": ok, "other": other, "anon": 401}


FLOW_BODY = {"bot": "{bot}", "name": "Flow", "nodes": [{"key": "start", "type": "start"}], "edges": []}

# (method, path, body, expected status by caller; None means the admin's `ok`)
CASES = {
    "bots list": ("get", "/api/bots/", None, 200, ADMIN_ONLY),
    "bots create": ("post", "/api/bots/", {"name": "New"}, 201, ADMIN_ONLY),
    "bots retrieve": ("get", "/api/bots/{bot}/", None, 200, ADMIN_ONLY),
    "bots update": ("patch", "/api/bots/{bot}/", {"name": "Renamed"}, 200, ADMIN_ONLY),
    "bots delete": ("delete", "/api/bots/{bot}/", None, 204, ADMIN_ONLY),
    "agents list": ("get", "/api/agents/", None, 200, ADMIN_ONLY),
    "agents create": (
        "post",
        "/api/agents/",
        {"username": "zed", "password": "long-enough-pw-1"},
        201,
        ADMIN_ONLY,
    ),
    "agents retrieve": ("get", "/api/agents/{agent}/", None, 200, ADMIN_ONLY),
    "agents update": ("patch", "/api/agents/{agent}/", {"is_available": False}, 200, ADMIN_ONLY),
    "events list": ("get", "/api/events/", None, 200, ADMIN_ONLY),
    "events create": ("post", "/api/events/", {"bot": "{bot}", "key": "k", "name": "K"}, 201, ADMIN_ONLY),
    "events retrieve": ("get", "/api/events/{event}/", None, 200, ADMIN_ONLY),
    "events activate": ("post", "/api/events/{event}/activate/", None, 200, ADMIN_ONLY),
    "events deactivate": ("post", "/api/events/{event}/deactivate/", None, 200, ADMIN_ONLY),
    "events emit": ("post", "/api/events/{event}/emit/", {"payload": {}}, 202, ADMIN_ONLY),
    "occurrences list": ("get", "/api/event-occurrences/", None, 200, ADMIN_ONLY),
    "occurrences retrieve": ("get", "/api/event-occurrences/{occurrence}/", None, 200, ADMIN_ONLY),
    "flows list": ("get", "/api/flows/", None, 200, ADMIN_ONLY),
    "flows create": ("post", "/api/flows/", FLOW_BODY, 201, ADMIN_ONLY),
    "flows retrieve": ("get", "/api/flows/{flow}/", None, 200, ADMIN_ONLY),
    "flows replace": ("put", "/api/flows/{flow}/", FLOW_BODY, 200, ADMIN_ONLY),
    "flows update": ("patch", "/api/flows/{flow}/", {"name": "Renamed"}, 200, ADMIN_ONLY),
    "flows delete": ("delete", "/api/flows/{flow}/", None, 204, ADMIN_ONLY),
    "flows run": ("post", "/api/flows/{flow}/run/", {"context": {}}, 202, ADMIN_ONLY),
    "node types list": ("get", "/api/node-types/", None, 200, ADMIN_ONLY),
    "node types retrieve": ("get", "/api/node-types/start/", None, 200, ADMIN_ONLY),
    "runs list": ("get", "/api/runs/", None, 200, ADMIN_ONLY),
    "runs retrieve": ("get", "/api/runs/{run}/", None, 200, ADMIN_ONLY),
    "runs replay": ("post", "/api/runs/{run}/replay/", None, 202, ADMIN_ONLY),
    "conversations list": ("get", "/api/conversations/", None, 200, inbox_rule(200, other=200)),
    "conversations create": (
        "post",
        "/api/conversations/",
        {"bot": "{bot}", "customer": {"name": "C"}},
        201,
        inbox_rule(201, other=400),
    ),
    "conversations retrieve": ("get", "/api/conversations/{conversation}/", None, 200, inbox_rule(200)),
    "messages list": ("get", "/api/conversations/{conversation}/messages/", None, 200, inbox_rule(200)),
    "messages create": (
        "post",
        "/api/conversations/{conversation}/messages/",
        {"text": "hi"},
        201,
        inbox_rule(201),
    ),
    "tickets list": ("get", "/api/tickets/", None, 200, inbox_rule(200, other=200)),
    "tickets create": (
        "post",
        "/api/tickets/",
        {"conversation": "{conversation}", "subject": "S"},
        201,
        inbox_rule(201, other=400),
    ),
    "tickets retrieve": ("get", "/api/tickets/{ticket}/", None, 200, inbox_rule(200)),
    "tickets assign": ("post", "/api/tickets/{ticket}/assign/", {"agent": "{agent}"}, 200, inbox_rule(200)),
    "tickets reply": ("post", "/api/tickets/{ticket}/reply/", {"text": "On it"}, 201, inbox_rule(201)),
    "tickets resolve": ("post", "/api/tickets/{ticket}/resolve/", {"note": "ok"}, 200, inbox_rule(200)),
    "tickets csat": ("post", "/api/tickets/{pending_ticket}/csat/", {"rating": 5}, 201, ADMIN_ONLY),
}


@pytest.fixture
def world(bot, csat_bot, agent, other_agent, admin_user):
    ticket = open_ticket(bot)
    pending = open_ticket(csat_bot)
    inbox.resolve_ticket(pending, agent)
    flow = graph.save_flow(bot=bot, data={"name": "f", "nodes": [{"key": "start", "type": "start"}]})
    run = FlowRun.objects.create(flow=flow, trigger="manual", status="failed", finished_at=timezone.now())
    event = bot.events.get(key="ticket-closed")
    return {
        "users": {"admin": admin_user, "agent": agent, "other": other_agent, "anon": None},
        "ids": {
            "bot": bot.pk,
            "agent": agent.pk,
            "event": event.pk,
            "flow": flow.pk,
            "run": run.pk,
            "occurrence": events.emit(bot, "ticket-created", {}).pk,
            "ticket": ticket.pk,
            "conversation": ticket.conversation_id,
            "pending_ticket": pending.pk,
        },
    }


def fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize("caller", ["admin", "agent", "other", "anon"])
@pytest.mark.parametrize("case", list(CASES))
def test_permission_matrix(world, case, caller):
    method, path, body, ok, rule = CASES[case]
    expected = rule[caller] or ok
    client = client_for(world["users"][caller])
    url = path.format(**world["ids"])
    response = (
        getattr(client, method)(url, fill(body, world["ids"]), format="json")
        if body is not None
        else getattr(client, method)(url)
    )
    assert response.status_code == expected, (case, caller, response.content[:300])
    if expected >= 400:
        assert response["Content-Type"] == "application/json"
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_an_agent_lists_only_their_bots_tickets(world, bot, other_bot):
    foreign = open_ticket(other_bot)
    mine = client_for(world["users"]["agent"]).get("/api/tickets/").json()["results"]
    theirs = client_for(world["users"]["other"]).get("/api/tickets/").json()["results"]
    assert foreign.pk not in {t["id"] for t in mine} and mine
    assert [t["id"] for t in theirs] == [foreign.pk]


def test_a_user_who_is_neither_agent_nor_admin_is_refused(world):
    stranger = User.objects.create_user("mallory", password="long-enough-pw-1")
    client = client_for(stranger)
    assert client.get("/api/tickets/").status_code == 403
    assert client.get(f"/api/tickets/{world['ids']['ticket']}/").status_code == 403
    assert client.get("/api/bots/").status_code == 403


def test_session_auth_works_for_the_browser(world, client):
    client.force_login(world["users"]["agent"])
    assert client.get("/api/tickets/").status_code == 200
