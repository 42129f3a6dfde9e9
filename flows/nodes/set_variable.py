"""Sets vars[name] to a value (a JSON value whose strings are templates)."""

from __future__ import annotations

from flows.nodes.base import Context, NodeType, Outcome, template_check

VAR_NAME = "^[A-Za-z_][A-Za-z0-9_]{0,63}$"


def execute(ctx: Context, config: dict) -> Outcome:
    value = ctx.render(config.get("value"))
    return Outcome(
        port="next", vars={config["name"]: value}, outputs={"name": config["name"], "value": value}
    )


NODE = NodeType(
    name="set_variable",
    label="Set variable",
    family="logic",
    ports=("next",),
    config_schema={
        "type": "object",
        "properties": {"name": {"type": "string", "pattern": VAR_NAME}, "value": {}},
        "required": ["name", "value"],
        "additionalProperties": False,
    },
    execute=execute,
    pure=True,
    check=template_check("value"),
    description="Stores a value in the run's vars.",
)
