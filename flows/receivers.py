"""Hands the inbox's signals to the flow services: resume, start or answer runs. No rules here."""

from __future__ import annotations

from django.dispatch import receiver

from flows import services
from inbox import events
from inbox.signals import customer_message, inbox_event


@receiver(inbox_event, dispatch_uid="flows.inbox_event")
def on_inbox_event(sender, key, ticket=None, conversation=None, csat=None, **kwargs) -> None:
    if key == events.TICKET_CLOSED:
        services.on_ticket_closed(ticket, csat=csat)
    elif key == events.CONVERSATION_STARTED:
        services.start_conversation_flow(conversation)


@receiver(customer_message, dispatch_uid="flows.customer_message")
def on_customer_message(sender, conversation, message, **kwargs) -> None:
    services.deliver_reply(conversation, message)
