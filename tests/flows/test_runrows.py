"""The run's hot-path statements (flows/runrows.py) do what the ORM did: the claim is the
state machine's move and loads what the engine reads; a checkpoint writes its steps only with
the run's move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from flows import runrows, services
from flows.models import FlowRun, RunStep
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


def _run(bot, **links) -> FlowRun:
    flow = build_flow(bot, [("hello", "set_variable", {"name": "x", "value": 1})])
    return FlowRun.objects.create(
        flow=flow, version_id=flow.published_version_id, trigger="event", context={"event": {"n": 1}}, **links
    )


def test_a_claim_returns_the_run_with_its_rows_and_reads_nothing_more(bot, ticket, django_assert_num_queries):
    conversation = ticket.conversation
    run = _run(bot, ticket=ticket, conversation=conversation)

    claimed = services.claim(run.pk)

    expected = FlowRun.objects.select_related("version").get(pk=run.pk)
    assert claimed.status == expected.status == "running"
    assert claimed.attempts == expected.attempts == 1
    assert claimed.started_at == expected.started_at and claimed.started_at.tzinfo is not None
    assert claimed.lease_expires_at == expected.lease_expires_at
    assert claimed.context == {"event": {"n": 1}} and claimed.vars == {}
    with django_assert_num_queries(0):
        assert claimed.flow.bot.name == bot.name
        assert claimed.version.published_at == expected.version.published_at
        assert claimed.ticket.pk == ticket.pk and claimed.ticket.status == ticket.status
        assert claimed.conversation.customer.name == conversation.customer.name


def test_a_run_without_links_loads_none_for_them_without_queries(bot, django_assert_num_queries):
    claimed = services.claim(_run(bot).pk)
    with django_assert_num_queries(0):
        assert claimed.ticket is None and claimed.conversation is None


def test_only_one_claim_wins_and_a_run_past_its_lease_is_taken_over_and_counted(bot):
    run = _run(bot)
    assert services.claim(run.pk) is not None
    assert services.claim(run.pk) is None  # running, lease not expired
    FlowRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    taken = services.claim(run.pk)
    assert taken is not None and taken.lease_takeovers == 1 and taken.attempts == 2
    FlowRun.objects.filter(pk=run.pk).update(status="succeeded")
    assert services.claim(run.pk) is None


def _step(run, seq: int) -> RunStep:
    return RunStep(
        run_id=run.pk, seq=seq, node_key="n", node_type="start", port="next", started_at=timezone.now()
    )


def test_a_checkpoint_writes_its_steps_with_the_move_or_nothing(bot):
    run = _run(bot)
    services.claim(run.pk)
    fields = {"vars": {"a": 1}, "current_node": "hello", "step_count": 2}

    assert (
        runrows.record(run.pk, "checkpoint", expected_steps=5, fields=fields, steps=[_step(run, 1)]) is False
    )
    assert not RunStep.objects.filter(run=run).exists()  # the run was not where we thought

    assert runrows.record(
        run.pk, "checkpoint", expected_steps=0, fields=fields, steps=[_step(run, 1), _step(run, 2)]
    )
    run.refresh_from_db()
    assert (run.vars, run.current_node, run.step_count) == ({"a": 1}, "hello", 2)
    assert list(RunStep.objects.filter(run=run).values_list("seq", flat=True)) == [1, 2]


def test_a_taken_step_number_fails_the_whole_checkpoint(bot):
    run = _run(bot)
    services.claim(run.pk)
    RunStep.objects.create(run=run, seq=1, node_key="x", node_type="start", started_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        runrows.record(
            run.pk, "checkpoint", expected_steps=0, fields={"step_count": 1}, steps=[_step(run, 1)]
        )
    run.refresh_from_db()
    assert run.step_count == 0 and RunStep.objects.filter(run=run).count() == 1


def test_a_finish_is_the_state_machines_move(bot):
    run = _run(bot)
    services.claim(run.pk)
    now = timezone.now()
    assert runrows.record(
        run.pk, "succeed", expected_steps=0, fields={"finished_at": now, "lease_expires_at": None}, steps=[]
    )
    run.refresh_from_db()
    assert run.status == "succeeded" and run.finished_at == now
    # succeeded is final: no move of the engine's applies to it
    assert not runrows.record(run.pk, "checkpoint", expected_steps=0, fields={}, steps=[])


@pytest.mark.postgres
def test_on_postgresql_the_claim_and_checkpoints_are_prepared_once_per_connection(bot):
    from django.db import connection

    run = _run(bot)
    claimed = services.claim(run.pk)
    assert claimed is not None and claimed.flow.bot == bot
    assert runrows.record(
        run.pk, "checkpoint", expected_steps=0, fields={"step_count": 1}, steps=[_step(run, 1)]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'WITH %%'")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("claimed" in sql for sql in prepared) and any("moved" in sql for sql in prepared)
