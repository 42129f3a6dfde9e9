"""Who may see what: agents only their bots, customers only their chat through its token,
state changes only with a CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client

from flows.models import FlowRun
from inbox import services as inbox
from tests.conftest import open_ticket
from tests.inbox.test_resolve import event_flow

pytestmark = pytest.mark.django_db


def test_an_agent_lists_only_their_bots_rows_in_the_admin(client, agent, other_agent, bot, other_bot):
    mine, theirs = open_ticket(bot, subject="Mine to solve"), open_ticket(other_bot, subject="Globex only")
    client.force_login(other_agent)
    tickets = client.get("/admin/inbox/ticket/").content.decode()
    assert "Globex only" in tickets and "Mine to solve" not in tickets
    conversations = client.get("/admin/inbox/conversation/").content.decode()
    assert f"/admin/inbox/conversation/{theirs.conversation_id}/change/" in conversations
    assert f"/admin/inbox/conversation/{mine.conversation_id}/change/" not in conversations
    assert client.get(f"/admin/inbox/conversation/{mine.conversation_id}/change/").status_code in (302, 404)
    assert client.get(f"/admin/inbox/ticket/{mine.pk}/change/").status_code in (302, 404)


def test_an_agent_cannot_open_flows_runs_or_other_studio_pages(client, agent, bot):
    run = FlowRun.objects.create(flow=event_flow(bot), trigger="event", status="failed", error="boom")
    client.force_login(agent)
    for url in (
        "/admin/flows/flow/",
        f"/admin/flows/flowrun/{run.pk}/change/",
        "/admin/studio/bot/",
        "/admin/events/event/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/flows/flowrun/{run.pk}/replay/").status_code == 403
    assert FlowRun.objects.get(pk=run.pk).status == "failed"


def test_a_chat_token_opens_only_its_own_conversation(client, bot):
    dana = inbox.start_conversation(bot, customer={"name": "Dana"})
    eve = inbox.start_conversation(bot, customer={"name": "Eve"})
    inbox.post_customer_message(dana, "my card ends 4242")
    page = client.get(f"/chat/c/{eve.access_token}/").content.decode()
    assert "4242" not in page and "Dana" not in page
    assert client.get(f"/chat/c/{dana.pk}/").status_code == 404  # the id is not a key
    assert dana.access_token != eve.access_token and len(dana.access_token) >= 32


def test_state_changes_need_a_csrf_token(bot, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    run = FlowRun.objects.create(flow=event_flow(bot), trigger="event", status="failed", error="boom")
    conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post(f"/chat/{bot.pk}/", {"name": "Dana", "text": "hi"}).status_code == 403
    assert anonymous.post(f"/chat/c/{conversation.access_token}/messages/", {"text": "hi"}).status_code == 403
    assert anonymous.post("/accounts/login/", {"username": "admin", "password": "x"}).status_code == 403
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(admin_user)
    assert staff.post(f"/admin/flows/flowrun/{run.pk}/replay/").status_code == 403
    assert (
        staff.post("/admin/events/event/", {"action": "activate", "_selected_action": [1]}).status_code == 403
    )
    assert FlowRun.objects.get(pk=run.pk).status == "failed"
    assert conversation.messages.count() == 0
