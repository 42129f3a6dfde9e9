from __future__ import annotations

import pytest
from django.test import override_settings

from events.models import EventOccurrence
from flows import engine, services
from flows.models import FlowRun, RunStep
from inbox.models import Message
from tests.conftest import activate
from tests.flows.conftest import build_flow, steps_of

pytestmark = pytest.mark.django_db


def test_a_run_walks_its_graph_and_records_every_step(bot, run_flow):
    flow = build_flow(
        bot,
        [
            ("set", "set_variable", {"name": "greeting", "value": "Hello {{ event.name }}"}),
            ("check", "condition", {"expression": "vars.greeting.startswith('Hello')"}),
            ("yes", "set_variable", {"name": "answer", "value": "{{ 40 + 2 }}"}),
            ("no", "end", {"status": "failed", "message": "wrong branch"}),
        ],
        edges=[
            ("start", "next", "set"),
            ("set", "next", "check"),
            ("check", "true", "yes"),
            ("check", "false", "no"),
        ],
    )
    run = run_flow(flow, {"event": {"name": "Dana"}})
    assert run.status == "succeeded" and run.error == ""
    assert run.vars == {"greeting": "Hello Dana", "answer": 42}
    assert steps_of(run) == [("start", "next"), ("set", "next"), ("check", "true"), ("yes", "next")]
    assert run.step_count == 4 and run.finished_at is not None
    step = run.steps.get(node_key="check")
    assert step.node_type == "condition" and step.output == {"result": True} and step.duration_ms >= 0


def test_the_step_limit_stops_a_loop_without_a_waiting_node(bot, run_flow):
    flow = build_flow(
        bot,
        [
            ("count", "set_variable", {"name": "n", "value": "{{ vars.n | default(0) + 1 }}"}),
        ],
        edges=[("start", "next", "count"), ("count", "next", "count")],
    )
    with override_settings(FLOW_MAX_STEPS=25):
        run = run_flow(flow)
    assert run.status == "failed"
    assert "Stopped after 25 steps" in run.error and "loops" in run.error
    assert run.steps.count() == 25 and run.vars["n"] == 24


def test_a_node_error_fails_the_run_naming_the_node_and_records_the_step(bot, run_flow):
    activate(bot, "run-failed")
    flow = build_flow(bot, [("greet", "send_message", {"text": "Hi {{ customer.nickname }}"})])
    run = run_flow(flow, {"event": {}})
    assert run.status == "failed"
    assert "'greet'" in run.error and "nickname" in run.error
    failed = run.steps.get(node_key="greet")
    assert failed.port == "" and failed.error == run.error
    occurrence = EventOccurrence.objects.get(key="run-failed")
    assert occurrence.payload["run"]["id"] == run.pk and occurrence.payload["flow"]["id"] == flow.pk
    assert occurrence.payload["error"] == run.error


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ vars.__class__ }}",
        "{{ 'x' * 10000000 }}",
        "{% for i in range(10000000) %}{% endfor %}",
        "{{ lipsum.__globals__ }}",
    ],
)
def test_templates_that_escape_the_sandbox_fail_the_step_safely(bot, run_flow, template):
    flow = build_flow(bot, [("evil", "set_variable", {"name": "x", "value": template})])
    run = run_flow(flow)
    assert run.status == "failed"
    assert run.error.startswith("Node 'evil' (set_variable) failed:")
    assert "x" not in run.vars
    assert run.steps.get(node_key="evil").error == run.error


def test_a_replayed_failed_run_does_not_repeat_succeeded_steps(bot, run_flow, on_commit):
    conversation = _conversation(bot)
    flow = build_flow(
        bot,
        [
            ("hello", "send_message", {"text": "Hello"}),
            ("check", "condition", {"expression": "vars.fixed"}),
            ("bye", "send_message", {"text": "Bye"}),
        ],
        edges=[("start", "next", "hello"), ("hello", "next", "check"), ("check", "true", "bye")],
    )
    run = run_flow(flow, conversation=conversation)
    assert run.status == "failed" and "'check'" in run.error
    FlowRun.objects.filter(pk=run.pk).update(vars={"fixed": True})  # the cause is fixed
    with on_commit():
        services.replay_run(run)
    run.refresh_from_db()
    assert run.status == "succeeded"
    texts = list(
        Message.objects.filter(conversation=conversation, sender="bot").values_list("text", flat=True)
    )
    assert texts == ["Hello", "Bye"]
    assert steps_of(run) == [
        ("start", "next"),
        ("hello", "next"),
        ("check", ""),
        ("check", "true"),
        ("bye", "next"),
    ]


def test_a_crashed_worker_resumes_after_the_last_recorded_step(bot, run_flow):
    conversation = _conversation(bot)
    flow = build_flow(
        bot, [("one", "send_message", {"text": "one"}), ("two", "send_message", {"text": "two"})]
    )
    run = run_flow(flow, conversation=conversation)
    # Rewind to how a worker that died after recording `one` left the run: running, lease gone.
    RunStep.objects.filter(run=run, node_key="two").delete()
    Message.objects.filter(text="two").delete()
    FlowRun.objects.filter(pk=run.pk).update(
        status="running",
        current_node="two",
        step_count=2,
        lease_expires_at="2000-01-01T00:00:00Z",
        finished_at=None,
    )
    assert services.sweep()["reclaimed"] == 1
    from flows.tasks import execute_run

    execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert list(Message.objects.filter(sender="bot").values_list("text", flat=True)) == ["one", "two"]


def test_a_run_that_is_not_running_is_left_alone(bot, run_flow):
    flow = build_flow(bot, [("a", "set_variable", {"name": "a", "value": 1})])
    run = run_flow(flow)
    assert engine.run(run.pk) == "succeeded"
    assert run.steps.count() == 2


def _conversation(bot):
    from inbox import services as inbox

    return inbox.start_conversation(bot, customer={"name": "Dana", "email": "dana@example.com"})
