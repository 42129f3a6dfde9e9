"""The happy paths of each resource, asserting responses and rows."""

from __future__ import annotations

import pytest

from events.models import Event
from flows.models import FlowRun
from inbox.models import AgentProfile, Conversation, Message, Ticket
from studio.models import Bot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_issues_a_token_for_a_username_and_password(anon_api, admin_user):
    response = anon_api.post("/api/auth/token/", {"username": "admin", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    anon_api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert anon_api.get("/api/bots/").status_code == 200


def test_it_refuses_a_wrong_password(anon_api, admin_user):
    response = anon_api.post("/api/auth/token/", {"username": "admin", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_the_token_endpoint_is_throttled(anon_api, admin_user, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    cache.clear()
    codes = [
        anon_api.post("/api/auth/token/", {"username": "admin", "password": "x"}, format="json").status_code
        for _ in range(3)
    ]
    cache.clear()
    assert codes == [400, 400, 429]


def test_creating_a_bot_installs_its_events_inactive(admin_api):
    response = admin_api.post("/api/bots/", {"name": "Initech"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Initech"
    assert body["csat"] == {
        "enabled": False,
        "question": "How would you rate the help you received?",
        "scale": 5,
        "expires_after_minutes": 1440,
    }
    events = Event.objects.filter(bot_id=body["id"])
    assert events.filter(key="ticket-closed").exists()
    assert not events.filter(is_active=True).exists()


def test_it_turns_csat_on_and_off(admin_api, bot):
    response = admin_api.patch(
        f"/api/bots/{bot.pk}/", {"csat": {"enabled": True, "scale": 10}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["csat"]["enabled"] is True
    bot.refresh_from_db()
    assert (bot.csat_enabled, bot.csat_scale, bot.name) == (True, 10, "Acme")


def test_it_deletes_a_bot(admin_api, bot):
    assert admin_api.delete(f"/api/bots/{bot.pk}/").status_code == 204
    assert not Bot.objects.filter(pk=bot.pk).exists()


def test_it_creates_and_changes_an_agent(admin_api, bot, csat_bot):
    response = admin_api.post(
        "/api/agents/",
        {
            "username": "carol",
            "password": "long-enough-pw-1",
            "name": "Carol Jones",
            "email": "carol@example.com",
            "bots": [bot.pk],
            "groups": ["billing", "vip"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "password" not in body
    assert {k: v for k, v in body.items() if k != "status_changed_at"} | {"id": 0} == {
        "id": 0,
        "username": "carol",
        "name": "Carol Jones",
        "email": "carol@example.com",
        "bots": [bot.pk],
        "groups": ["billing", "vip"],
        "is_available": True,
        "status": "available",
        "max_concurrent": None,
        "active_tickets": 0,
        "last_assigned_at": None,
    }
    response = admin_api.patch(
        f"/api/agents/{body['id']}/", {"is_available": False, "bots": [csat_bot.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    profile = AgentProfile.objects.get(user_id=body["id"])
    assert profile.is_available is False and profile.status == "away"
    assert list(profile.bots.all()) == [csat_bot]
    assert profile.user.check_password("long-enough-pw-1")


def test_it_refuses_a_taken_username_and_a_weak_password(admin_api, agent):
    response = admin_api.post(
        "/api/agents/", {"username": "alice", "password": "long-enough-pw-1"}, format="json"
    )
    assert response.status_code == 400 and "username" in response.json()
    response = admin_api.post("/api/agents/", {"username": "dave", "password": "short"}, format="json")
    assert response.status_code == 400 and "password" in response.json()


def test_it_filters_events_and_activates_one(admin_api, bot, other_bot):
    response = admin_api.get(f"/api/events/?bot={bot.pk}&category=inbox&is_active=false")
    assert response.status_code == 200
    results = response.json()["results"]
    assert results and {e["bot"] for e in results} == {bot.pk}
    assert {e["category"] for e in results} == {"inbox"}
    closed = next(e for e in results if e["key"] == "ticket-closed")
    response = admin_api.post(f"/api/events/{closed['id']}/activate/")
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert Event.objects.get(pk=closed["id"]).is_active
    assert admin_api.get(f"/api/events/?bot={bot.pk}&is_active=true").json()["count"] == 1
    response = admin_api.post(f"/api/events/{closed['id']}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_it_creates_and_emits_a_custom_event(admin_api, bot):
    response = admin_api.post(
        "/api/events/", {"bot": bot.pk, "key": "order-shipped", "name": "Order shipped"}, format="json"
    )
    assert response.status_code == 201, response.json()
    event = response.json()
    assert (event["category"], event["is_active"]) == ("custom", False)
    again = admin_api.post(
        "/api/events/", {"bot": bot.pk, "key": "order-shipped", "name": "x"}, format="json"
    )
    assert again.status_code == 400 and "key" in again.json()
    admin_api.post(f"/api/events/{event['id']}/activate/")
    flow = admin_api.post(
        "/api/flows/",
        {
            "bot": bot.pk,
            "name": "On shipping",
            "trigger": {"type": "event", "event": "order-shipped"},
            "nodes": [{"key": "start", "type": "start"}],
            "edges": [],
        },
        format="json",
    ).json()
    response = admin_api.post(f"/api/events/{event['id']}/emit/", {"payload": {"order": 42}}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    run = FlowRun.objects.get(pk__in=body["runs"])
    assert run.flow_id == flow["id"] and run.context == {"event": {"order": 42}}
    occurrences = admin_api.get(f"/api/event-occurrences/?event={event['id']}").json()
    assert occurrences["count"] == 1
    assert occurrences["results"][0] | {"occurred_at": None} == {
        "id": body["occurrence"],
        "event": event["id"],
        "bot": bot.pk,
        "key": "order-shipped",
        "payload": {"order": 42},
        "status": "dispatched",
        "occurred_at": None,
        "runs": body["runs"],
    }


def test_an_emit_answers_every_run_it_started_each_run_once(
    admin_api, bot, django_capture_on_commit_callbacks
):
    event = admin_api.post(
        "/api/events/", {"bot": bot.pk, "key": "order-paid", "name": "Paid"}, format="json"
    )
    event = event.json()
    admin_api.post(f"/api/events/{event['id']}/activate/")
    flows = [
        admin_api.post(
            "/api/flows/",
            {
                "bot": bot.pk,
                "name": f"On payment {i}",
                "trigger": {"type": "event", "event": "order-paid"},
                "nodes": [{"key": "start", "type": "start"}],
                "edges": [],
            },
            format="json",
        ).json()
        for i in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):  # the request's commit hands off
        response = admin_api.post(
            f"/api/events/{event['id']}/emit/", {"payload": {"order": 7}}, format="json"
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    runs = FlowRun.objects.filter(occurrence_id=body["occurrence"])
    assert body["runs"] == sorted(run.pk for run in runs)
    assert sorted(run.flow_id for run in runs) == sorted(f["id"] for f in flows)
    assert {run.status for run in runs} == {"succeeded"}


def test_it_starts_a_conversation_and_posts_as_the_customer(agent_api, bot):
    response = agent_api.post(
        "/api/conversations/",
        {
            "bot": bot.pk,
            "customer": {"name": "Dana", "email": "dana@example.com", "external_id": "cus_9"},
            "channel": "whatsapp",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    conversation = response.json()
    assert conversation["customer"]["external_id"] == "cus_9"
    assert conversation["channel"] == "whatsapp"
    url = f"/api/conversations/{conversation['id']}/messages/"
    response = agent_api.post(url, {"text": "Hello?"}, format="json")
    assert response.status_code == 201
    assert response.json()["sender"] == "customer"
    listed = agent_api.get(url).json()
    assert [m["text"] for m in listed["results"]] == ["Hello?"]
    assert Message.objects.get(conversation_id=conversation["id"]).text == "Hello?"


def test_ticket_lifecycle_with_csat(agent_api, admin_api, agent, csat_bot):
    conversation = Conversation.objects.create(bot=csat_bot, customer=csat_bot.customers.create(name="Eve"))
    response = agent_api.post(
        "/api/tickets/",
        {"conversation": conversation.pk, "subject": "Refund", "category": "billing", "priority": "high"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    ticket = response.json()
    assert (ticket["bot"], ticket["status"], ticket["csat"]) == (csat_bot.pk, "queued", None)
    url = f"/api/tickets/{ticket['id']}"
    response = agent_api.post(f"{url}/assign/", {"agent": agent.pk}, format="json")
    assert response.status_code == 200 and response.json()["assignee"] == agent.pk
    response = agent_api.post(f"{url}/reply/", {"text": "Refunded!"}, format="json")
    assert response.status_code == 201 and response.json()["sender"] == "agent"
    response = agent_api.post(f"{url}/resolve/", {"note": "done"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "pending_csat"
    # The agent cannot rate her own ticket; an integration with a studio admin's token can.
    assert agent_api.post(f"{url}/csat/", {"rating": 5}, format="json").status_code == 403
    response = admin_api.post(f"{url}/csat/", {"rating": 4, "comment": "Nice"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["rating"] == 4
    body = agent_api.get(f"{url}/").json()
    assert body["status"] == "closed"
    assert body["csat"]["rating"] == 4 and body["csat"]["comment"] == "Nice"
    assert Ticket.objects.get(pk=ticket["id"]).status == "closed"


def test_tickets_filter_by_bot_status_and_assignee(agent_api, agent, bot, csat_bot):
    from tests.conftest import open_ticket

    first, second = open_ticket(bot), open_ticket(csat_bot)
    agent_api.post(f"/api/tickets/{first.pk}/assign/", {"agent": agent.pk}, format="json")
    ids = lambda q: [t["id"] for t in agent_api.get(f"/api/tickets/?{q}").json()["results"]]  # noqa: E731
    assert ids(f"bot={bot.pk}") == [first.pk]
    assert ids("status=queued") == [second.pk]
    assert ids(f"assignee={agent.pk}") == [first.pk]


def test_runs_list_filters_and_shows_steps(admin_api, bot):
    from django.utils import timezone

    from flows import graph

    flow = graph.save_flow(bot=bot, data={"name": "f", "nodes": [{"key": "start", "type": "start"}]})
    run = FlowRun.objects.create(flow=flow, trigger="manual", status="failed", error="boom")
    run.steps.create(
        seq=1,
        node_key="start",
        node_type="start",
        port="next",
        started_at=timezone.now(),
        duration_ms=1.5,
        output={"a": 1},
    )
    FlowRun.objects.create(flow=flow, trigger="event", status="succeeded")
    results = admin_api.get(f"/api/runs/?flow={flow.pk}&status=failed&trigger=manual").json()["results"]
    assert [r["id"] for r in results] == [run.pk]
    assert results[0]["steps"] == [
        {
            "seq": 1,
            "node": "start",
            "type": "start",
            "port": "next",
            "started_at": results[0]["steps"][0]["started_at"],
            "duration_ms": 1.5,
            "output": {"a": 1},
            "error": "",
        }
    ]
    response = admin_api.post(f"/api/runs/{run.pk}/replay/")
    assert response.status_code == 202, response.json()
    assert FlowRun.objects.get(pk=run.pk).status != "failed"
    assert admin_api.post(f"/api/runs/{run.pk}/replay/").status_code == 409  # only a failed run replays


def test_node_types_list_their_ports_and_schema(admin_api):
    body = admin_api.get("/api/node-types/").json()
    by_name = {n["name"]: n for n in body["results"]}
    assert by_name["start"]["ports"] == ["next"]
    assert by_name["end"]["config_schema"]["type"] == "object"
    assert admin_api.get("/api/node-types/start/").json()["label"] == "Start"
    assert admin_api.get("/api/node-types/nope/").status_code == 404
