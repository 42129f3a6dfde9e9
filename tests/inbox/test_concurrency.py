"""Two agents press Resolve on one ticket at the same moment, in real transactions."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_q.models import Task

from events.models import EventOccurrence
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Ticket
from studio.errors import Conflict
from tests.conftest import activate, open_ticket
from tests.inbox.test_resolve import event_flow


def resolve_at_once(ticket_id: int, agent, n: int = 2) -> list[str]:
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def press_resolve() -> None:
        try:
            barrier.wait()
            inbox.resolve_ticket(Ticket.objects.select_related("bot").get(pk=ticket_id), agent)
            outcomes.append("closed")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press_resolve) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_resolves_close_once_and_hand_off_once(bot, agent):
    flow = event_flow(bot)
    activate(bot, "ticket-closed")
    ticket = open_ticket(bot)

    assert resolve_at_once(ticket.pk, agent) == ["closed", "refused"]

    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert EventOccurrence.objects.filter(key="ticket-closed").count() == 1
    assert FlowRun.objects.filter(flow=flow).count() == 1
    # one hand-off: the close's one run is enqueued itself (a dispatch task fans out several)
    assert Task.objects.filter(func__startswith="flows.tasks.").count() == 1
    assert FlowRun.objects.get(flow=flow).status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ratings_record_one(csat_bot, agent):
    ticket = open_ticket(csat_bot)
    inbox.resolve_ticket(ticket, agent)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def rate(value: int) -> None:
        try:
            barrier.wait()
            inbox.submit_csat(Ticket.objects.get(pk=ticket.pk), value)
            outcomes.append("rated")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=rate, args=(v,)) for v in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["rated", "refused"]
    assert EventOccurrence.objects.filter(key="ticket-closed").count() == 1
