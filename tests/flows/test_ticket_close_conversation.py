"""What a ticket's close does to its conversation and to the runs waiting on it: the chat goes
back to the bot when a run waits on the ticket, else it ends; its status is written once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import EventOccurrence
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Conversation
from tests.conftest import open_ticket
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


def waiting_on(ticket, **vars):
    flow = build_flow(ticket.bot, [("say", "set_variable", {"name": "x", "value": "1"})])
    return FlowRun.objects.create(
        flow=flow,
        trigger="manual",
        ticket=ticket,
        conversation=ticket.conversation,
        status="waiting",
        waiting_for="ticket",
        current_node="say",
        vars=vars,
    )


def resolve_counting_conversation_writes(ticket, agent) -> int:
    with CaptureQueriesContext(connection) as ctx:
        inbox.resolve_ticket(ticket, agent, note="Done")
    return sum(q["sql"].startswith('UPDATE "inbox_conversation"') for q in ctx.captured_queries)


def test_a_run_waiting_on_the_ticket_resumes_and_the_chat_goes_back_to_the_bot(bot, agent):
    ticket = open_ticket(bot)
    run = waiting_on(ticket, problem="charged twice", csat="stale")
    other = waiting_on(open_ticket(bot, subject="another"), problem="not this one")

    assert resolve_counting_conversation_writes(ticket, agent) == 1

    assert Conversation.objects.get(pk=ticket.conversation_id).status == "bot"
    assert not EventOccurrence.objects.filter(key="conversation-ended").exists()
    run.refresh_from_db()
    assert (run.status, run.resume_port, run.waiting_for, run.wait_until) == (
        "queued",
        "ticket_closed",
        "",
        None,
    )
    # The ticket and the (absent) rating are merged over the run's variables; the rest stay.
    assert run.vars["problem"] == "charged twice" and run.vars["csat"] is None
    assert run.vars["ticket"]["id"] == ticket.pk and run.vars["ticket"]["status"] == "closed"
    other.refresh_from_db()
    assert (other.status, other.vars) == ("waiting", {"problem": "not this one"})


def test_with_no_run_waiting_the_conversation_ends_in_one_write(bot, agent):
    ticket = open_ticket(bot)
    assert resolve_counting_conversation_writes(ticket, agent) == 1
    assert Conversation.objects.get(pk=ticket.conversation_id).status == "ended"
    assert EventOccurrence.objects.filter(key="conversation-ended").count() == 1


def test_the_second_ticket_of_an_ended_chat_ends_it_again_or_hands_it_back(bot, agent):
    """Two tickets on one chat: the first close ended it. The second close ends it again
    (no new conversation-ended) or, with a run waiting on that ticket, gives it back to
    the bot, as when the close wrote `bot` before the flows decided."""
    first = open_ticket(bot, subject="first")
    conversation = first.conversation
    second = inbox.raise_ticket(conversation, subject="second")
    third = inbox.raise_ticket(conversation, subject="third")
    inbox.resolve_ticket(first, agent)
    Conversation.objects.filter(pk=conversation.pk).update(status="ended")

    inbox.resolve_ticket(second, agent)
    assert Conversation.objects.get(pk=conversation.pk).status == "ended"
    assert EventOccurrence.objects.filter(key="conversation-ended").count() == 1

    waiting_on(third)
    inbox.resolve_ticket(third, agent)
    assert Conversation.objects.get(pk=conversation.pk).status == "bot"
