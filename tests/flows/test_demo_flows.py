"""seed_demo installs the five demo flows once, and closing a demo ticket runs them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from standardwebhooks import Webhook

from events.models import Event
from flows.models import Flow, FlowRun
from inbox import services as inbox
from inbox.models import Message, Ticket
from studio.models import Bot
from tables.models import Row

pytestmark = pytest.mark.django_db

NAMES = ["Billing to CRM", "Follow-up", "Promotional message", "Support chat", "Update CRM"]


def test_seed_demo_is_idempotent_and_activates_ticket_closed(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    bot = Bot.objects.get(name="Acme Support")
    assert sorted(Flow.objects.filter(bot=bot).values_list("name", flat=True)) == NAMES
    assert Event.objects.get(bot=bot, key="ticket-closed").is_active


def test_closing_a_demo_ticket_runs_the_ticket_closed_flows(
    monkeypatch, httpserver, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("DEMO_CRM_URL", httpserver.url_for("/crm"))
    httpserver.expect_request("/crm", method="POST").respond_with_json({"ok": True})
    call_command("seed_demo")
    bot = Bot.objects.get(name="Acme Support")
    ticket = Ticket.objects.get(bot=bot, subject="I was charged twice")
    alice = User.objects.get(username="alice")
    with django_capture_on_commit_callbacks(execute=True):
        inbox.resolve_ticket(ticket, alice, note="Refunded")
        inbox.submit_csat(ticket, 5)
    runs = {r.flow.name: r for r in FlowRun.objects.filter(trigger="event").select_related("flow")}
    assert sorted(runs) == ["Billing to CRM", "Follow-up", "Promotional message", "Update CRM"]
    assert (
        runs["Update CRM"].status
        == runs["Billing to CRM"].status
        == runs["Promotional message"].status
        == "succeeded"
    )
    assert (runs["Follow-up"].status, runs["Follow-up"].waiting_for) == ("waiting", "delay")
    contact = Row.objects.get(table__name="crm_contacts").data
    assert (contact["email"], contact["last_ticket"], contact["last_rating"]) == (
        "dana@example.com",
        ticket.pk,
        5,
    )
    request, _ = httpserver.log[0]
    sent = Webhook(bot.webhook_secret).verify(request.get_data(), dict(request.headers))
    assert sent["ticket"]["id"] == ticket.pk and sent["csat"]["rating"] == 5
    assert Message.objects.filter(conversation=ticket.conversation, text__contains="THANKS10").exists()
    assert json.loads(json.dumps(runs["Billing to CRM"].vars["crm"]["body"])) == {"ok": True}
