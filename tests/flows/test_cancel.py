"""An admin cancels a run: from the API or the admin; its wait is released, nothing resumes it."""

from __future__ import annotations

import pytest
from django_q.models import Schedule

from events.models import EventOccurrence
from flows import services
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Conversation, Message, Ticket
from tests.conftest import activate
from tests.flows.conftest import build_flow
from tests.flows.test_ticket_flows import bot_texts, chat_until_handover

pytestmark = pytest.mark.django_db


def test_cancelling_a_run_waiting_on_a_ticket_releases_it(client, admin_user, bot, agent, on_commit):
    conversation, run = chat_until_handover(bot, on_commit)
    ticket = Ticket.objects.get(conversation=conversation)
    client.force_login(admin_user)

    response = client.post(f"/api/runs/{run.pk}/cancel/")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    with on_commit():
        inbox.resolve_ticket(ticket, agent)
    run.refresh_from_db()
    assert (run.status, run.waiting_for) == ("cancelled", "")
    assert "Thanks for your patience!" not in bot_texts(conversation)  # ticket_closed never ran


def test_cancelling_a_delayed_run_deletes_its_wake_up(client, admin_user, bot, on_commit):
    flow = build_flow(bot, [("wait", "delay", {"days": 1}), ("say", "send_message", {"text": "Later"})])
    conversation = inbox.start_conversation(bot, customer={"name": "Fay"})
    with on_commit():
        run = services.start_run(flow, trigger="manual", conversation=conversation)
    assert Schedule.objects.filter(func="flows.tasks.resume_run", args=str(run.pk)).exists()
    client.force_login(admin_user)

    page = client.post(f"/admin/flows/flowrun/{run.pk}/cancel/", follow=True)

    assert b"cancelled" in page.content
    assert FlowRun.objects.get(pk=run.pk).status == "cancelled"
    assert not Schedule.objects.filter(func="flows.tasks.resume_run", args=str(run.pk)).exists()
    assert services.resume_after_delay(run.pk) is False
    assert bot_texts(conversation) == []


def test_a_finished_run_cannot_be_cancelled(client, admin_user, bot, run_flow):
    run = run_flow(build_flow(bot, [("say", "set_variable", {"name": "x", "value": "1"})]))
    assert run.status == "succeeded"
    client.force_login(admin_user)
    response = client.post(f"/api/runs/{run.pk}/cancel/")
    assert response.status_code == 409 and "succeeded" in response.json()["detail"]
    assert FlowRun.objects.get(pk=run.pk).status == "succeeded"


def test_agents_cannot_cancel_runs(client, agent, bot, on_commit):
    conversation, run = chat_until_handover(bot, on_commit)
    client.force_login(agent)
    assert client.post(f"/api/runs/{run.pk}/cancel/").status_code == 403
    assert FlowRun.objects.get(pk=run.pk).status == "waiting"


def test_a_conversation_ends_when_its_ticket_closes_and_its_flow_finishes(bot, agent, on_commit):
    activate(bot, "conversation-ended")
    conversation, run = chat_until_handover(bot, on_commit)
    ticket = Ticket.objects.get(conversation=conversation)
    assert not EventOccurrence.objects.filter(key="conversation-ended").exists()
    with on_commit():
        inbox.resolve_ticket(ticket, agent)
    assert Conversation.objects.get(pk=conversation.pk).status == "ended"
    ended = EventOccurrence.objects.get(key="conversation-ended")
    assert ended.status == "dispatched" and ended.payload["conversation"]["id"] == conversation.pk


def test_a_ticket_closed_with_no_flow_waiting_ends_the_conversation(bot, agent, on_commit):
    conversation = inbox.start_conversation(bot, customer={"name": "Gus"})
    ticket = inbox.raise_ticket(conversation, subject="Help")
    with on_commit():
        inbox.resolve_ticket(ticket, agent)
    assert Conversation.objects.get(pk=conversation.pk).status == "ended"
    assert EventOccurrence.objects.filter(key="conversation-ended", status="skipped").count() == 1
    assert Message.objects.filter(conversation=conversation).exists()
