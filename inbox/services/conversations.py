"""Conversations and their messages."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from inbox import events, signals
from inbox.models import Conversation, Customer, Message, Ticket
from inbox.payloads import conversation_event_payload
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
    """Start a chat; publishes conversation-started (which starts the bot's conversation flow)."""
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
    events.publish(
        bot,
        events.CONVERSATION_STARTED,
        conversation_event_payload(events.CONVERSATION_STARTED, conversation),
        conversation=conversation,
    )
    return conversation


def _post(conversation: Conversation, sender: str, text: str, author=None) -> Message:
    return Message.objects.create(conversation=conversation, sender=sender, text=text, author=author)


@transaction.atomic
def post_customer_message(conversation: Conversation, text: Any) -> Message:
    """A message from the customer; a flow waiting on a question receives it."""
    message = _post(conversation, Message.Sender.CUSTOMER, _clean_text(text))
    # The customer answered: their silence is over; the agent's reply is awaited from now.
    Ticket.objects.filter(
        conversation=conversation, status__in=[Ticket.Status.ASSIGNED, Ticket.Status.QUEUED]
    ).update(
        awaiting_customer_since=None,
        customer_reminded_at=None,
        awaiting_agent_since=Coalesce(F("awaiting_agent_since"), Value(message.created_at)),
    )
    signals.customer_message.send(sender=Message, conversation=conversation, message=message)
    return message


def post_bot_message(conversation: Conversation, text: str) -> Message:
    return _post(conversation, Message.Sender.BOT, text[:MAX_MESSAGE_LENGTH])


def post_system_message(conversation: Conversation, text: str) -> Message:
    return _post(conversation, Message.Sender.SYSTEM, text[:MAX_MESSAGE_LENGTH])


def post_agent_message(conversation: Conversation, agent, text: Any) -> Message:
    return _post(conversation, Message.Sender.AGENT, _clean_text(text), author=agent)


def end_conversation(
    conversation: Conversation, *, only_with_bot: bool = False, ticket_closed: bool = False
) -> bool:
    """End a chat once (its ticket closed with no flow left, or its flow finished); publishes
    conversation-ended. With `only_with_bot`, a chat an agent holds is left alone. With
    `ticket_closed` (the close of its ticket, which gives the chat back to the bot and
    writes that only when the chat goes on) it ends whatever status the row still has."""
    rows = Conversation.objects.filter(pk=conversation.pk)
    if not ticket_closed:
        states = [Conversation.Status.BOT]
        if not only_with_bot:
            states.append(Conversation.Status.AGENT)
        rows = rows.filter(status__in=states)
    if not rows.update(status=Conversation.Status.ENDED):
        return False
    conversation.status = Conversation.Status.ENDED
    events.publish(
        conversation.bot,
        events.CONVERSATION_ENDED,
        conversation_event_payload(events.CONVERSATION_ENDED, conversation),
        dedupe_key=f"conversation:{conversation.pk}",
        conversation=conversation,
    )
    return True
