"""The routing endpoints: agent status, transfer, notes, tags, canned responses, bot settings."""

from __future__ import annotations

import pytest

from inbox import services as inbox
from inbox.models import Ticket
from tests.api.conftest import client_for
from tests.conftest import PASSWORD, open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(bot):
    return inbox.create_agent(
        username="carol", password=PASSWORD, name="Carol Agent", bots=[bot], max_concurrent=1
    )


def test_an_agent_sets_their_own_status(carol, bot):
    api = client_for(carol)
    ticket = open_ticket(bot)
    body = api.post("/api/agents/me/status/", {"status": "away"}, format="json").json()
    assert (body["status"], body["is_available"], body["active_tickets"]) == ("away", False, 1)
    assert body["last_assigned_at"] is not None and body["max_concurrent"] == 1
    assert api.post("/api/agents/me/status/", {"status": "asleep"}, format="json").status_code == 400
    assert api.get("/api/agents/").status_code == 403  # the list stays for admins
    assert ticket.pk


def test_tickets_show_queue_position_and_filter_by_tag(agent_api, bot, carol):
    first, second = open_ticket(bot), open_ticket(bot)
    listed = {t["id"]: t for t in agent_api.get(f"/api/tickets/?bot={bot.pk}").json()["results"]}
    assert (listed[first.pk]["status"], listed[first.pk]["queue_position"]) == ("assigned", None)
    assert (listed[second.pk]["status"], listed[second.pk]["queue_position"]) == ("queued", 1)
    tagged = agent_api.post(f"/api/tickets/{second.pk}/tags/", {"tags": ["Refund", "vip"]}, format="json")
    assert tagged.json()["tags"] == ["refund", "vip"]
    assert [t["id"] for t in agent_api.get("/api/tickets/?tag=refund").json()["results"]] == [second.pk]


def test_transfer_and_notes_through_the_api(agent_api, admin_api, bot, carol, agent):
    ticket = open_ticket(bot)  # carol's
    waiting = open_ticket(bot)
    refused = agent_api.post(f"/api/tickets/{waiting.pk}/transfer/", {"agent": carol.pk}, format="json")
    assert refused.status_code == 409
    assert (
        agent_api.post(
            f"/api/tickets/{waiting.pk}/transfer/", {"agent": carol.pk, "force": True}, format="json"
        ).status_code
        == 403
    )
    forced = admin_api.post(
        f"/api/tickets/{waiting.pk}/transfer/",
        {"agent": carol.pk, "note": "VIP", "force": True},
        format="json",
    )
    assert forced.status_code == 200 and forced.json()["assignee"] == carol.pk
    both = agent_api.post(
        f"/api/tickets/{ticket.pk}/transfer/", {"agent": carol.pk, "group": "x"}, format="json"
    )
    assert both.status_code == 400
    note = agent_api.post(f"/api/tickets/{ticket.pk}/notes/", {"text": "Call back at 5"}, format="json")
    assert note.status_code == 201 and note.json()["author"]["username"] == "alice"
    notes = agent_api.get(f"/api/tickets/{ticket.pk}/notes/").json()["results"]
    assert [n["text"] for n in notes] == ["Call back at 5"]
    assert agent_api.post(f"/api/tickets/{ticket.pk}/notes/", {"text": ""}, format="json").status_code == 400


def test_canned_responses_are_admin_managed_and_render_in_the_console(
    admin_api, agent_api, client, bot, carol
):
    body = {"bot": bot.pk, "shortcut": "hello", "text": "Hi {{ customer.name }}, {{ agent.name }} here."}
    created = admin_api.post("/api/canned-responses/", body, format="json")
    assert created.status_code == 201, created.json()
    assert admin_api.post("/api/canned-responses/", body, format="json").status_code == 400  # taken
    broken = admin_api.post(
        "/api/canned-responses/", {**body, "shortcut": "bad", "text": "{{ oops"}, format="json"
    )
    assert broken.status_code == 400
    assert agent_api.get("/api/canned-responses/").status_code == 403
    assert [
        c["shortcut"] for c in admin_api.get(f"/api/canned-responses/?bot={bot.pk}").json()["results"]
    ] == ["hello"]
    ticket = open_ticket(bot)
    client.force_login(carol)
    offers = client.get(f"/inbox/tickets/{ticket.pk}/canned/").json()["canned"]
    assert offers[0]["text"] == "Hi Dana, Carol Agent here."
    changed = admin_api.patch(
        f"/api/canned-responses/{created.json()['id']}/", {"text": "Bye"}, format="json"
    )
    assert changed.json()["text"] == "Bye"
    assert admin_api.delete(f"/api/canned-responses/{created.json()['id']}/").status_code == 204


def test_bot_inbox_settings_are_read_and_changed(admin_api, bot, carol):
    body = admin_api.get(f"/api/bots/{bot.pk}/").json()
    assert body["inbox"]["queue_enabled"] is True and body["inbox"]["default_max_concurrent"] == 3
    inbox.update_agent(carol, max_concurrent=None)
    tickets = [open_ticket(bot) for _ in range(4)]
    assert Ticket.objects.get(pk=tickets[3].pk).status == "queued"
    changed = admin_api.patch(f"/api/bots/{bot.pk}/", {"inbox": {"default_max_concurrent": 4}}, format="json")
    assert changed.status_code == 200 and changed.json()["inbox"]["default_max_concurrent"] == 4
    assert Ticket.objects.get(pk=tickets[3].pk).status == "assigned"  # the raised limit is used at once
    bad = admin_api.patch(f"/api/bots/{bot.pk}/", {"inbox": {"queue_limit": 0}}, format="json")
    assert bad.status_code == 400
