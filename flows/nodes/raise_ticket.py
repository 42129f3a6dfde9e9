"""Hands the chat to a live agent: creates a ticket, then waits for it to close.

Ports: `agents_unavailable` (the ticket would be missed: nobody in the group, or the bot's
agents, can take it now or queue it; no ticket is created), `failure` (no conversation, or
the ticket was refused), `ticket_created` (taken at once when it has an edge: that branch
runs with vars.ticket.status `assigned` or `queued` and vars.ticket.queue_position, then the
run waits on the ticket here), `ticket_closed` (the run resumes there when the ticket
closes, with vars.ticket and vars.csat).
"""

from __future__ import annotations

from flows.nodes.base import Context, NodeType, Outcome, template_check
from inbox import services as inbox
from inbox.payloads import ticket_payload
from studio.errors import ServiceError

PRIORITIES = ["low", "normal", "high", "urgent"]


def execute(ctx: Context, config: dict) -> Outcome:

    group = ctx.text(config.get("group", "")).strip()
    conversation = ctx.run.conversation
    if conversation is None:
        return Outcome(port="failure", outputs={"error": "the run has no conversation to hand to an agent"})
    try:
        ticket = inbox.raise_ticket(
            conversation,
            subject=ctx.text(config["subject"]),
            category=ctx.text(config.get("category", "")).strip(),
            priority=ctx.text(config.get("priority", "normal")).strip() or "normal",
            group=group,
            allow_missed=False,
        )
    except inbox.AgentsUnavailable:
        return Outcome(port="agents_unavailable", outputs={"group": group})
    except ServiceError as exc:
        return Outcome(port="failure", outputs={"error": exc.message})
    payload = ticket_payload(ticket)
    return Outcome(
        port="ticket_created",
        wait="ticket",
        links={"ticket_id": ticket.pk},
        vars={"ticket": payload},
        outputs={"ticket_id": ticket.pk, "group": group, "status": ticket.status},
    )


def preview(ctx: Context, config: dict) -> Outcome:
    ticket = {
        "id": None,
        "subject": ctx.text(config["subject"]),
        "category": ctx.text(config.get("category", "")).strip(),
        "priority": ctx.text(config.get("priority", "normal")).strip() or "normal",
        "group": ctx.text(config.get("group", "")).strip(),
    }
    # Downstream of ticket_closed, templates read vars.ticket and vars.csat: stand-ins.
    return Outcome(outputs={"ticket": ticket}, vars={"ticket": {**ticket, "status": "closed"}, "csat": None})


NODE = NodeType(
    name="raise_ticket",
    label="Raise ticket",
    family="actions",
    ports=("ticket_created", "ticket_closed", "agents_unavailable", "failure"),
    config_schema={
        "type": "object",
        "properties": {
            "subject": {"type": "string", "minLength": 1, "maxLength": 400},
            "category": {"type": "string", "maxLength": 200},
            "priority": {"type": "string", "maxLength": 200},
            "group": {"type": "string", "maxLength": 200},
        },
        "required": ["subject"],
        "additionalProperties": False,
    },
    execute=execute,
    preview=preview,
    check=template_check("subject", "category", "priority", "group"),
    description="Creates a ticket for a live agent and continues at `ticket_closed` when it closes.",
)
