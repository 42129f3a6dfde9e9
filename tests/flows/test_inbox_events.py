"""Inactivity closes silent chats and runs the ticket-closed flows; Raise ticket reports
routing; Send event emits a bot's events with a depth limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services as events
from events.models import EventOccurrence
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Message, Ticket
from inbox.services import inactivity
from inbox.tasks import sweep_inactivity
from tests.conftest import PASSWORD, activate
from tests.flows.conftest import build_flow
from tests.inbox.test_resolve import event_flow

pytestmark = pytest.mark.django_db


def available_agent(bot, max_concurrent=1):
    return inbox.create_agent(
        username="carol", password=PASSWORD, name="Carol Agent", bots=[bot], max_concurrent=max_concurrent
    )


def test_a_silent_customer_is_reminded_then_the_ticket_closes_by_inactivity(bot, on_commit):
    carol = available_agent(bot)
    flow = event_flow(bot)
    activate(bot, "ticket-closed")
    activate(bot, "ticket-inactive")
    conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    ticket = inbox.raise_ticket(conversation, subject="Help")
    inbox.reply_to_ticket(ticket, carol, "What is your order number?")
    assert inactivity.sweep() == {"reminded": 0, "closed": 0, "agents_alerted": 0}  # not yet

    later = timezone.now() + timedelta(minutes=11)
    assert inactivity.sweep(later)["reminded"] == 1
    assert inactivity.sweep(later)["reminded"] == 0  # once
    texts = list(conversation.messages.filter(sender="system").values_list("text", flat=True))
    assert "Are you still there? This chat closes soon if we do not hear from you." in texts
    assert EventOccurrence.objects.get(key="ticket-inactive").payload["inactivity"]["minutes"] == 10

    with on_commit():
        assert inactivity.sweep(later + timedelta(minutes=11))["closed"] == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == ("closed", "inactivity")
    occurrence = EventOccurrence.objects.get(key="ticket-closed")
    assert occurrence.payload["ticket"]["close_reason"] == "inactivity"
    assert occurrence.payload["csat"] is None
    assert FlowRun.objects.get(flow=flow).status == "succeeded"
    assert not Message.objects.filter(conversation=conversation, text__contains="How would you rate").exists()


def test_a_customer_answer_resets_the_timer(bot):
    carol = available_agent(bot)
    conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    ticket = inbox.raise_ticket(conversation, subject="Help")
    inbox.reply_to_ticket(ticket, carol, "Order number?")
    inbox.post_customer_message(conversation, "A-17")
    assert inactivity.sweep(timezone.now() + timedelta(hours=1))["reminded"] == 0
    assert Ticket.objects.get(pk=ticket.pk).status == "assigned"


def test_an_unanswered_chat_raises_agent_inactive_once(bot):
    available_agent(bot)
    conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    inbox.raise_ticket(conversation, subject="Help")
    later = timezone.now() + timedelta(minutes=6)
    assert inactivity.sweep(later)["agents_alerted"] == 1
    assert sweep_inactivity()["agents_alerted"] == 0
    payload = EventOccurrence.objects.get(key="agent-inactive").payload
    assert payload["agent"]["username"] == "carol" and payload["inactivity"]["minutes"] == 5


def test_raise_ticket_reports_status_and_position_or_agents_unavailable(bot, on_commit):
    build_flow(
        bot,
        [
            ("handover", "raise_ticket", {"subject": "Help"}),
            ("say", "send_message", {"text": "{{ vars.ticket.status }} {{ vars.ticket.queue_position }}"}),
            ("done", "end", {}),
            ("sorry", "send_message", {"text": "Nobody is around."}),
        ],
        edges=[
            ("start", "next", "handover"),
            ("handover", "ticket_created", "say"),
            ("say", "next", "done"),
            ("handover", "agents_unavailable", "sorry"),
        ],
        trigger={"type": "conversation"},
    )
    carol = available_agent(bot)

    def chat():
        with on_commit():
            conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
        return list(conversation.messages.filter(sender="bot").values_list("text", flat=True))

    assert chat() == ["assigned None"]
    assert chat() == ["queued 1"]
    inbox.set_agent_status(carol, "offline")
    assert chat() == ["Nobody is around."]
    assert Ticket.objects.count() == 2  # no ticket for the missed one


def test_send_event_emits_custom_events_and_stops_a_loop(bot, on_commit):
    events.create_custom_event(bot, "vip-seen", "VIP seen")
    activate(bot, "vip-seen")
    build_flow(
        bot,
        [("emit", "send_event", {"event": "vip-seen", "payload": {"who": "{{ event.who }}"}})],
        edges=[("start", "next", "emit")],
        trigger={"type": "event", "event": "vip-seen"},
        name="loops on itself",
    )
    missing = build_flow(
        bot,
        [("emit", "send_event", {"event": "no-such-event"}), ("end", "end", {})],
        edges=[("start", "next", "emit"), ("emit", "failure", "end")],
        trigger={"type": "manual"},
        name="m",
    )
    with on_commit():
        events.emit(bot, "vip-seen", {"who": "Dana"})
    occurrences = EventOccurrence.objects.filter(key="vip-seen").order_by("pk")
    assert occurrences.count() == 6  # the first emission plus five hops, then the limit
    assert occurrences.last().payload == {"event": "vip-seen", "who": "Dana"}
    last_run = FlowRun.objects.filter(flow__name="loops on itself").order_by("pk").last()
    assert last_run.context["depth"] == 5
    assert last_run.steps.get(node_key="emit").port == "failure"

    from flows import services

    with on_commit():
        run = services.start_manual_run(missing)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.steps.get(node_key="emit").output["error"] == "the bot has no event 'no-such-event'"
