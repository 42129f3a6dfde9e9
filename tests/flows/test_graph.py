"""A flow is saved whole or not at all; the error names the problem."""

from __future__ import annotations

import pytest

from flows import graph
from flows.graph import FlowInvalid
from flows.models import Flow

pytestmark = pytest.mark.django_db


def data(nodes, edges=(), **extra):
    return {"name": "f", "trigger": {"type": "manual"}, "nodes": list(nodes), "edges": list(edges), **extra}


START = {"key": "start", "type": "start", "config": {}}
END = {"key": "end", "type": "end", "config": {}}


@pytest.mark.parametrize(
    "flow, field, message",
    [
        (data([START, {"key": "x", "type": "teleport"}]), "nodes", "node 'x': unknown type 'teleport'"),
        (
            data([START, {"key": "x", "type": "send_message", "config": {"text": 5}}]),
            "nodes",
            "config.text: 5 is not of type",
        ),
        (
            data([START, END], [{"source": "start", "port": "next", "target": "gone"}]),
            "edges",
            "target node 'gone' does not exist",
        ),
        (
            data([START, END], [{"source": "gone", "port": "next", "target": "end"}]),
            "edges",
            "source node 'gone' does not exist",
        ),
        (
            data([START, END], [{"source": "start", "port": "maybe", "target": "end"}]),
            "edges",
            "has no port 'maybe'",
        ),
        (
            data(
                [START, END, {"key": "end2", "type": "end"}],
                [
                    {"source": "start", "port": "next", "target": "end"},
                    {"source": "start", "port": "next", "target": "end2"},
                ],
            ),
            "edges",
            "port start.next already has an edge",
        ),
        (data([END]), "nodes", "exactly one start node, it has 0"),
        (data([START, {**START, "key": "start2"}]), "nodes", "exactly one start node, it has 2"),
        (data([START, {**END, "key": "start"}]), "nodes", "the key is used twice"),
    ],
)
def test_an_invalid_flow_is_refused_whole(bot, flow, field, message):
    with pytest.raises(FlowInvalid) as info:
        graph.save_flow(bot=bot, data=flow)
    assert any(message in m for m in info.value.errors[field]), info.value.errors
    assert not Flow.objects.exists()


def test_a_flow_round_trips_through_its_dict(bot):
    flow = graph.save_flow(
        bot=bot, data=data([START, END], [{"source": "start", "port": "next", "target": "end"}])
    )
    exported = graph.flow_to_dict(flow)
    again = graph.save_flow(bot=bot, data={**exported, "name": "copy"})
    assert graph.flow_to_dict(again)["nodes"] == exported["nodes"]
    assert graph.flow_to_dict(again)["edges"] == exported["edges"]
