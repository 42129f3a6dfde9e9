"""Where every flow begins. Its trigger lives on the flow; the node only leads on."""

from __future__ import annotations

from flows.nodes.base import NodeType, Outcome


def execute(ctx, config) -> Outcome:
    return Outcome(port="next")


NODE = NodeType(
    name="start",
    label="Start",
    family="logic",
    ports=("next",),
    config_schema={"type": "object", "additionalProperties": True},
    execute=execute,
    pure=True,
    description="The entry point of the flow.",
)
