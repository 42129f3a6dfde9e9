"""Checkpoints: pure nodes' steps are buffered and written with the next checkpoint;
side-effecting nodes are recorded before the next node starts; database writes commit with
their step."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows import engine, nodes, services
from flows.models import FlowRun, RunStep
from inbox.models import Message
from tables.models import Row
from tests.flows.conftest import build_flow, steps_of

pytestmark = pytest.mark.django_db


def _chain(n: int) -> list[tuple[str, str, dict]]:
    return [(f"s{i}", "set_variable", {"name": f"v{i}", "value": "{{ %d + 1 }}" % i}) for i in range(n)]


def _claimed_run(flow, **links) -> FlowRun:
    run = FlowRun.objects.create(flow=flow, trigger="manual", context={"event": {}}, **links)
    assert services.claim(run.pk)
    return run


def _writes(queries) -> list[str]:
    """'INSERT table' / 'UPDATE table' for each write, in order (several in one statement:
    on PostgreSQL a checkpoint's UPDATE and INSERT are one)."""
    writes = []
    for query in queries:
        words = query["sql"].replace("(", " ").split()
        for i, word in enumerate(words[:-2]):
            if word.upper() == "INSERT" and words[i + 1].upper() == "INTO":
                writes.append(f"INSERT {words[i + 2].strip(chr(34))}")
            elif word.upper() == "UPDATE" and words[i - 1].upper() != "FOR":
                writes.append(f"UPDATE {words[i + 1].strip(chr(34))}")
    return writes


@pytest.mark.parametrize("length", [3, 30])
def test_a_run_of_pure_nodes_writes_its_steps_once_whatever_its_length(bot, length):
    run = _claimed_run(build_flow(bot, _chain(length)))
    with CaptureQueriesContext(connection) as ctx:
        assert engine.run(run.pk) == "succeeded"
    assert _writes(ctx.captured_queries) == ["UPDATE flows_flowrun", "INSERT flows_runstep"]
    run.refresh_from_db()
    assert run.step_count == length + 1 == run.steps.count()
    assert [s for s, _ in steps_of(run)] == ["start"] + [f"s{i}" for i in range(length)]
    assert run.vars == {f"v{i}": i + 1 for i in range(length)}


def test_a_side_effect_is_recorded_before_the_next_node_starts(bot, monkeypatch):
    seen = []
    original = nodes.get("set_variable")

    def spy(ctx, config):
        seen.append(
            list(RunStep.objects.filter(run=ctx.run).order_by("seq").values_list("node_key", flat=True))
        )
        return original.execute(ctx, config)

    monkeypatch.setitem(nodes.registry(), "set_variable", replace(original, execute=spy))
    conversation = _conversation(bot)
    flow = build_flow(
        bot,
        [
            ("a", "set_variable", {"name": "a", "value": 1}),
            ("hello", "send_message", {"text": "Hello"}),
            ("b", "set_variable", {"name": "b", "value": 2}),
        ],
    )
    run = _claimed_run(flow, conversation=conversation)
    assert engine.run(run.pk) == "succeeded"
    # before `a`: nothing recorded (start is pure); before `b`: start, a and the message
    assert seen == [[], ["start", "a", "hello"]]


def test_a_crash_after_a_checkpoint_redoes_only_pure_nodes(bot):
    conversation = _conversation(bot)
    flow = build_flow(bot, [("hello", "send_message", {"text": "Hello"}), *_chain(3)])
    run = _claimed_run(flow, conversation=conversation)
    engine.run(run.pk)
    # How a worker that died after recording `hello` (while in the pure nodes) left the run.
    RunStep.objects.filter(run=run, seq__gt=2).delete()
    FlowRun.objects.filter(pk=run.pk).update(
        status="running", current_node="s0", step_count=2, vars={}, finished_at=None
    )
    assert engine.run(run.pk) == "succeeded"
    run.refresh_from_db()
    assert [s for s, _ in steps_of(run)] == ["start", "hello", "s0", "s1", "s2"]
    assert Message.objects.filter(conversation=conversation, sender="bot").count() == 1


def test_a_database_write_commits_with_its_step_and_rolls_back_with_a_lost_run(bot, monkeypatch):
    original = nodes.get("database")

    def taken_over(ctx, config):
        outcome = original.execute(ctx, config)
        FlowRun.objects.filter(pk=ctx.run.pk).update(step_count=99)  # another worker moved on
        return outcome

    flow = build_flow(bot, [("store", "database", {"table": "t", "operation": "insert", "values": {"x": 1}})])
    run = _claimed_run(flow)
    monkeypatch.setitem(nodes.registry(), "database", replace(original, execute=taken_over))
    assert engine.run(run.pk) == "lost"
    assert not Row.objects.exists() and not RunStep.objects.filter(run=run).exists()

    monkeypatch.setitem(nodes.registry(), "database", original)
    run = _claimed_run(flow)
    with CaptureQueriesContext(connection) as ctx:
        assert engine.run(run.pk) == "succeeded"
    assert Row.objects.count() == 1
    # one transaction: the row, the run's advance with the pending start step and store's
    # (the table's first row: an INSERT that finds no table, the table's, the row's again)
    writes = _writes(ctx.captured_queries)
    last_row = len(writes) - 1 - writes[::-1].index("INSERT tables_row")
    assert writes[last_row:][:3] == [
        "INSERT tables_row",
        "UPDATE flows_flowrun",
        "INSERT flows_runstep",
    ]


def test_a_failing_node_records_the_pending_steps_and_replays_from_itself(bot):
    flow = build_flow(bot, [*_chain(2), ("bad", "set_variable", {"name": "x", "value": "{{ vars.nope }}"})])
    run = _claimed_run(flow)
    assert engine.run(run.pk) == "failed"
    run.refresh_from_db()
    assert [s for s, _ in steps_of(run)] == ["start", "s0", "s1", "bad"]
    assert run.current_node == "bad" and run.vars == {"v0": 1, "v1": 2} and "'bad'" in run.error


def _conversation(bot):
    from inbox import services as inbox

    return inbox.start_conversation(bot, customer={"name": "Dana", "email": "dana@example.com"})


def test_a_save_after_nodes_that_set_no_variable_does_not_write_the_vars_again(bot):
    conversation = _conversation(bot)
    flow = build_flow(
        bot,
        [*_chain(1), ("hello", "send_message", {"text": "Hello"}), ("done", "end", {})],
    )
    run = _claimed_run(flow, conversation=conversation)
    with CaptureQueriesContext(connection) as ctx:
        assert engine.run(run.pk) == "succeeded"
    updates = [q["sql"] for q in ctx.captured_queries if "UPDATE" in q["sql"] and "flows_flowrun" in q["sql"]]
    # before `hello`: s0 set v0; after it and at the end: nothing new to write
    assert ['"vars"' in sql for sql in updates] == [True, False, False]
    run.refresh_from_db()
    assert run.vars == {"v0": 1} and run.status == "succeeded"
    assert [s for s, _ in steps_of(run)] == ["start", "s0", "hello", "done"]
