"""A ticket closes in this process; two ticket-closed flows call a local HTTP server from a
real qcluster process."""

from __future__ import annotations

import json

import pytest

from flows import graph
from flows.models import FlowRun
from inbox import services as inbox
from tests.conftest import activate, open_ticket
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.cluster


def calling_flow(bot, name: str, url: str):
    return graph.save_flow(
        bot=bot,
        data={
            "name": name,
            "trigger": {"type": "event", "event": "ticket-closed"},
            "nodes": [
                {"key": "start", "type": "start"},
                {
                    "key": "call",
                    "type": "api_call",
                    "config": {
                        "method": "POST",
                        "url": url,
                        "body": {
                            "flow": name,
                            "ticket": "{{ event.ticket.id }}",
                            "category": "{{ event.ticket.category }}",
                        },
                    },
                },
            ],
            "edges": [{"source": "start", "port": "next", "target": "call"}],
        },
    )


def test_two_ticket_closed_flows_call_a_local_server_from_the_cluster(cluster, httpserver, bot, agent):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    flows = [calling_flow(bot, name, httpserver.url_for("/hook")) for name in ("crm", "analytics")]
    activate(bot, "ticket-closed")
    ticket = open_ticket(bot, category="billing")

    inbox.resolve_ticket(ticket, agent)

    wait_for(lambda: len(httpserver.log) >= 2, what=lambda: f"two calls; log:\n{cluster.output()[-3000:]}")
    bodies = sorted(
        (json.loads(request.get_data()) for request, _ in httpserver.log), key=lambda b: b["flow"]
    )
    assert bodies == [
        {"flow": "analytics", "ticket": ticket.pk, "category": "billing"},
        {"flow": "crm", "ticket": ticket.pk, "category": "billing"},
    ]
    keys = {request.headers["Idempotency-Key"] for request, _ in httpserver.log}
    assert len(keys) == 2
    wait_for(lambda: FlowRun.objects.filter(flow__in=flows, status="succeeded").count() == 2)
