"""Canned responses: a bot's saved replies, templates over customer, agent and ticket."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from inbox import rendering
from inbox.models import CannedResponse, Ticket
from inbox.payloads import customer_payload, ticket_payload, user_payload
from studio.errors import InvalidInput

SHORTCUT = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")


@transaction.atomic
def save_canned_response(
    bot, *, shortcut: Any, text: Any, canned: CannedResponse | None = None
) -> CannedResponse:
    if not isinstance(shortcut, str) or not SHORTCUT.match(shortcut):
        raise InvalidInput("A shortcut is 1-40 letters, digits, - or _.", field="shortcut")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("A canned response needs some text.", field="text")
    if errors := rendering.problems(text):
        raise InvalidInput("; ".join(errors), field="text")
    canned = canned or CannedResponse(bot=bot)
    canned.shortcut, canned.text = shortcut, text.strip()
    try:
        with transaction.atomic():
            canned.save()
    except IntegrityError as exc:
        raise InvalidInput(f"The bot already has a canned response #{shortcut}.", field="shortcut") from exc
    return canned


def delete_canned_response(canned: CannedResponse) -> None:
    canned.delete()


def template_data(ticket: Ticket, agent) -> dict[str, Any]:
    return {
        "customer": customer_payload(ticket.conversation.customer),
        "agent": user_payload(agent),
        "ticket": ticket_payload(ticket),
    }


def offered(ticket: Ticket, agent) -> list[dict[str, Any]]:
    """The bot's canned responses rendered for this ticket; one that fails says why."""
    data = template_data(ticket, agent)
    offers = []
    for canned in CannedResponse.objects.filter(bot_id=ticket.bot_id).order_by("shortcut"):
        try:
            text, error = rendering.render(canned.text, data), ""
        except InvalidInput as exc:
            text, error = "", exc.message
        offers.append({"shortcut": canned.shortcut, "source": canned.text, "text": text, "error": error})
    return offers
