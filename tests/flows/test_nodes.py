"""Each node type's ports and the config its type refuses."""

from __future__ import annotations

import pytest
from django.core import mail

from flows import nodes
from flows.graph import FlowInvalid
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Message
from tables.models import Row
from tests.flows.conftest import build_flow, steps_of

pytestmark = pytest.mark.django_db


def branch(bot, key, node_type, config, ports):
    """A flow whose node leads each port to a set_variable recording which port was taken."""
    steps = [(key, node_type, config)] + [
        (f"took_{p}", "set_variable", {"name": "port", "value": p}) for p in ports
    ]
    edges = [("start", "next", key)] + [(key, p, f"took_{p}") for p in ports]
    return build_flow(bot, steps, edges, name=f"{node_type} test")


@pytest.mark.parametrize(
    "expression, port",
    [
        ("event.ticket.category == 'billing'", "true"),
        ("event.ticket.category == 'technical'", "false"),
        ("event.csat and event.csat.rating >= 4", "false"),
        ("event.tags | length > 1", "true"),
    ],
)
def test_condition_takes_true_or_false(bot, run_flow, expression, port):
    flow = branch(bot, "check", "condition", {"expression": expression}, ["true", "false"])
    run = run_flow(flow, {"event": {"ticket": {"category": "billing"}, "csat": None, "tags": ["a", "b"]}})
    assert run.status == "succeeded" and run.vars["port"] == port


def test_a_condition_on_a_missing_value_fails_clearly(bot, run_flow):
    flow = branch(bot, "check", "condition", {"expression": "vars.plan == 'pro'"}, ["true", "false"])
    run = run_flow(flow)
    assert run.status == "failed"  # an undefined name is an error, not a silent False
    assert run.error == "Node 'check' (condition) failed: 'dict object' has no attribute 'plan'"


def test_set_variable_keeps_json_types(bot, run_flow):
    flow = build_flow(
        bot,
        [
            (
                "set",
                "set_variable",
                {
                    "name": "order",
                    "value": {
                        "id": "{{ event.id }}",
                        "tags": ["vip", "{{ event.kind }}"],
                        "label": "#{{ event.id }}",
                        "n": 3,
                    },
                },
            )
        ],
    )
    run = run_flow(flow, {"event": {"id": 12, "kind": "refund"}})
    assert run.vars["order"] == {"id": 12, "tags": ["vip", "refund"], "label": "#12", "n": 3}


def test_send_message_without_a_conversation_records_the_text_only(bot, run_flow):
    run = run_flow(
        build_flow(bot, [("say", "send_message", {"text": "Hello {{ event.name }}"})]),
        {"event": {"name": "Dana"}},
    )
    assert run.steps.get(node_key="say").output == {"text": "Hello Dana", "delivered": False}
    assert not Message.objects.exists()


def test_send_message_posts_to_the_run_conversation(bot, run_flow):
    conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    run = run_flow(
        build_flow(bot, [("say", "send_message", {"text": "Hi {{ customer.name }}"})]),
        conversation=conversation,
    )
    message = Message.objects.get(conversation=conversation, sender="bot")
    assert message.text == "Hi Dana"
    assert run.steps.get(node_key="say").output["message_id"] == message.pk


def test_a_question_without_a_conversation_fails_the_run(bot, run_flow):
    run = run_flow(build_flow(bot, [("ask", "question", {"text": "?", "save_as": "a"})]))
    assert run.status == "failed" and "needs a conversation" in run.error


def test_database_insert_upsert_update_and_find(bot, run_flow):
    context = {"event": {"customer": {"email": "dana@example.com", "name": "Dana"}, "ticket": {"id": 7}}}
    key = {"email": "{{ event.customer.email }}"}
    upsert = branch(
        bot,
        "db",
        "database",
        {
            "table": "crm_contacts",
            "operation": "upsert",
            "key": key,
            "values": {"name": "{{ event.customer.name }}", "last_ticket": "{{ event.ticket.id }}"},
            "save_as": "row",
        },
        ["success", "failure"],
    )
    first = run_flow(upsert, context)
    second = run_flow(upsert, {"event": {**context["event"], "ticket": {"id": 8}}})
    assert first.vars["port"] == second.vars["port"] == "success"
    assert (first.vars["row"]["created"], second.vars["row"]["created"]) == (True, False)
    row = Row.objects.get(table__name="crm_contacts")
    assert row.data == {"email": "dana@example.com", "name": "Dana", "last_ticket": 8}

    update = branch(
        bot,
        "db",
        "database",
        {
            "table": "crm_contacts",
            "operation": "update",
            "key": key,
            "values": {"vip": True},
            "save_as": "result",
        },
        ["success", "failure"],
    )
    assert run_flow(update, context).vars["result"] == {"updated": 1}
    find = branch(
        bot,
        "db",
        "database",
        {"table": "crm_contacts", "operation": "find", "key": key, "save_as": "found"},
        ["success", "failure"],
    )
    found = run_flow(find, context).vars["found"]
    assert found["count"] == 1 and found["first"]["vip"] is True
    insert = branch(
        bot,
        "db",
        "database",
        {"table": "log", "operation": "insert", "values": {"ticket": "{{ event.ticket.id }}"}},
        ["success", "failure"],
    )
    assert run_flow(insert, context).vars["port"] == "success"
    assert Row.objects.get(table__name="log").data == {"ticket": 7}


