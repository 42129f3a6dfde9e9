"""Passwords and secrets never reach logs, event payloads or run steps."""

from __future__ import annotations

import json
import logging

import pytest

from events.models import EventOccurrence
from flows.models import RunStep
from tests.conftest import activate
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db

API_TOKEN = "sk_live_51HrAbCdEfGhIjKlMnOp"
QUERY_KEY = "qk_9f8e7d6c5b4a3210"
PASSWORD = "correct horse battery staple 42"


def test_secrets_of_a_failing_call_appear_nowhere(bot, agent, run_flow, httpserver, caplog, client, settings):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0
    caplog.set_level(logging.DEBUG)
    activate(bot, "run-failed")
    httpserver.expect_request("/crm").respond_with_data("down", status=500)
    flow = build_flow(
        bot,
        [
            (
                "call",
                "api_call",
                {
                    "method": "POST",
                    "url": httpserver.url_for("/crm") + f"?api_key={QUERY_KEY}&page=1",
                    "headers": {"Authorization": f"Bearer {API_TOKEN}", "X-Api-Token": API_TOKEN},
                    "sign": True,
                    "body": {"ticket": 7},
                    "retries": 1,
                },
            ),
            ("fail", "end", {"status": "failed", "message": "CRM unreachable"}),
        ],
        edges=[("start", "next", "call"), ("call", "failure", "fail")],
    )
    run = run_flow(flow)
    request = httpserver.log[0][0]
    assert request.headers["Authorization"] == f"Bearer {API_TOKEN}" and request.args["api_key"] == QUERY_KEY
    assert request.headers["webhook-signature"]  # signed with the bot's secret

    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})  # a failed login

    assert run.status == "failed" and EventOccurrence.objects.filter(key="run-failed").exists()
    steps = json.dumps(list(RunStep.objects.values("output", "error")), default=str)
    payloads = json.dumps(list(EventOccurrence.objects.values("payload")), default=str)
    run_row = json.dumps({"vars": run.vars, "error": run.error, "context": run.context})
    logs = "\n".join(
        r.getMessage() + " " + json.dumps(getattr(r, "args", ""), default=str)
        for r in caplog.records
        if r.name != "werkzeug"
    )  # werkzeug: the receiving server's log
    assert "[redacted]" in steps and "page=1" in steps  # what is shown, shown without the secret
    for secret in (API_TOKEN, QUERY_KEY, bot.webhook_secret, PASSWORD):
        for where, text in (("steps", steps), ("payloads", payloads), ("run", run_row), ("logs", logs)):
            assert secret not in text, f"{secret[:6]}... found in {where}"
