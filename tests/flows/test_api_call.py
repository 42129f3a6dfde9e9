from __future__ import annotations

import json
import socket

import pytest
from django.test import override_settings
from standardwebhooks import Webhook
from werkzeug import Response

from tests.flows.conftest import build_flow, steps_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_retries")]


@pytest.fixture
def fast_retries(settings):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0


def call_flow(bot, url, **config):
    return build_flow(
        bot,
        [
            ("call", "api_call", {"method": "POST", "url": url, "save_as": "crm", **config}),
            ("ok", "set_variable", {"name": "outcome", "value": "success"}),
            ("ko", "set_variable", {"name": "outcome", "value": "failure"}),
        ],
        edges=[("start", "next", "call"), ("call", "success", "ok"), ("call", "failure", "ko")],
    )


def test_the_server_receives_the_rendered_body_and_the_response_is_saved(bot, run_flow, httpserver):
    httpserver.expect_request("/contacts", method="POST").respond_with_json({"crm_id": "c-9"}, status=201)
    flow = call_flow(
        bot,
        httpserver.url_for("/contacts"),
        headers={"Authorization": "Bearer {{ event.token }}"},
        body={"ticket": "{{ event.ticket.id }}", "note": "Closed: {{ event.ticket.subject }}"},
    )
    run = run_flow(flow, {"event": {"token": "s3cret", "ticket": {"id": 7, "subject": "Charged twice"}}})
    assert run.status == "succeeded" and run.vars["outcome"] == "success"
    request, _ = httpserver.log[0]
    assert json.loads(request.data) == {"ticket": 7, "note": "Closed: Charged twice"}
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.headers["Idempotency-Key"] == f"run-{run.pk}-call-2"
    assert run.vars["crm"]["status"] == 201 and run.vars["crm"]["body"] == {"crm_id": "c-9"}
    output = run.steps.get(node_key="call").output
    assert "s3cret" not in json.dumps(output)  # credentials never reach the run page
    assert output["request"]["headers"]["Authorization"] == "[redacted]"
    assert [a["status"] for a in output["attempts"]] == [201]


def test_a_500_then_200_is_retried_with_the_same_idempotency_key(bot, run_flow, httpserver):
    httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_json({"ok": True})
    run = run_flow(call_flow(bot, httpserver.url_for("/hook"), body={"a": 1}))
    assert run.status == "succeeded" and run.vars["outcome"] == "success"
    keys = [request.headers["Idempotency-Key"] for request, _ in httpserver.log]
    assert len(keys) == 2 and keys[0] == keys[1]
    assert [a["status"] for a in run.steps.get(node_key="call").output["attempts"]] == [500, 200]


def test_failure_after_the_retries_takes_the_failure_port(bot, run_flow, httpserver):
    httpserver.expect_request("/down").respond_with_data("no", status=503)
    run = run_flow(call_flow(bot, httpserver.url_for("/down"), retries=2))
    assert run.status == "succeeded" and run.vars["outcome"] == "failure"
    assert len(httpserver.log) == 3
    step = run.steps.get(node_key="call")
    assert step.port == "failure" and "gave up" in step.output["error"]


def test_a_client_error_is_not_retried(bot, run_flow, httpserver):
    httpserver.expect_request("/bad").respond_with_json({"error": "nope"}, status=422)
    run = run_flow(call_flow(bot, httpserver.url_for("/bad")))
    assert run.vars["outcome"] == "failure" and len(httpserver.log) == 1
    assert run.vars["crm"]["body"] == {"error": "nope"}


def test_redirects_are_not_followed(bot, run_flow, httpserver):
    httpserver.expect_request("/moved").respond_with_response(
        Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    run = run_flow(call_flow(bot, httpserver.url_for("/moved")))
    assert run.vars["outcome"] == "failure" and run.vars["crm"]["status"] == 302
    assert len(httpserver.log) == 1


def test_a_connection_error_is_retried_then_fails(bot, run_flow):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = run_flow(call_flow(bot, f"http://127.0.0.1:{port}/x", retries=1, timeout_seconds=2))
    assert run.vars["outcome"] == "failure"
    attempts = run.steps.get(node_key="call").output["attempts"]
    assert len(attempts) == 2 and all("ConnectError" in a["error"] for a in attempts)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:{port}/hook",  # a name resolving to 127.0.0.1
        "http://127.0.0.1:{port}/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/",
    ],
)
def test_private_targets_and_other_schemes_are_refused_without_a_request(bot, run_flow, httpserver, url):
    httpserver.expect_request("/hook").respond_with_json({})
    with override_settings(OUTBOUND_ALLOWED_HOSTS=[]):
        run = run_flow(call_flow(bot, url.format(port=httpserver.port)))
    assert run.status == "succeeded" and run.vars["outcome"] == "failure"
    step = run.steps.get(node_key="call")
    assert step.output["error"].startswith("refused:") and step.output["attempts"] == []
    assert httpserver.log == []


def test_a_signed_call_verifies_with_standard_webhooks(bot, run_flow, httpserver):
    httpserver.expect_ordered_request("/signed").respond_with_data("", status=502)
    httpserver.expect_ordered_request("/signed").respond_with_json({"ok": True})
    run = run_flow(call_flow(bot, httpserver.url_for("/signed"), sign=True, body={"ticket": 7}))
    assert run.vars["outcome"] == "success"
    (first, _), (second, _) = httpserver.log
    webhook = Webhook(bot.webhook_secret)
    for request in (first, second):
        assert webhook.verify(request.get_data(), dict(request.headers)) == {"ticket": 7}
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"run-{run.pk}-call-2"
    shown = run.steps.get(node_key="call").output["request"]["headers"]
    assert shown["Idempotency-Key"] == f"run-{run.pk}-call-2" and bot.webhook_secret not in json.dumps(shown)


def test_a_config_error_is_refused_when_the_flow_is_saved(bot):
    from flows.graph import FlowInvalid

    for config, message in [
        ({"method": "POST"}, "'url' is a required property"),
        ({"url": "http://x", "retries": 9}, "retries"),
        ({"url": "http://x", "timeout_seconds": 0}, "timeout_seconds"),
        ({"url": "http://x", "method": "TRACE"}, "method"),
        ({"url": "http://x/{{ vars.id ", "method": "GET"}, "template error"),
    ]:
        with pytest.raises(FlowInvalid) as info:
            build_flow(bot, [("call", "api_call", config)])
        assert message in str(info.value.errors), config


def test_steps_show_the_ports_taken(bot, run_flow, httpserver):
    httpserver.expect_request("/ok").respond_with_json({})
    run = run_flow(call_flow(bot, httpserver.url_for("/ok")))
    assert steps_of(run) == [("start", "next"), ("call", "success"), ("ok", "next")]


def test_a_cookie_a_server_sets_is_never_sent_by_a_later_call(bot, run_flow, httpserver):
    # The connection pool is shared by every run, flow and bot calling the host: a cookie one
    # call received must not ride along with the next (another bot's session, say).
    httpserver.expect_request("/login").respond_with_response(
        Response("ok", headers={"Set-Cookie": "session=bot-a-secret; Path=/"})
    )
    httpserver.expect_request("/next").respond_with_json({})
    run_flow(call_flow(bot, httpserver.url_for("/login")))
    run = run_flow(call_flow(bot, httpserver.url_for("/next")))
    assert run.vars["outcome"] == "success"
    assert [request.headers.get("Cookie") for request, _ in httpserver.log] == [None, None]
