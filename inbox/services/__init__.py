"""The inbox's state changes. Admin actions, the console, the API and tasks all call these."""

from inbox.services.agents import agents_of, create_agent, is_agent_of, update_agent
from inbox.services.agents import set_status as set_agent_status
from inbox.services.canned import delete_canned_response, save_canned_response
from inbox.services.canned import offered as canned_offers
from inbox.services.conversations import (
    end_conversation,
    post_bot_message,
    post_customer_message,
    post_system_message,
    start_conversation,
)
from inbox.services.tickets import (
    AgentsUnavailable,
    add_note,
    assign_ticket,
    close_ticket,
    expire_csat,
    raise_ticket,
    reply_to_ticket,
    resolve_ticket,
    set_tags,
    submit_csat,
    transfer_ticket,
)

__all__ = [
    "canned_offers",
    "set_agent_status",
    "delete_canned_response",
    "save_canned_response",
    "AgentsUnavailable",
    "add_note",
    "set_tags",
    "transfer_ticket",
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
