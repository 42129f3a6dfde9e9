"""Emits one of the bot's events (system or custom) with a templated payload.

Ports: `sent` (the hub recorded the occurrence; flows listening to an active event start),
`failure` (the bot has no such event, a template failed, or the chain of Send event nodes
is already MAX_DEPTH deep - a run started by a Send event carries its depth, so flows that
trigger each other stop instead of looping forever).
"""

from __future__ import annotations

from flows.nodes.base import Context, NodeType, Outcome, template_check
from flows.signals import event_requested

MAX_DEPTH = 5


def execute(ctx: Context, config: dict) -> Outcome:
    key = ctx.text(config["event"]).strip()
    depth = int((ctx.run.context or {}).get("depth", 0) or 0)
    if depth >= MAX_DEPTH:
        return Outcome(
            port="failure",
            outputs={"error": f"events sent by flows may chain {MAX_DEPTH} deep at most", "event": key},
        )
    payload = ctx.render(config.get("payload", {}))
    if not isinstance(payload, dict):
        return Outcome(
            port="failure", outputs={"error": "the payload must render to an object", "event": key}
        )
    payload = {"event": key, **payload}
    responses = event_requested.send(
        sender=type(ctx.run), run=ctx.run, bot=ctx.bot, key=key, payload=payload, depth=depth + 1
    )
    occurrence = next((r for _, r in responses if r is not None), None)
    if occurrence is None:
        return Outcome(port="failure", outputs={"error": f"the bot has no event {key!r}", "event": key})
    return Outcome(
        port="sent",
        outputs={
            "event": key,
            "occurrence": occurrence.pk,
            "active": occurrence.was_active,
            "depth": depth + 1,
        },
    )


NODE = NodeType(
    name="send_event",
    label="Send event",
    ports=("sent", "failure"),
    config_schema={
        "type": "object",
        "properties": {
            "event": {"type": "string", "minLength": 1, "maxLength": 200},
            "payload": {"type": "object"},
        },
        "required": ["event"],
        "additionalProperties": False,
    },
    execute=execute,
    check=template_check("event", "payload"),
    description="Emits one of the bot's events (custom ones too) with a templated payload.",
)
