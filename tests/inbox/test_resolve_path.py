"""The resolve path's work: what it reads, whose slot it frees, what the queue costs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import EventOccurrence
from inbox import services as inbox
from inbox.models import Ticket
from inbox.services import routing
from tests.conftest import PASSWORD, open_ticket

pytestmark = pytest.mark.django_db


def make_agent(bot, username, *, max_concurrent=1, status="available"):
    return inbox.create_agent(
        username=username,
        password=PASSWORD,
        name=f"{username.title()} Agent",
        bots=[bot],
        status=status,
        max_concurrent=max_concurrent,
    )


def fill_queries(user_id: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert routing.fill_agent(user_id) == []
    return len(ctx.captured_queries)


def test_a_full_agents_fill_costs_the_same_however_long_the_queue(bot):
    carol = make_agent(bot, "carol", max_concurrent=1)
    open_ticket(bot, subject="hers")  # assigned: she is full
    for i in range(2):
        open_ticket(bot, subject=f"queued {i}")
    few = fill_queries(carol.pk)
    for i in range(15):
        open_ticket(bot, subject=f"more {i}")
    assert Ticket.objects.filter(status="queued").count() == 17
    assert fill_queries(carol.pk) == few


def test_a_freed_slot_takes_one_queued_ticket_and_the_next_waits(bot):
    carol = make_agent(bot, "carol", max_concurrent=2)
    mine = [open_ticket(bot, subject=f"mine {i}") for i in range(2)]
    waiting = [open_ticket(bot, subject=f"waiting {i}") for i in range(3)]
    inbox.resolve_ticket(mine[0], carol)
    statuses = [Ticket.objects.get(pk=t.pk).status for t in waiting]
    assert statuses == ["assigned", "queued", "queued"]
    assert routing.active_tickets(carol.pk) == 2


def test_resolve_frees_the_slot_of_the_assignee_at_the_close_not_of_a_stale_copy(bot):
    """The caller's copy says carol; the ticket was transferred to dave since. Dave's slot
    is the one that frees, so the queued ticket goes to him (carol is full)."""
    carol = make_agent(bot, "carol")
    dave = make_agent(bot, "dave")
    ticket = open_ticket(bot, subject="moves")
    stale = Ticket.objects.select_related("bot").get(pk=ticket.pk)
    assert stale.assignee_id == carol.pk
    inbox.transfer_ticket(ticket, carol, agent=dave)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == dave.pk
    hers = open_ticket(bot, subject="carol is free again")
    waiting = open_ticket(bot, subject="queued")
    assert Ticket.objects.get(pk=hers.pk).assignee_id == carol.pk
    assert Ticket.objects.get(pk=waiting.pk).status == "queued"

    resolved = inbox.resolve_ticket(stale, dave)

    assert resolved.status == "closed" and resolved.assignee_id == dave.pk
    waiting = Ticket.objects.get(pk=waiting.pk)
    assert (waiting.status, waiting.assignee_id) == ("assigned", dave.pk)
    payload = EventOccurrence.objects.get(key="ticket-closed").payload
    assert payload["agent"]["username"] == "dave"


def test_resolve_of_an_unassigned_ticket_assigns_the_resolver(bot):
    carol = make_agent(bot, "carol", max_concurrent=1, status="away")
    ticket = open_ticket(bot)
    assert ticket.assignee_id is None
    resolved = inbox.resolve_ticket(ticket, carol)
    assert resolved.assignee_id == carol.pk and resolved.resolved_by_id == carol.pk
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == carol.pk


def test_the_resolved_ticket_is_the_committed_row_with_its_relations(ticket, agent):
    resolved = inbox.resolve_ticket(ticket, agent, note="Done")
    fresh = Ticket.objects.select_related("conversation__customer").get(pk=ticket.pk)
    for field in ("status", "resolved_at", "closed_at", "close_reason", "resolution_note", "assignee_id"):
        assert getattr(resolved, field) == getattr(fresh, field), field
    assert resolved.resolved_by == agent and resolved.assignee == agent
    assert resolved.bot.pk == fresh.bot_id
    assert resolved.conversation.customer.name == fresh.conversation.customer.name
    with CaptureQueriesContext(connection) as ctx:
        assert resolved.conversation.bot.pk == fresh.bot_id
        assert not hasattr(resolved, "csat_response")  # joined: none yet, no query
    assert ctx.captured_queries == []
