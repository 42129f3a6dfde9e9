"""The one home of the ticket state machine: which triggers move a ticket from which statuses
to which, each performed as one conditional UPDATE whose row count decides
(studio.statemachine).

A ticket is born `assigned`, `queued` or `missed` by routing (`open` is kept for tickets
raised before routing existed). Every later status change in inbox.services goes through
`move()`, so two requests racing on one ticket change it once: the loser's UPDATE matches no
row and it gets False.

    trigger             from                              to            who pulls it
    assign              open, queued, missed              assigned      routing (raise, capacity
                                                                        freed), Take, admin assign
    transfer_to_agent   open, queued, missed, assigned    assigned      an agent or admin (Transfer)
    transfer_to_group   open, queued, missed, assigned    queued        an agent or admin (Transfer)
    resolve             open, queued, missed, assigned    closed        an agent (CSAT off)
    resolve_for_rating  open, queued, missed, assigned    pending_csat  an agent (CSAT on)
    rate                pending_csat                      closed        the customer's rating
    expire_csat         pending_csat                      closed        the CSAT expiry schedule
    close_inactive      assigned                          closed        the inactivity sweeper
"""

from __future__ import annotations

from inbox.models import Ticket
from studio.statemachine import StateMachine

S = Ticket.Status
ACTIVE = frozenset({S.OPEN, S.QUEUED, S.MISSED, S.ASSIGNED})

# The statuses routing creates a ticket in.
INITIAL = frozenset({S.ASSIGNED, S.QUEUED, S.MISSED})

TRANSITIONS = {
    "assign": (frozenset({S.OPEN, S.QUEUED, S.MISSED}), S.ASSIGNED),
    "transfer_to_agent": (ACTIVE, S.ASSIGNED),
    "transfer_to_group": (ACTIVE, S.QUEUED),
    "resolve": (ACTIVE, S.CLOSED),
    "resolve_for_rating": (ACTIVE, S.PENDING_CSAT),
    "rate": (frozenset({S.PENDING_CSAT}), S.CLOSED),
    "expire_csat": (frozenset({S.PENDING_CSAT}), S.CLOSED),
    "close_inactive": (frozenset({S.ASSIGNED}), S.CLOSED),
}


MACHINE = StateMachine(Ticket, TRANSITIONS)
sources, move, move_returning = MACHINE.sources, MACHINE.move, MACHINE.move_returning


def check_initial(status: str) -> str:
    if status not in INITIAL:
        raise ValueError(f"A ticket cannot be created {status}.")
    return status
