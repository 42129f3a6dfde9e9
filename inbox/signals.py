"""The inbox's published hand-off points. Receivers only hand off; they hold no rules.

The inbox sits below flows and events, so it never imports them: it tells them what
happened through these signals, sent inside the transaction of the change, so whatever a
receiver writes (an event occurrence, flow runs) commits or rolls back with it; anything that
leaves the database waits for on_commit.

inbox_event(sender, bot, key, payload, dedupe_key, ticket, conversation, csat)
    Every inbox happening the event hub publishes (`inbox.events` lists the keys); sent only
    through `inbox.events.publish`.
customer_message(sender, conversation, message)
    A customer wrote in a conversation (a run waiting on a question takes it).
"""

from django.dispatch import Signal

inbox_event = Signal()
customer_message = Signal()
