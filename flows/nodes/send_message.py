"""Posts a bot message to the run's conversation (or only records it when there is none)."""

from __future__ import annotations

from flows.nodes.base import Context, NodeType, Outcome, template_check


def execute(ctx: Context, config: dict) -> Outcome:
    from inbox import services as inbox

    text = ctx.text(config["text"]).strip()
    conversation = ctx.run.conversation
    if conversation is None or not text:
        # An event flow without a chat (or an empty rendering): nothing to deliver, say so.
        return Outcome(port="next", outputs={"text": text, "delivered": False})
    message = inbox.post_bot_message(conversation, text)
    return Outcome(port="next", outputs={"text": message.text, "delivered": True, "message_id": message.pk})


def preview(ctx: Context, config: dict) -> Outcome:
    return Outcome(outputs={"text": ctx.text(config["text"]).strip(), "delivered": False})


NODE = NodeType(
    name="send_message",
    label="Send message",
    family="messages",
    ports=("next",),
    config_schema={
        "type": "object",
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4000}},
        "required": ["text"],
        "additionalProperties": False,
    },
    execute=execute,
    preview=preview,
    check=template_check("text"),
    description="Sends a message from the bot to the customer's conversation.",
)
