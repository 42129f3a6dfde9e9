from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from events.models import EventOccurrence
from flows import graph
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import CSATResponse, Message, Ticket
from inbox.tasks import expire_csat_survey
from studio.errors import Conflict, InvalidInput
from tests.conftest import activate

pytestmark = pytest.mark.django_db


def event_flow(bot, name="after close", event="ticket-closed", active=True):
    return graph.save_flow(
        bot=bot,
        data={
            "name": name,
            "is_active": active,
            "trigger": {"type": "event", "event": event},
            "nodes": [
                {"key": "start", "type": "start", "config": {}},
                {"key": "end", "type": "end", "config": {}},
            ],
            "edges": [{"source": "start", "port": "next", "target": "end"}],
        },
    )


def test_resolve_closes_the_ticket_when_csat_is_off(ticket, agent):
    resolved = inbox.resolve_ticket(ticket, agent, note="Refunded")
    assert resolved.status == "closed"
    assert resolved.closed_at is not None and resolved.resolved_at is not None
    assert resolved.resolution_note == "Refunded"
    occurrence = EventOccurrence.objects.get(key="ticket-closed")
    assert occurrence.status == "skipped"  # the event starts inactive
    assert occurrence.payload["ticket"]["id"] == ticket.pk
    assert occurrence.payload["csat"] is None
    assert occurrence.payload["agent"]["username"] == "alice"


def test_resolve_with_csat_on_asks_the_customer_and_waits(csat_ticket, agent):
    resolved = inbox.resolve_ticket(csat_ticket, agent)
    assert resolved.status == "pending_csat"
    assert resolved.closed_at is None
    last = Message.objects.filter(conversation=csat_ticket.conversation).last()
    assert "How would you rate" in last.text
    assert Schedule.objects.filter(name=f"csat-expiry-ticket-{csat_ticket.pk}").exists()
    assert not EventOccurrence.objects.filter(key="ticket-closed").exists()


def test_rating_closes_the_ticket_and_is_stored_against_the_agent(csat_ticket, agent):
    inbox.resolve_ticket(csat_ticket, agent)
    response = inbox.submit_csat(csat_ticket, 4, comment="Quick and kind")
    csat_ticket.refresh_from_db()
    assert csat_ticket.status == "closed"
    assert (response.rating, response.agent, response.comment) == (4, agent, "Quick and kind")
    payload = EventOccurrence.objects.get(key="ticket-closed").payload
    assert payload["csat"] == {"rating": 4, "scale": 5, "comment": "Quick and kind"}
    assert not Schedule.objects.filter(name=f"csat-expiry-ticket-{csat_ticket.pk}").exists()


@pytest.mark.parametrize("rating", [0, 6, -1, "5", 2.5, None, True])
def test_it_refuses_a_rating_outside_the_scale(csat_ticket, agent, rating):
    inbox.resolve_ticket(csat_ticket, agent)
    with pytest.raises(InvalidInput, match="from 1 to 5"):
        inbox.submit_csat(csat_ticket, rating)
    csat_ticket.refresh_from_db()
    assert csat_ticket.status == "pending_csat"
    assert not CSATResponse.objects.exists()


def test_it_refuses_a_second_rating(csat_ticket, agent):
    inbox.resolve_ticket(csat_ticket, agent)
    inbox.submit_csat(csat_ticket, 5)
    with pytest.raises(Conflict, match="already been rated"):
        inbox.submit_csat(csat_ticket, 1)
    assert CSATResponse.objects.get().rating == 5
    assert EventOccurrence.objects.filter(key="ticket-closed").count() == 1


def test_it_refuses_resolving_a_pending_csat_or_closed_ticket(csat_ticket, ticket, agent):
    inbox.resolve_ticket(csat_ticket, agent)
    inbox.resolve_ticket(ticket, agent)
    for already in (csat_ticket, ticket):
        before = Ticket.objects.filter(pk=already.pk).values().get()
        with pytest.raises(Conflict, match="cannot be resolved again"):
            inbox.resolve_ticket(already, agent, note="again")
        assert Ticket.objects.filter(pk=already.pk).values().get() == before
    assert EventOccurrence.objects.filter(key="ticket-closed").count() == 1


def test_an_expired_survey_closes_the_ticket_with_null_csat(csat_ticket, agent):
    inbox.resolve_ticket(csat_ticket, agent)
    assert expire_csat_survey(csat_ticket.pk) is False  # not yet due
    Ticket.objects.filter(pk=csat_ticket.pk).update(csat_expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_csat_survey(csat_ticket.pk) is True
    csat_ticket.refresh_from_db()
    assert csat_ticket.status == "closed"
    assert EventOccurrence.objects.get(key="ticket-closed").payload["csat"] is None
    with pytest.raises(Conflict):
        inbox.submit_csat(csat_ticket, 5)


def test_an_inactive_event_starts_nothing(ticket, agent, bot):
    event_flow(bot)
    inbox.resolve_ticket(ticket, agent)
    assert EventOccurrence.objects.get(key="ticket-closed").status == "skipped"
    assert not FlowRun.objects.exists()


def test_nothing_is_queued_before_the_close_commits(ticket, agent, bot, django_capture_on_commit_callbacks):
    flow = event_flow(bot)
    activate(bot, "ticket-closed")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inbox.resolve_ticket(ticket, agent)
        run = FlowRun.objects.get(flow=flow)
        assert run.status == "queued"  # written with the close, not yet handed to a worker
    assert len(callbacks) == 1
    callbacks[0]()
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.occurrence.status == "dispatched"


def test_a_rolled_back_close_queues_nothing(ticket, agent, bot, django_capture_on_commit_callbacks):
    event_flow(bot)
    activate(bot, "ticket-closed")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            inbox.resolve_ticket(ticket, agent)
            raise RuntimeError("the request failed after the close")
    assert callbacks == []
    assert not FlowRun.objects.exists()
    assert not EventOccurrence.objects.filter(key="ticket-closed").exists()
    ticket.refresh_from_db()
    assert ticket.status == "queued"


def test_an_active_event_starts_every_active_flow_once(
    ticket, agent, bot, django_capture_on_commit_callbacks
):
    flows = [event_flow(bot, name=f"flow {i}") for i in range(3)]
    event_flow(bot, name="switched off", active=False)
    event_flow(bot, name="other event", event="ticket-created")
    activate(bot, "ticket-closed")
    with django_capture_on_commit_callbacks(execute=True):
        inbox.resolve_ticket(ticket, agent)
    runs = FlowRun.objects.filter(trigger="event", flow__trigger_event="ticket-closed")
    assert sorted(r.flow_id for r in runs) == sorted(f.pk for f in flows)
    assert {r.status for r in runs} == {"succeeded"}
    assert all(r.ticket_id == ticket.pk for r in runs)
