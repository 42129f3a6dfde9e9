"""Ends the run successfully (or as failed, when the flow says so)."""

from __future__ import annotations

from flows.nodes.base import NodeError, NodeType, Outcome


def execute(ctx, config) -> Outcome:
    if config.get("status") == "failed":
        raise NodeError(config.get("message") or "The flow ended as failed.")
    return Outcome(port=None)


NODE = NodeType(
    name="end",
    label="End",
    family="logic",
    ports=(),
    config_schema={
        "type": "object",
        "properties": {
            "status": {"enum": ["succeeded", "failed"]},
            "message": {"type": "string", "maxLength": 1000},
        },
        "additionalProperties": False,
    },
    execute=execute,
    pure=True,
    description="Ends the run.",
)
