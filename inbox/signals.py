"""The inbox's published hand-off points. Receivers only hand off; they hold no rules.

ticket_closed(sender=Ticket, ticket, csat) is sent by inbox.services.close_ticket inside the
closing transaction, so what receivers write (the event occurrence, flow runs) commits or
rolls back with the close; anything that leaves the database is deferred to on_commit.
"""

from django.dispatch import Signal

ticket_closed = Signal()
