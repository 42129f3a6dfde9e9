"""The inbox's state changes. Admin actions, the console, the API and tasks all call these."""

from inbox.services.agents import agents_available, agents_of, create_agent, is_agent_of, update_agent
from inbox.services.conversations import (
    end_conversation,
    post_bot_message,
    post_customer_message,
    post_system_message,
    start_conversation,
)
from inbox.services.tickets import (
    assign_ticket,
    close_ticket,
    expire_csat,
    raise_ticket,
    reply_to_ticket,
    resolve_ticket,
    submit_csat,
)

__all__ = [
    "agents_available",
    "agents_of",
    "assign_ticket",
    "close_ticket",
    "create_agent",
    "end_conversation",
    "expire_csat",
    "is_agent_of",
    "post_bot_message",
    "post_customer_message",
    "post_system_message",
    "raise_ticket",
    "reply_to_ticket",
    "resolve_ticket",
    "start_conversation",
    "submit_csat",
    "update_agent",
]
