"""The mission end to end: a conversation hands over to an agent, and closing the ticket
continues that flow and starts the bot's ticket-closed flows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from flows import services, tasks
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Message, Ticket
from tests.conftest import activate, open_ticket
from tests.flows.conftest import build_flow, steps_of

pytestmark = pytest.mark.django_db

THANKS = "Thanks for your patience!{% if vars.csat %} You rated us {{ vars.csat.rating }}/{{ vars.csat.scale }}.{% endif %}"


def conversation_flow(bot):
    return build_flow(
        bot,
        [
            ("greet", "send_message", {"text": "Hi {{ customer.name }}, I am the Acme bot."}),
            ("ask", "question", {"text": "What can we help you with?", "save_as": "problem"}),
            (
                "handover",
                "raise_ticket",
                {
                    "subject": "{{ vars.problem }}",
                    "category": "billing",
                    "priority": "high",
                    "group": "billing",
                },
            ),
            ("thanks", "send_message", {"text": THANKS}),
            ("sorry", "send_message", {"text": "Nobody is available right now."}),
            ("done", "end", {}),
        ],
        edges=[
            ("start", "next", "greet"),
            ("greet", "next", "ask"),
            ("ask", "answered", "handover"),
            ("handover", "ticket_closed", "thanks"),
            ("handover", "agents_unavailable", "sorry"),
            ("thanks", "next", "done"),
        ],
        name="Support chat",
        trigger={"type": "conversation"},
    )


def bot_texts(conversation):
    return list(
        Message.objects.filter(conversation=conversation, sender="bot").values_list("text", flat=True)
    )


def chat_until_handover(bot, on_commit):
    conversation_flow(bot)
    with on_commit():
        conversation = inbox.start_conversation(bot, customer={"name": "Dana", "email": "dana@example.com"})
    run = FlowRun.objects.get(conversation=conversation)
    assert (run.status, run.waiting_for) == ("waiting", "reply")
    with on_commit():
        inbox.post_customer_message(conversation, "I was charged twice")
    run.refresh_from_db()
    return conversation, run


def test_raise_ticket_waits_and_resumes_at_ticket_closed_with_csat_off(bot, agent, on_commit):
    conversation, run = chat_until_handover(bot, on_commit)
    ticket = Ticket.objects.get(conversation=conversation)
    assert (run.status, run.waiting_for, run.ticket_id) == ("waiting", "ticket", ticket.pk)
    assert (ticket.subject, ticket.group, ticket.priority) == ("I was charged twice", "billing", "high")
    assert run.vars["problem"] == "I was charged twice"
    with on_commit():
        inbox.resolve_ticket(ticket, agent, note="Refunded")
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert bot_texts(conversation) == [
        "Hi Dana, I am the Acme bot.",
        "What can we help you with?",
        "Thanks for your patience!",
    ]
    assert run.vars["csat"] is None and run.vars["ticket"]["status"] == "closed"
    assert steps_of(run)[-3:] == [("handover", "ticket_closed"), ("thanks", "next"), ("done", "")]


def test_raise_ticket_resumes_after_the_rating_with_csat_on(csat_bot, agent, on_commit):
    conversation, run = chat_until_handover(csat_bot, on_commit)
    ticket = Ticket.objects.get(conversation=conversation)
    with on_commit():
        inbox.resolve_ticket(ticket, agent)
    run.refresh_from_db()
    assert run.status == "waiting"  # the ticket waits for the customer's rating
    with on_commit():
        inbox.submit_csat(ticket, 4, comment="Kind")
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.vars["csat"] == {"rating": 4, "scale": 5, "comment": "Kind"}
    assert bot_texts(conversation)[-1] == "Thanks for your patience! You rated us 4/5."


def test_raise_ticket_takes_agents_unavailable_without_creating_a_ticket(bot, on_commit):
    inbox.create_agent(username="carol", password="pw-for-tests-1", bots=[bot], groups=["technical"])
    conversation, run = chat_until_handover(bot, on_commit)
    assert run.status == "succeeded"
    assert not Ticket.objects.exists()
    assert bot_texts(conversation)[-1] == "Nobody is available right now."


def test_raise_ticket_without_a_conversation_takes_failure(bot, agent, run_flow):
    flow = build_flow(
        bot,
        [
            ("handover", "raise_ticket", {"subject": "x"}),
            ("oops", "set_variable", {"name": "failed", "value": True}),
        ],
        edges=[("start", "next", "handover"), ("handover", "failure", "oops")],
    )
    run = run_flow(flow)
    assert run.status == "succeeded" and run.vars["failed"] is True


def event_flow(bot, name, active=True):
    return build_flow(
        bot,
        [
            (
                "note",
                "database",
                {
                    "table": "closed_tickets",
                    "operation": "insert",
                    "values": {"flow": name, "ticket": "{{ event.ticket.id }}"},
                },
            )
        ],
        name=name,
        trigger={"type": "event", "event": "ticket-closed"},
        active=active,
    )


def test_closing_a_ticket_starts_each_active_ticket_closed_flow_once(bot, agent, on_commit):
    from tables.models import Row

    flows = [event_flow(bot, f"flow {i}") for i in range(3)]
    event_flow(bot, "switched off", active=False)
    activate(bot, "ticket-closed")
    ticket = open_ticket(bot)
    with on_commit():
        inbox.resolve_ticket(ticket, agent)
    runs = FlowRun.objects.filter(trigger="event")
    assert sorted(r.flow_id for r in runs) == sorted(f.pk for f in flows)
    assert {r.status for r in runs} == {"succeeded"}
    occurrence = runs[0].occurrence
    # The queue delivers at least once: the dispatch and each execution again change nothing.
    assert tasks.dispatch_occurrence(occurrence.pk) == 0
    for run in runs:
        assert tasks.execute_run(run.pk) == "not-claimed"
    rows = Row.objects.filter(table__name="closed_tickets")
    assert sorted(r.data["flow"] for r in rows) == ["flow 0", "flow 1", "flow 2"]
    assert {r.data["ticket"] for r in rows} == {ticket.pk}


def test_a_dispatch_delivered_twice_before_the_runs_start_runs_each_once(
    bot, agent, django_capture_on_commit_callbacks
):
    from django_q.models import Task

    from tables.models import Row

    for i in range(3):
        event_flow(bot, f"flow {i}")
    activate(bot, "ticket-closed")
    ticket = open_ticket(bot)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inbox.resolve_ticket(ticket, agent)
    for deliver in callbacks * 2:  # the queue delivers at least once (sync: tasks run inline)
        deliver()
    assert Row.objects.count() == 3 and FlowRun.objects.filter(status="succeeded").count() == 3
    # The task carries the runs' ids (it looks nothing up); one with the occurrence alone
    # looks up its queued runs: none left.
    runs = list(FlowRun.objects.order_by("pk").values_list("pk", "occurrence_id"))
    dispatched = Task.objects.filter(func=services.DISPATCH_TASK).order_by("started")
    assert [tuple(task.args) for task in dispatched] == [(runs[0][1], *[pk for pk, _ in runs])] * 2
    assert tasks.dispatch_occurrence(runs[0][1]) == 0


def test_an_inactive_event_or_flow_starts_nothing(bot, agent, on_commit):
    event_flow(bot, "active flow")
    ticket = open_ticket(bot)
    with on_commit():
        inbox.resolve_ticket(ticket, agent)  # the event is inactive
    assert not FlowRun.objects.exists()
    FlowRun.objects.all().delete()
    bot.flows.update(is_active=False)
    activate(bot, "ticket-closed")
    with on_commit():
        inbox.resolve_ticket(open_ticket(bot), agent)
    assert not FlowRun.objects.exists()


def test_a_question_saves_the_reply(bot, on_commit):
    build_flow(
        bot,
        [
            ("ask", "question", {"text": "Your order number?", "save_as": "order"}),
            ("echo", "send_message", {"text": "Looking up {{ vars.order }}"}),
        ],
        trigger={"type": "conversation"},
    )
    with on_commit():
        conversation = inbox.start_conversation(bot, customer={"name": "Eli"})
    with on_commit():
        inbox.post_customer_message(conversation, "A-123")
    run = FlowRun.objects.get(conversation=conversation)
    assert run.status == "succeeded" and run.vars["order"] == "A-123"
    assert bot_texts(conversation) == ["Your order number?", "Looking up A-123"]
    assert steps_of(run) == [("start", "next"), ("ask", ""), ("ask", "answered"), ("echo", "next")]


def test_a_delay_waits_on_a_schedule_and_resumes(bot, on_commit):
    flow = build_flow(
        bot,
        [("wait", "delay", {"days": 1}), ("follow", "send_message", {"text": "How did we do yesterday?"})],
        trigger={"type": "event", "event": "ticket-closed"},
    )
    conversation = inbox.start_conversation(bot, customer={"name": "Fay"})
    with on_commit():
        run = services.start_run(flow, trigger="event", conversation=conversation)
    run.refresh_from_db()
    assert (run.status, run.waiting_for) == ("waiting", "delay")
    assert run.wait_until > timezone.now() + timedelta(hours=23)
    schedule = Schedule.objects.get(func="flows.tasks.resume_run")
    assert (schedule.args, schedule.next_run, schedule.schedule_type) == (str(run.pk), run.wait_until, "O")
    assert bot_texts(conversation) == []
    with on_commit():
        assert services.resume_after_delay(run.pk) is True
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert bot_texts(conversation) == ["How did we do yesterday?"]
    assert services.resume_after_delay(run.pk) is False  # the schedule firing late does nothing


def test_the_sweeper_resumes_a_due_delay(bot, on_commit):
    flow = build_flow(
        bot, [("wait", "delay", {"minutes": 5}), ("after", "set_variable", {"name": "x", "value": 1})]
    )
    with on_commit():
        run = services.start_run(flow, trigger="manual")
    FlowRun.objects.filter(pk=run.pk).update(wait_until=timezone.now() - timedelta(seconds=1))
    with on_commit():
        assert services.sweep()["resumed"] == 1
    run.refresh_from_db()
    assert run.status == "succeeded" and run.vars == {"x": 1}
