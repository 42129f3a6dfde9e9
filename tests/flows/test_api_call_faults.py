"""The target of an api_call misbehaves: down, slower than its timeout, answering 5xx, or it
is somewhere a flow must never reach. Every attempt is in the step; the flow goes on by
`failure`."""

from __future__ import annotations

import socket
import time

import pytest
from django.test import override_settings

from flows.outbound import _is_public
from tests.flows.conftest import build_flow, steps_of

pytestmark = pytest.mark.django_db


def call_flow(bot, url, **config):
    return build_flow(
        bot,
        [
            ("call", "api_call", {"method": "POST", "url": url, "body": {"a": 1}, **config}),
            ("ok", "set_variable", {"name": "outcome", "value": "success"}),
            ("ko", "set_variable", {"name": "outcome", "value": "failure"}),
        ],
        edges=[("start", "next", "call"), ("call", "success", "ok"), ("call", "failure", "ko")],
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_target_that_is_down_is_tried_every_time_then_failure(bot, run_flow, settings):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0
    run = run_flow(call_flow(bot, f"http://127.0.0.1:{closed_port()}/x", retries=2))
    assert (run.status, run.vars["outcome"]) == ("succeeded", "failure")
    step = run.steps.get(node_key="call")
    assert step.port == "failure" and step.output["error"].startswith("gave up: ConnectError")
    assert [a["attempt"] for a in step.output["attempts"]] == [1, 2, 3]
    assert all(a["error"].startswith("ConnectError") for a in step.output["attempts"])


def test_a_target_slower_than_the_timeout_is_cut_off_and_retried(bot, run_flow, httpserver, settings):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0

    def slow(request):
        time.sleep(0.6)
        from werkzeug import Response

        return Response("late", status=200)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    run = run_flow(call_flow(bot, httpserver.url_for("/slow"), timeout_seconds=0.2, retries=1))
    assert (run.status, run.vars["outcome"]) == ("succeeded", "failure")
    step = run.steps.get(node_key="call")
    assert [a["error"].split(":")[0] for a in step.output["attempts"]] == ["ReadTimeout", "ReadTimeout"]
    assert steps_of(run) == [("start", "next"), ("call", "failure"), ("ko", "next")]


def test_5xx_is_retried_with_growing_backoff_then_failure(bot, run_flow, httpserver, settings):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0.1
    arrivals: list[float] = []

    def busy(request):
        from werkzeug import Response

        arrivals.append(time.monotonic())
        return Response("busy", status=503)

    httpserver.expect_request("/busy").respond_with_handler(busy)
    run = run_flow(call_flow(bot, httpserver.url_for("/busy"), retries=2))
    step = run.steps.get(node_key="call")
    assert [a["status"] for a in step.output["attempts"]] == [503, 503, 503]
    assert step.port == "failure" and step.output["error"] == "gave up: HTTP 503"
    # Backoff doubles from FLOW_HTTP_BACKOFF_SECONDS: the receiver saw the tries at least
    # 0.1 s then 0.2 s apart (lower bounds: a sleep never ends early).
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2, gaps


def _private_name_from_hosts() -> str:
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except socket.gaierror:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    if any(_is_public(a) for a in addresses):
        pytest.skip(f"this machine's name {name!r} resolves to a public address")
    return name


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://[::ffff:7f00:1]:{port}/hook",
        "http://2130706433:{port}/hook",  # 127.0.0.1 written as one number
        "http://127.1:{port}/hook",
        "http://0.0.0.0:{port}/hook",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[fd00::1]/",  # IPv6 unique local
        "http://[fe80::1]/",  # IPv6 link-local
        # IPv6 forms that carry an IPv4 address, or are deprecated local scopes
        "http://[::127.0.0.1]:{port}/hook",  # IPv4-compatible
        "http://[64:ff9b::7f00:1]:{port}/hook",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 of 169.254.169.254
        "http://[2002:7f00:1::1]:{port}/hook",  # 6to4 of 127.0.0.1
        "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
        "http://[fec0::1]/",  # site-local
        "http://localhost:{port}/hook",
        "http://LOCALHOST.:{port}/hook",
        "http://{hostname}:{port}/hook",  # a name /etc/hosts maps to 127.0.0.1
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/_GET",
        "ftp://127.0.0.1/",
        "dict://127.0.0.1:6379/info",
        "http://user:pw@example.com/",
        "//127.0.0.1:{port}/hook",
        "not a url",
    ],
)
def test_internal_targets_and_other_schemes_are_refused_before_any_request(bot, run_flow, httpserver, url):
    httpserver.expect_request("/hook").respond_with_json({})
    hostname = _private_name_from_hosts() if "{hostname}" in url else ""
    with override_settings(OUTBOUND_ALLOWED_HOSTS=[]):
        run = run_flow(call_flow(bot, url.format(port=httpserver.port, hostname=hostname)))
    assert (run.status, run.vars["outcome"]) == ("succeeded", "failure")
    step = run.steps.get(node_key="call")
    assert step.output["error"].startswith("refused:"), step.output
    assert step.output["attempts"] == [] and httpserver.log == []


def test_ipv6_forms_of_public_ipv4_addresses_stay_callable():
    assert _is_public("64:ff9b::808:808")  # NAT64 of 8.8.8.8
    assert _is_public("2002:808:808::1")  # 6to4 of 8.8.8.8
    assert _is_public("2001:4860:4860::8888")
    assert not _is_public("::8.8.8.8")  # IPv4-compatible addresses are refused outright


def test_a_redirect_towards_an_internal_address_is_not_followed(bot, run_flow, httpserver):
    from werkzeug import Response

    httpserver.expect_request("/go").respond_with_response(
        Response(status=307, headers={"Location": f"http://127.0.0.1:{httpserver.port}/admin"})
    )
    httpserver.expect_request("/admin").respond_with_json({"secret": True})
    run = run_flow(call_flow(bot, httpserver.url_for("/go")))
    assert run.vars["outcome"] == "failure"
    assert [request.path for request, _ in httpserver.log] == ["/go"]


@pytest.mark.parametrize("depth", [25, 5000])
def test_a_deeply_nested_body_is_refused_when_the_flow_is_saved(bot, depth):
    from flows.graph import FlowInvalid
    from flows.models import Flow

    body: dict = {"leaf": "{{ 1 + 1 }}"}
    for _ in range(depth):
        body = {"n": body}
    with pytest.raises(FlowInvalid) as info:
        call_flow(bot, "http://example.com/deep", body=body)
    assert "node 'call': config.body: nests deeper than 20 levels" in info.value.errors["nodes"]
    assert not Flow.objects.exists()


def test_a_body_nested_as_deep_as_allowed_is_sent(bot, run_flow, httpserver, settings):
    body: dict = {"leaf": "{{ 1 + 1 }}"}
    for _ in range(17):
        body = {"n": body}
    httpserver.expect_request("/deep").respond_with_json({})
    run = run_flow(call_flow(bot, httpserver.url_for("/deep"), body=body))
    assert run.vars["outcome"] == "success"
    sent = httpserver.log[0][0].get_json()
    for _ in range(17):
        sent = sent["n"]
    assert sent == {"leaf": 2}
