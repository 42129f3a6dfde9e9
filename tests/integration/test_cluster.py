"""Resolve a ticket in this process; a real qcluster process executes the hand-off."""

from __future__ import annotations

import pytest

from flows import graph
from flows.models import FlowRun
from inbox import services as inbox
from tests.conftest import activate, open_ticket
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.cluster


def test_a_real_cluster_executes_the_ticket_closed_hand_off(cluster, bot, agent):
    flow = graph.save_flow(
        bot=bot,
        data={
            "name": "after close",
            "trigger": {"type": "event", "event": "ticket-closed"},
            "nodes": [{"key": "start", "type": "start"}, {"key": "end", "type": "end"}],
            "edges": [{"source": "start", "port": "next", "target": "end"}],
        },
    )
    activate(bot, "ticket-closed")
    ticket = open_ticket(bot)

    inbox.resolve_ticket(ticket, agent)

    run = FlowRun.objects.get(flow=flow)
    wait_for(
        lambda: FlowRun.objects.get(pk=run.pk).status == "succeeded",
        what=lambda: f"run {run.pk}; log:\n{cluster.output()[-3000:]}",
    )
    # Only a worker of that process could have claimed and finished the run: this process
    # enqueues without running anything (Conf.SYNC is off in the fixture).
    assert FlowRun.objects.get(pk=run.pk).started_at is not None
