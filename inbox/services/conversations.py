"""Conversations and their messages."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from inbox.models import Conversation, Customer, Message
from inbox.payloads import conversation_payload, customer_payload
from studio.errors import InvalidInput

MAX_MESSAGE_LENGTH = 4000


def _clean_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("A message needs some text.", field="text")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(f"A message is at most {MAX_MESSAGE_LENGTH} characters.", field="text")
    return text.strip()


@transaction.atomic
def start_conversation(bot, *, customer: dict[str, Any] | None = None, channel: str = "web") -> Conversation:
    """Start a chat; emits conversation-started and starts the bot's conversation flow."""
    from events import services as events
    from flows import services as flows

    data = customer or {}
    person = None
    if data.get("external_id"):
        person = Customer.objects.filter(bot=bot, external_id=data["external_id"]).first()
    if person is None:
        person = Customer.objects.create(
            bot=bot,
            name=data.get("name", ""),
            email=data.get("email", ""),
            external_id=data.get("external_id", ""),
        )
    conversation = Conversation.objects.create(bot=bot, customer=person, channel=channel or "web")
    events.emit(
        bot,
        "conversation-started",
        {
            "event": "conversation-started",
            "bot": {"id": bot.pk, "name": bot.name},
            "customer": customer_payload(person),
            "conversation": conversation_payload(conversation),
        },
    )
    flows.start_conversation_flow(conversation)
    return conversation


def _post(conversation: Conversation, sender: str, text: str, author=None) -> Message:
    return Message.objects.create(conversation=conversation, sender=sender, text=text, author=author)


@transaction.atomic
def post_customer_message(conversation: Conversation, text: Any) -> Message:
    """A message from the customer; a flow waiting on a question receives it."""
    from flows import services as flows

    message = _post(conversation, Message.Sender.CUSTOMER, _clean_text(text))
    flows.deliver_reply(conversation, message)
    return message


def post_bot_message(conversation: Conversation, text: str) -> Message:
    return _post(conversation, Message.Sender.BOT, text[:MAX_MESSAGE_LENGTH])


def post_system_message(conversation: Conversation, text: str) -> Message:
    return _post(conversation, Message.Sender.SYSTEM, text[:MAX_MESSAGE_LENGTH])


def post_agent_message(conversation: Conversation, agent, text: Any) -> Message:
    return _post(conversation, Message.Sender.AGENT, _clean_text(text), author=agent)
