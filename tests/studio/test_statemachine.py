"""move_returning: the conditional UPDATE that answers with the row it wrote."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inbox import transitions
from inbox.models import Ticket
from tests.conftest import open_ticket

pytestmark = pytest.mark.django_db


def test_the_move_answers_with_the_written_row_in_one_statement(bot, agent):
    ticket = open_ticket(bot, subject="returned")
    now = timezone.now()
    with CaptureQueriesContext(connection) as ctx:
        moved = transitions.move_returning(
            ticket.pk,
            "resolve",
            where={"assignee_id": None},
            assignee_id=agent.pk,
            resolved_by=agent,
            resolved_at=now,
            closed_at=now,
            close_reason=Ticket.CloseReason.RESOLVED,
            queued_at=None,
        )
    assert len(ctx.captured_queries) == 1
    fresh = Ticket.objects.get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        assert getattr(moved, field.attname) == getattr(fresh, field.attname), field.name
    assert (moved.status, moved.assignee_id, moved.resolved_by_id) == ("closed", agent.pk, agent.pk)
    assert moved.closed_at == now and moved.custom_fields == {} and moved.tags == []
    assert moved._state.adding is False and moved._state.db == "default"


def test_no_row_when_the_status_or_the_where_does_not_match(bot, agent):
    ticket = open_ticket(bot, subject="refused")
    # `where` must match: the ticket has no assignee, this names one.
    assert transitions.move_returning(ticket.pk, "resolve", where={"assignee_id": agent.pk}) is None
    assert transitions.move_returning(ticket.pk, "resolve", closed_at=timezone.now()) is not None
    # Closed is no source of `resolve`: the second move is refused and writes nothing.
    assert transitions.move_returning(ticket.pk, "resolve", resolution_note="again") is None
    assert Ticket.objects.get(pk=ticket.pk).resolution_note == ""


def test_without_returning_the_row_is_read_after_the_update(bot, agent, monkeypatch):
    """SQLite before 3.35 has no RETURNING: the same answer from an UPDATE and a SELECT."""
    ticket = open_ticket(bot, subject="older sqlite")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    moved = transitions.move_returning(
        ticket.pk, "resolve", where={"assignee_id": None}, assignee_id=agent.pk, closed_at=timezone.now()
    )
    assert (moved.pk, moved.status, moved.assignee_id) == (ticket.pk, "closed", agent.pk)
    assert moved.subject == "older sqlite"
    assert transitions.move_returning(ticket.pk, "resolve") is None
