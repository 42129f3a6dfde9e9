"""emit() writes the occurrence and its runs in hand-written statements (one on PostgreSQL):
what they write, what they answer, and what they refuse."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from events import services as events
from events.models import Event, EventOccurrence
from flows import services as flow_services
from flows.models import Flow, FlowRun
from tests.api.conftest import client_for
from tests.conftest import open_ticket
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db

NOTE = [("note", "set_variable", {"name": "seen", "value": "1"})]


@pytest.fixture
def paid(bot):
    return Event.objects.create(bot=bot, key="order-paid", name="Order paid", is_active=True)


def on(bot, key="order-paid", **kwargs):
    return build_flow(bot, NOTE, trigger={"type": "event", "event": key}, **kwargs)


def test_the_occurrence_and_one_run_per_active_published_flow(bot, other_bot, paid):
    first, second = on(bot, name="first"), on(bot, name="second")
    on(bot, name="inactive", active=False)
    on(bot, "order-shipped", name="another event")
    unpublished = on(bot, name="unpublished")
    Flow.objects.filter(pk=unpublished.pk).update(published_version=None)
    Event.objects.create(bot=other_bot, key="order-paid", name="Paid", is_active=True)
    on(other_bot, name="another bot's")

    occurrence = events.emit(bot, "order-paid", {"order": 7}, depth=2)

    stored = EventOccurrence.objects.get()
    assert (occurrence.pk, occurrence.event_id, occurrence.bot_id, occurrence.key) == (
        stored.pk,
        paid.pk,
        bot.pk,
        "order-paid",
    )
    assert (stored.payload, stored.status, stored.dedupe_key) == ({"order": 7}, "dispatched", None)
    assert stored.occurred_at is not None and occurrence.was_active
    runs = FlowRun.objects.order_by("pk")
    assert occurrence.run_ids == [run.pk for run in runs]
    assert [run.flow_id for run in runs] == [first.pk, second.pk]
    for run, flow in zip(runs, (first, second), strict=True):
        flow.refresh_from_db()
        assert run.version_id == flow.published_version_id
        assert (run.trigger, run.status, run.occurrence_id) == ("event", "queued", stored.pk)
        assert run.context == {"event": {"order": 7}, "depth": 2}
        assert (run.vars, run.step_count, run.error, run.created_at is not None) == ({}, 0, "", True)


def test_an_inactive_event_is_recorded_as_skipped_and_starts_nothing(bot, paid):
    on(bot)
    events.set_active(paid, False)
    occurrence = events.emit(bot, "order-paid", {})
    assert (occurrence.status, occurrence.run_ids) == ("skipped", [])
    assert EventOccurrence.objects.get().status == "skipped" and not FlowRun.objects.exists()


def test_an_unknown_event_records_nothing(bot):
    assert events.emit(bot, "no-such-event", {}) is None
    assert events.emit_event_id(10**9, {}) is None
    assert not EventOccurrence.objects.exists()


def test_a_second_emission_for_the_same_cause_returns_the_first_and_starts_nothing(bot, paid):
    on(bot)
    first = events.emit(bot, "order-paid", {"n": 1}, dedupe_key="order:1")
    again = events.emit(bot, "order-paid", {"n": 2}, dedupe_key="order:1")
    other = events.emit(bot, "order-paid", {"n": 3}, dedupe_key="order:2")
    assert again.pk == first.pk != other.pk
    assert EventOccurrence.objects.get(pk=first.pk).payload == {"n": 1}
    assert FlowRun.objects.filter(occurrence_id=first.pk).count() == 1
    assert FlowRun.objects.count() == 2


def test_a_flow_runs_once_per_occurrence(bot, paid):
    on(bot)
    occurrence = events.emit(bot, "order-paid", {})
    with pytest.raises(IntegrityError), transaction.atomic():
        flow_services.start_event_flows(occurrence.pk, bot.pk, "order-paid", {})
    assert FlowRun.objects.filter(occurrence_id=occurrence.pk).count() == 1


def test_only_the_bots_own_ticket_and_conversation_are_linked(bot, other_bot, paid, agent, other_agent):
    on(bot)
    own, foreign = open_ticket(bot), open_ticket(other_bot)
    linked = events.emit(
        bot, "order-paid", {"ticket": {"id": own.pk}, "conversation": {"id": own.conversation_id}}
    )
    refused = events.emit(
        bot, "order-paid", {"ticket": {"id": foreign.pk}, "conversation": {"id": foreign.conversation_id}}
    )
    run = FlowRun.objects.get(pk=linked.run_ids[0])
    assert (run.ticket_id, run.conversation_id) == (own.pk, own.conversation_id)
    run = FlowRun.objects.get(pk=refused.run_ids[0])
    assert (run.ticket_id, run.conversation_id) == (None, None)


def test_the_api_answers_the_occurrence_and_its_runs_in_one_emit_statement_on_postgresql(
    admin_user, bot, paid, django_capture_on_commit_callbacks
):
    flows = [on(bot, name="a"), on(bot, name="b")]
    api = client_for(admin_user)
    api.post(f"/api/events/{paid.pk}/emit/", {"payload": {}}, format="json")  # warm: the token
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
        response = api.post(f"/api/events/{paid.pk}/emit/", {"payload": {"n": 1}}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    runs = FlowRun.objects.filter(occurrence_id=body["occurrence"]).order_by("pk")
    assert body["runs"] == [run.pk for run in runs]
    assert sorted(run.flow_id for run in runs) == sorted(flow.pk for flow in flows)
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] != "SELECT 1"]  # health check
    # The token with its user (and whether they are in the admins group), then the emit: one
    # statement on PostgreSQL; SQLite (no writes in CTEs) finds the event, writes the
    # occurrence, then the runs.
    assert len(statements) == (2 if connection.vendor == "postgresql" else 4), statements


@pytest.mark.parametrize("event_id", ["999999", "9" * 30])
def test_the_api_answers_404_for_an_unknown_event(admin_user, event_id):
    response = client_for(admin_user).post(f"/api/events/{event_id}/emit/", {"payload": {}}, format="json")
    assert response.status_code == 404


@pytest.mark.postgres
def test_on_postgresql_the_emit_statement_is_prepared_on_its_connection(bot, paid):
    on(bot)
    first = events.emit(bot, "order-paid", {"n": 1}, dedupe_key="order:1")
    again = events.emit(bot, "order-paid", {"n": 1}, dedupe_key="order:1")
    second = events.emit(bot, "order-paid", {"n": 2})
    assert again.pk == first.pk != second.pk and len(second.run_ids) == 1
    run = FlowRun.objects.get(pk=second.run_ids[0])
    assert (run.graph, run.parent_id, run.wait_until, run.context) == (None, None, None, {"event": {"n": 2}})
    for n in range(3, 6):  # prepared from its fifth run on a connection (DATABASE_PREPARE)
        events.emit(bot, "order-paid", {"n": n})
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'WITH event AS%%'")
        assert len(cursor.fetchall()) == 1  # the lookup by (bot, key): one statement, prepared once