def test_database_on_a_missing_table_takes_failure(bot, run_flow):
    flow = branch(
        bot,
        "db",
        "database",
        {"table": "nothing", "operation": "find", "key": {"a": 1}},
        ["success", "failure"],
    )
    run = run_flow(flow)
    assert run.vars["port"] == "failure"
    assert "no table named 'nothing'" in run.steps.get(node_key="db").output["error"]


def test_send_email_sends_or_takes_failure(bot, run_flow):
    good = branch(
        bot,
        "mail",
        "send_email",
        {
            "to": "{{ event.customer.email }}",
            "subject": "Ticket {{ event.id }}",
            "body": "Hello {{ event.customer.name }}",
        },
        ["sent", "failure"],
    )
    run = run_flow(good, {"event": {"id": 7, "customer": {"email": "dana@example.com", "name": "Dana"}}})
    assert run.vars["port"] == "sent"
    assert (mail.outbox[0].to, mail.outbox[0].subject, mail.outbox[0].body) == (
        ["dana@example.com"],
        "Ticket 7",
        "Hello Dana",
    )
    bad = run_flow(good, {"event": {"id": 7, "customer": {"email": "not an address", "name": "X"}}})
    assert bad.vars["port"] == "failure" and len(mail.outbox) == 1


def test_jump_to_flow_starts_a_child_run(bot, run_flow):
    build_flow(bot, [("mark", "set_variable", {"name": "child", "value": "{{ vars.parent }}"})], name="Child")
    parent = run_flow(
        build_flow(
            bot,
            [
                ("set", "set_variable", {"name": "parent", "value": "yes"}),
                ("jump", "jump_to_flow", {"flow": "Child"}),
            ],
            name="Parent",
        )
    )
    child = FlowRun.objects.get(parent=parent)
    assert parent.status == child.status == "succeeded"
    assert child.flow.name == "Child" and child.vars == {"parent": "yes", "child": "yes"}
    assert parent.steps.get(node_key="jump").output["child_run"] == child.pk


def test_jump_to_a_missing_flow_fails_the_run(bot, run_flow):
    run = run_flow(build_flow(bot, [("jump", "jump_to_flow", {"flow": "Nowhere"})]))
    assert run.status == "failed" and "no flow 'Nowhere'" in run.error


def test_end_can_fail_the_run(bot, run_flow):
    run = run_flow(build_flow(bot, [("stop", "end", {"status": "failed", "message": "Customer blocked"})]))
    assert run.status == "failed" and "Customer blocked" in run.error


@pytest.mark.parametrize(
    "node_type, config, message",
    [
        ("send_message", {}, "'text' is a required property"),
        ("send_message", {"text": "Hi {{ name"}, "template error"),
        ("question", {"text": "?"}, "'save_as' is a required property"),
        ("question", {"text": "?", "save_as": "1bad"}, "save_as"),
        ("condition", {"expression": "a =="}, "template error"),
        ("set_variable", {"name": "x"}, "'value' is a required property"),
        ("database", {"table": "t", "operation": "drop"}, "operation"),
        ("database", {"table": "t", "operation": "upsert", "values": {}}, "'key' is a required property"),
        ("raise_ticket", {"category": "billing"}, "'subject' is a required property"),
        ("send_email", {"to": "a@b.c", "subject": "s"}, "'body' is a required property"),
        ("delay", {}, "config"),
        ("delay", {"minutes": 5, "hours": 1}, "config"),
        ("delay", {"minutes": -1}, "minutes"),
        ("jump_to_flow", {}, "'flow' is a required property"),
        ("api_call", {"url": "http://x", "extra": 1}, "Additional properties"),
    ],
)
def test_node_config_errors_are_refused_at_save(bot, node_type, config, message):
    with pytest.raises(FlowInvalid) as info:
        build_flow(bot, [("n", node_type, config)])
    assert message in str(info.value.errors["nodes"])


def test_every_node_type_declares_its_ports_and_a_schema():
    expected = {
        "start": ("next",),
        "end": (),
        "send_message": ("next",),
        "question": ("answered",),
        "condition": ("true", "false"),
        "set_variable": ("next",),
        "api_call": ("success", "failure"),
        "database": ("success", "failure"),
        "send_email": ("sent", "failure"),
        "delay": ("next",),
        "raise_ticket": ("ticket_created", "ticket_closed", "agents_unavailable", "failure"),
        "jump_to_flow": ("next",),
        "send_event": ("sent", "failure"),
    }
    assert {name: t.ports for name, t in nodes.registry().items()} == expected
    assert all(t.config_schema.get("type") == "object" for t in nodes.registry().values())


def test_steps_record_waits(bot, run_flow):
    conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    run = run_flow(
        build_flow(bot, [("ask", "question", {"text": "?", "save_as": "a"})]), conversation=conversation
    )
    assert run.status == "waiting" and steps_of(run) == [("start", "next"), ("ask", "")]
    assert run.steps.get(node_key="ask").output["waiting_for"] == "reply"
