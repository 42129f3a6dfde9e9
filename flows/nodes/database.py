"""Inserts, updates, upserts or finds rows in one of the bot's tables."""

from __future__ import annotations

from flows.nodes.base import Context, NodeType, Outcome, template_check
from studio.errors import ServiceError

OPERATIONS = ("insert", "update", "upsert", "find")


def execute(ctx: Context, config: dict) -> Outcome:
    from tables import services as tables

    operation = config["operation"]
    table = ctx.text(config["table"]).strip()
    key = ctx.render(config.get("key") or {})
    values = ctx.render(config.get("values") or {})
    request = {"table": table, "operation": operation, "key": key}
    try:
        if operation == "insert":
            result = tables.insert(ctx.bot, table, {**key, **values})
        elif operation == "update":
            result = tables.update(ctx.bot, table, key, values)
        elif operation == "upsert":
            result = tables.upsert(ctx.bot, table, key, values)
        else:
            result = tables.find(ctx.bot, table, key)
    except ServiceError as exc:  # no such table, no key: the flow's failure branch decides
        return Outcome(port="failure", outputs={**request, "error": exc.message})
    save_as = config.get("save_as")
    return Outcome(
        port="success", vars={save_as: result} if save_as else {}, outputs={**request, "result": result}
    )


def preview(ctx: Context, config: dict) -> Outcome:
    key = ctx.render(config.get("key") or {})
    values = ctx.render(config.get("values") or {})
    table = ctx.text(config["table"]).strip()
    save_as = config.get("save_as")
    row = {**key, **values} if isinstance(key, dict) and isinstance(values, dict) else values
    return Outcome(
        outputs={"table": table, "operation": config["operation"], "key": key, "values": values},
        vars={save_as: row} if save_as else {},
    )


NODE = NodeType(
    name="database",
    label="Database",
    family="actions",
    ports=("success", "failure"),
    config_schema={
        "type": "object",
        "properties": {
            "table": {"type": "string", "minLength": 1, "maxLength": 80},
            "operation": {"enum": list(OPERATIONS)},
            "key": {"type": "object"},
            "values": {"type": "object"},
            "save_as": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
        },
        "required": ["table", "operation"],
        "additionalProperties": False,
        "allOf": [
            {
                "if": {"properties": {"operation": {"enum": ["update", "upsert", "find"]}}},
                "then": {"required": ["key"], "properties": {"key": {"minProperties": 1}}},
            },
            {
                "if": {"properties": {"operation": {"enum": ["insert", "update", "upsert"]}}},
                "then": {"required": ["values"]},
            },
        ],
    },
    execute=execute,
    preview=preview,
    pure=lambda config: config.get("operation") == "find",
    atomic=True,  # insert / update / upsert write only the bot's tables
    check=template_check("table", "key", "values"),
    description="Writes or reads rows of the bot's tables (browsable in the admin).",
)
