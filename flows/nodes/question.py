"""Asks the customer a question and waits for the reply, saved under vars[save_as]."""

from __future__ import annotations

from flows.nodes.base import Context, NodeError, NodeType, Outcome, template_check


def execute(ctx: Context, config: dict) -> Outcome:
    from inbox import services as inbox

    conversation = ctx.run.conversation
    if conversation is None:
        raise NodeError("a question needs a conversation to ask in, and this run has none")
    message = inbox.post_bot_message(conversation, ctx.text(config["text"]))
    return Outcome(wait="reply", outputs={"text": message.text, "message_id": message.pk})


def resume(ctx: Context, config: dict, port: str) -> Outcome:
    # flows.services.deliver_reply put the customer's message in vars["last_reply"].
    reply = ctx.vars.get("last_reply")
    return Outcome(port=port, vars={config["save_as"]: reply}, outputs={"reply": reply})


def preview(ctx: Context, config: dict) -> Outcome:
    return Outcome(outputs={"text": ctx.text(config["text"])}, vars={config["save_as"]: "", "last_reply": ""})


NODE = NodeType(
    name="question",
    label="Question",
    family="prompts",
    ports=("answered",),
    config_schema={
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 4000},
            "save_as": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
        },
        "required": ["text", "save_as"],
        "additionalProperties": False,
    },
    execute=execute,
    preview=preview,
    resume=resume,
    check=template_check("text"),
    description="Asks the customer and waits for the answer.",
)
