"""Routing under real concurrency on PostgreSQL: threads, each with its own connection.

SQLite serialises write transactions, so these races only exist on PostgreSQL (`postgres`).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from inbox import services as inbox
from inbox.models import Ticket
from inbox.services import routing
from studio.errors import Conflict
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Conflict:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def agent(bot, name, **kwargs):
    return inbox.create_agent(username=name, password=PASSWORD, name=name.title(), bots=[bot], **kwargs)


def conversation(bot, i):
    return inbox.start_conversation(bot, customer={"name": f"Customer {i}"})


def test_concurrent_raises_never_push_an_agent_past_max_concurrent(bot):
    carol = agent(bot, "carol", max_concurrent=2)
    chats = [conversation(bot, i) for i in range(6)]
    at_once(*[lambda c=c: inbox.raise_ticket(c, subject="Help").pk for c in chats])
    assert routing.active_tickets(carol.pk) == 2
    assert Ticket.objects.filter(status="queued").count() == 4


def test_two_agents_freeing_at_once_never_get_the_same_ticket(bot):
    carol = agent(bot, "carol", max_concurrent=1)
    dave = agent(bot, "dave", max_concurrent=1)
    first = inbox.raise_ticket(conversation(bot, 1), subject="one")
    second = inbox.raise_ticket(conversation(bot, 2), subject="two")
    waiting = [inbox.raise_ticket(conversation(bot, i), subject=f"q{i}") for i in (3, 4)]
    assert {Ticket.objects.get(pk=t.pk).status for t in waiting} == {"queued"}
    by = {
        Ticket.objects.get(pk=first.pk).assignee_id: first,
        Ticket.objects.get(pk=second.pk).assignee_id: second,
    }

    at_once(
        lambda: inbox.resolve_ticket(by[carol.pk], carol), lambda: inbox.resolve_ticket(by[dave.pk], dave)
    )

    owners = [Ticket.objects.get(pk=t.pk).assignee_id for t in waiting]
    assert sorted(owners) == sorted([carol.pk, dave.pk])  # one each, none twice
    assert routing.active_tickets(carol.pk) == routing.active_tickets(dave.pk) == 1


def test_a_ticket_never_has_two_assignees(bot):
    carol = agent(bot, "carol", status="away")
    dave = agent(bot, "dave", status="away")
    ticket = inbox.raise_ticket(conversation(bot, 1), subject="Help")
    results = at_once(
        lambda: inbox.assign_ticket(Ticket.objects.get(pk=ticket.pk), carol, by=carol).assignee_id,
        lambda: inbox.assign_ticket(Ticket.objects.get(pk=ticket.pk), dave, by=dave).assignee_id,
    )
    ticket.refresh_from_db()
    assert results.count("refused") == 1
    assert ticket.status == "assigned" and [ticket.assignee_id] == [r for r in results if r != "refused"]
    assert routing.active_tickets(carol.pk) + routing.active_tickets(dave.pk) == 1


def test_agents_becoming_available_at_once_split_the_queue(bot):
    carol = agent(bot, "carol", status="away", max_concurrent=2)
    dave = agent(bot, "dave", status="away", max_concurrent=2)
    waiting = [inbox.raise_ticket(conversation(bot, i), subject=f"q{i}") for i in range(3)]
    at_once(
        lambda: inbox.set_agent_status(carol, "available"), lambda: inbox.set_agent_status(dave, "available")
    )
    owners = [Ticket.objects.get(pk=t.pk).assignee_id for t in waiting]
    assert None not in owners
    assert routing.active_tickets(carol.pk) <= 2 and routing.active_tickets(dave.pk) <= 2
