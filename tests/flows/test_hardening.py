"""Limits that hold after rendering, and template errors inside JSON values."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "to",
    ["{{ event.everyone | join(',') }}", "{{ event.everyone }}", ["{{ event.everyone | join(',') }}"]],
    ids=["joined", "list", "list-of-one-template"],
)
def test_the_recipient_cap_applies_to_the_rendered_list(bot, run_flow, to):
    flow = build_flow(
        bot,
        [
            ("mail", "send_email", {"to": to, "subject": "Hi", "body": "Sale!"}),
            ("ko", "set_variable", {"name": "outcome", "value": "failure"}),
        ],
        edges=[("start", "next", "mail"), ("mail", "failure", "ko")],
    )
    everyone = [f"user{n}@example.com" for n in range(500)]
    run = run_flow(flow, context={"event": {"everyone": everyone}})
    step = run.steps.get(node_key="mail")
    assert step.port == "failure" and step.output["error"] == "500 recipients; at most 50 are allowed"
    assert mail.outbox == []


def test_fifty_rendered_recipients_are_sent(bot, run_flow):
    flow = build_flow(bot, [("mail", "send_email", {"to": "{{ event.some }}", "subject": "Hi", "body": "x"})])
    run = run_flow(flow, context={"event": {"some": [f"u{n}@example.com" for n in range(50)]}})
    assert run.status == "succeeded" and len(mail.outbox[0].to) == 50


def test_a_template_error_inside_a_json_value_fails_the_node_with_its_message(bot, run_flow):
    flow = build_flow(bot, [("keep", "set_variable", {"name": "x", "value": "{{ [vars.nope] }}"})])
    run = run_flow(flow)
    assert run.status == "failed"
    assert run.error == "Node 'keep' (set_variable) failed: 'dict object' has no attribute 'nope'"
    assert "crashed" not in run.steps.get(node_key="keep").error
