"""List endpoints cost the same number of queries for 2 items as for 20."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flows import graph
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Ticket
from tests.conftest import open_ticket

pytestmark = pytest.mark.django_db

# Token lookup, the permission check, the count and the page, plus one query per prefetch.
MAX_QUERIES = 8


def make_tickets(bot, agent, n):
    for i in range(n):
        ticket = open_ticket(bot, subject=f"T{i}")
        if i % 2:
            inbox.resolve_ticket(ticket, agent)


def make_flows(bot, n):
    for i in range(n):
        graph.save_flow(
            bot=bot,
            data={
                "name": f"F{i}",
                "nodes": [{"key": "start", "type": "start"}, {"key": "end", "type": "end"}],
                "edges": [{"source": "start", "port": "next", "target": "end"}],
            },
        )


def make_runs(bot, n):
    flow = graph.save_flow(bot=bot, data={"name": "R", "nodes": [{"key": "start", "type": "start"}]})
    for _ in range(n):
        run = FlowRun.objects.create(flow=flow, trigger="manual", status="succeeded")
        for seq in (1, 2):
            run.steps.create(
                seq=seq, node_key="start", node_type="start", port="next", started_at=timezone.now()
            )


def make_events(bot, n):
    from events import services as events

    for _ in range(n):
        key = f"custom-{uuid4().hex[:12]}"
        events.create_custom_event(bot, key, key)


def count(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize(
    "url,make,who",
    [
        ("/api/tickets/", lambda bot, agent, n: make_tickets(bot, agent, n), "agent"),
        ("/api/tickets/", lambda bot, agent, n: make_tickets(bot, agent, n), "admin"),
        ("/api/runs/", lambda bot, agent, n: make_runs(bot, n), "admin"),
        ("/api/flows/", lambda bot, agent, n: make_flows(bot, n), "admin"),
        ("/api/events/?category=custom", lambda bot, agent, n: make_events(bot, n), "admin"),
        ("/api/event-occurrences/", lambda bot, agent, n: make_tickets(bot, agent, n), "admin"),
        (
            "/api/agents/",
            lambda bot, agent, n: [
                inbox.create_agent(username=uuid4().hex[:12], password="x", bots=[bot]) for _ in range(n)
            ],
            "admin",
        ),
    ],
)
def test_list_queries_do_not_grow_with_items(
    url, make, who, bot, agent, admin_user, django_assert_max_num_queries
):
    from tests.api.conftest import client_for

    client = client_for(admin_user if who == "admin" else agent)
    make(bot, agent, 2)
    with django_assert_max_num_queries(MAX_QUERIES):
        few, few_count = count(client, url)
    make(bot, agent, 18)
    with django_assert_max_num_queries(MAX_QUERIES):
        many, many_count = count(client, url)
    assert many_count > few_count
    assert many == few


def event_flows(bot, n):
    from tests.conftest import activate

    activate(bot, "ticket-closed")
    for i in range(n):
        graph.save_flow(
            bot=bot,
            data={
                "name": f"closed {i}",
                "trigger": {"type": "event", "event": "ticket-closed"},
                "nodes": [{"key": "start", "type": "start"}, {"key": "end", "type": "end"}],
                "edges": [{"source": "start", "port": "next", "target": "end"}],
            },
        )


def resolve_queries(client, ticket) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/api/tickets/{ticket.pk}/resolve/", {"note": "done"}, format="json")
    assert response.status_code == 200, response.content
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_resolve_costs_the_same_queries_for_one_flow_and_for_six(who, bot, agent, admin_user):
    """One bulk insert of runs and one task whatever the number of active ticket-closed
    flows; the admin check is asked once per request (permission and scoped queryset)."""
    from tests.api.conftest import client_for

    client = client_for(admin_user if who == "admin" else agent)
    event_flows(bot, 1)
    one = resolve_queries(client, open_ticket(bot, subject="one"))
    event_flows(bot, 5)
    six = resolve_queries(client, open_ticket(bot, subject="six"))
    assert FlowRun.objects.count() == 1 + 6
    assert len(six) == len(one)
    assert sum('"auth_group"' in sql for sql in six) == 1
    # one statement inserts the ticket-closed runs (on PostgreSQL inside the emit's one
    # statement; the conversation-ended emit's carries none: that event is inactive)
    ticket_closed_runs = [
        sql for sql in six if 'INSERT INTO "flows_flowrun"' in sql and "'conversation-ended'" not in sql
    ]
    assert len(ticket_closed_runs) == 1


def test_the_resolve_answer_is_the_ticket_as_read_afterwards(bot, csat_bot, agent):
    from tests.api.conftest import client_for

    client = client_for(agent)
    for which in (bot, csat_bot):
        ticket = open_ticket(which)
        answer = client.post(f"/api/tickets/{ticket.pk}/resolve/", {"note": "done"}, format="json").json()
        assert answer == client.get(f"/api/tickets/{ticket.pk}/").json()
        assert answer["status"] == ("closed" if which == bot else "pending_csat")
        assert answer["csat"] is None and answer["queue_position"] is None
        assert answer["assignee"] == agent.pk and answer["resolution_note"] == "done"


def test_resolving_another_bots_ticket_is_not_found_as_reading_it_is(bot, other_bot, agent):
    from tests.api.conftest import client_for

    client = client_for(agent)
    theirs = open_ticket(other_bot)
    answer = client.post(f"/api/tickets/{theirs.pk}/resolve/", {"note": "x"}, format="json")
    read = client.get(f"/api/tickets/{theirs.pk}/")
    assert answer.status_code == read.status_code == 404
    assert answer.json() == read.json()
    huge = client.post(f"/api/tickets/{10**30}/resolve/", {"note": "x"}, format="json")
    assert huge.status_code == 404
    assert Ticket.objects.get(pk=theirs.pk).status != "closed"


def test_one_serializer_answers_for_every_ticket_as_a_new_one_would(bot, csat_bot, agent):
    """api.views.tickets.ticket_answer reuses one TicketSerializer: each answer is what a
    serializer built for that ticket gives, whatever it answered before."""
    from api.serializers.inbox import TicketSerializer
    from api.views.tickets import ticket_answer

    rated = open_ticket(csat_bot, subject="rated")
    inbox.resolve_ticket(rated, agent)
    inbox.submit_csat(rated, 4, comment="Kind")
    closed = open_ticket(bot, subject="closed")
    inbox.resolve_ticket(closed, agent, note="done")
    queued = [open_ticket(bot, subject=f"queued {i}") for i in range(2)]
    tickets = Ticket.objects.select_related("csat_response").filter(
        pk__in=[rated.pk, closed.pk, *(t.pk for t in queued)]
    )
    for ticket in [*tickets, *reversed(tickets)]:
        assert ticket_answer(ticket) == TicketSerializer(ticket).data
    answers = {t.pk: ticket_answer(t) for t in tickets}
    assert (answers[rated.pk]["csat"]["rating"], answers[rated.pk]["csat"]["comment"]) == (4, "Kind")
    assert answers[closed.pk]["csat"] is None and answers[closed.pk]["resolution_note"] == "done"
    assert [answers[t.pk]["queue_position"] for t in queued] == [1, 2]
