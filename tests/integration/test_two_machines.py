"""Two cluster processes, as two machines, on one database and one broker: 200 ticket
closures with three active ticket-closed flows make 600 runs and 600 calls, none twice."""

from __future__ import annotations

from collections import Counter

import pytest

from flows.models import FlowRun
from inbox import services as inbox
from tests.conftest import activate, open_ticket
from tests.flows.conftest import build_flow
from tests.integration.conftest import wait_for
from tests.integration.receiver import Receiver

pytestmark = pytest.mark.cluster

CLOSURES = 200
FLOWS = 3


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_two_clusters_run_every_flow_of_every_closure_exactly_once(start_cluster, bot, agent, broker):
    with Receiver() as receiver:
        for i in range(FLOWS):
            build_flow(
                bot,
                [
                    (
                        "call",
                        "api_call",
                        {
                            "method": "POST",
                            "url": receiver.url(f"/crm/{i}"),
                            "body": {"ticket": "{{ event.ticket.id }}"},
                            "retries": 0,
                        },
                    )
                ],
                name=f"after close {i}",
                trigger={"type": "event", "event": "ticket-closed"},
            )
        activate(bot, "ticket-closed")
        machines = [start_cluster(broker, Q_WORKERS="3"), start_cluster(broker, Q_WORKERS="3")]
        tickets = [open_ticket(bot) for _ in range(CLOSURES)]

        for ticket in tickets:
            inbox.resolve_ticket(ticket, agent)

        expected = CLOSURES * FLOWS
        wait_for(
            lambda: FlowRun.objects.filter(status="succeeded").count() == expected,
            timeout=60,
            what=lambda: (
                f"{expected} runs to succeed: {Counter(FlowRun.objects.values_list('status', flat=True))}"
                f"; log:\n{machines[0].output()[-2000:]}"
            ),
        )
        runs = set(FlowRun.objects.values_list("pk", flat=True))
        keys = Counter(call.idempotency_key for call in receiver.calls)

    assert len(runs) == expected
    assert sum(keys.values()) == expected  # calls received
    assert [key for key, n in keys.items() if n > 1] == []  # duplicates
    assert set(keys) == {f"run-{pk}-call-2" for pk in runs}  # none lost
    assert FlowRun.objects.filter(attempts=1).count() == expected
