"""Raise ticket's `ticket_created` branch runs first; the run then waits on the ticket."""

from __future__ import annotations

import pytest

from flows import services
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Ticket
from tests.flows.conftest import build_flow, steps_of
from tests.flows.test_ticket_flows import bot_texts

pytestmark = pytest.mark.django_db


def handover_flow(bot, branch: list[tuple[str, str, dict]], branch_edges: list[tuple[str, str, str]]):
    return build_flow(
        bot,
        [
            ("handover", "raise_ticket", {"subject": "Help", "category": "billing"}),
            *branch,
            (
                "thanks",
                "send_message",
                {"text": "Thanks, ticket {{ vars.ticket.id }} is {{ vars.ticket.status }}."},
            ),
        ],
        edges=[("start", "next", "handover"), ("handover", "ticket_closed", "thanks"), *branch_edges],
        trigger={"type": "conversation"},
    )


def start_chat(bot, on_commit):
    with on_commit():
        conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    return conversation, FlowRun.objects.get(conversation=conversation)


def test_the_ticket_created_branch_runs_then_the_run_waits_for_the_close(bot, agent, on_commit):
    handover_flow(
        bot,
        [("eta", "send_message", {"text": "An agent will join you shortly."}), ("eta_done", "end", {})],
        [("handover", "ticket_created", "eta"), ("eta", "next", "eta_done")],
    )
    conversation, run = start_chat(bot, on_commit)
    ticket = Ticket.objects.get(conversation=conversation)
    assert (run.status, run.waiting_for, run.current_node, run.ticket_id) == (
        "waiting",
        "ticket",
        "handover",
        ticket.pk,
    )
    assert bot_texts(conversation) == ["An agent will join you shortly."]

    with on_commit():
        inbox.resolve_ticket(ticket, agent)

    run.refresh_from_db()
    assert run.status == "succeeded"
    assert bot_texts(conversation)[-1] == f"Thanks, ticket {ticket.pk} is closed."
    assert steps_of(run) == [
        ("start", "next"),
        ("handover", "ticket_created"),
        ("eta", "next"),
        ("eta_done", ""),
        ("handover", "ticket_closed"),
        ("thanks", "next"),
    ]


def test_a_ticket_closed_while_its_branch_waits_resumes_when_the_branch_ends(bot, agent, on_commit):
    handover_flow(
        bot,
        [("survey", "question", {"text": "While you wait: how did you find us?", "save_as": "source"})],
        [("handover", "ticket_created", "survey")],
    )
    conversation, run = start_chat(bot, on_commit)
    ticket = Ticket.objects.get(conversation=conversation)
    with on_commit():
        inbox.resolve_ticket(ticket, agent)  # the run waits on the customer's reply, not the ticket
    run.refresh_from_db()
    assert (run.status, run.waiting_for) == ("waiting", "reply")

    with on_commit():
        inbox.post_customer_message(conversation, "A friend")

    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.vars["source"] == "A friend"
    assert bot_texts(conversation)[-1] == f"Thanks, ticket {ticket.pk} is closed."


def test_the_sweeper_resumes_a_run_waiting_on_a_ticket_that_closed_unseen(bot, agent, on_commit):
    handover_flow(bot, [], [])
    conversation, run = start_chat(bot, on_commit)
    ticket = Ticket.objects.get(conversation=conversation)
    # The close happened without reaching this run (it committed between the run's checks).
    with on_commit():
        FlowRun.objects.filter(pk=run.pk).update(status="running")
        inbox.resolve_ticket(ticket, agent)
        FlowRun.objects.filter(pk=run.pk).update(status="waiting")
    run.refresh_from_db()
    assert run.status == "waiting"

    with on_commit():
        services.sweep()

    run.refresh_from_db()
    assert run.status == "succeeded"
    assert bot_texts(conversation)[-1] == f"Thanks, ticket {ticket.pk} is closed."
