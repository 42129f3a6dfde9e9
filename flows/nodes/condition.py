"""Branches on a sandboxed Jinja2 expression, e.g. event.ticket.category == 'billing'."""

from __future__ import annotations

from flows.nodes.base import Context, NodeType, Outcome, template_check


def execute(ctx: Context, config: dict) -> Outcome:
    result = bool(ctx.evaluate(config["expression"]))
    return Outcome(port="true" if result else "false", outputs={"result": result})


NODE = NodeType(
    name="condition",
    label="Condition",
    family="logic",
    ports=("true", "false"),
    config_schema={
        "type": "object",
        "properties": {"expression": {"type": "string", "minLength": 1, "maxLength": 2000}},
        "required": ["expression"],
        "additionalProperties": False,
    },
    execute=execute,
    pure=True,
    check=template_check(expressions=("expression",)),
    description="Takes `true` or `false` by evaluating an expression over the run's context.",
)
