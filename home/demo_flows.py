"""The demo's five flows: the support chat, and four background jobs when a ticket closes."""

from __future__ import annotations

import os
from typing import Any


def _flow(
    name: str,
    trigger: dict,
    steps: list[tuple[str, str, dict]],
    edges: list[tuple[str, str, str]],
    description: str,
) -> dict[str, Any]:
    nodes = [{"key": "start", "type": "start", "config": {}, "position": {"x": 0, "y": 0}}]
    nodes += [
        {"key": k, "type": t, "config": c, "position": {"x": 220 * (i + 1), "y": 0}}
        for i, (k, t, c) in enumerate(steps)
    ]
    return {
        "name": name,
        "description": description,
        "is_active": True,
        "trigger": trigger,
        "nodes": nodes,
        "edges": [{"source": s, "port": p, "target": t} for s, p, t in edges],
    }


TICKET_CLOSED = {"type": "event", "event": "ticket-closed"}


def support_chat() -> dict[str, Any]:
    return _flow(
        "Support chat",
        {"type": "conversation"},
        [
            (
                "greet",
                "send_message",
                {"text": "Hi {{ customer.name or 'there' }}, I am the Acme assistant."},
            ),
            ("ask", "question", {"text": "What can we help you with today?", "save_as": "problem"}),
            (
                "handover",
                "raise_ticket",
                {
                    "subject": "{{ vars.problem }}",
                    "category": "billing",
                    "priority": "normal",
                    "group": "billing",
                },
            ),
            (
                "thanks",
                "send_message",
                {
                    "text": (
                        "Thanks for your patience{% if vars.csat %} and for rating us {{ vars.csat.rating }}/"
                        "{{ vars.csat.scale }}{% endif %}! Anything else? You can ask about: 1) your invoice, "
                        "2) changing your plan, 3) talking to us again."
                    )
                },
            ),
            (
                "queued",
                "send_message",
                {"text": "Ticket #{{ vars.ticket.id }} is open: an agent will join you shortly."},
            ),
            ("busy", "send_message", {"text": "All our billing agents are busy. We will email you shortly."}),
            ("done", "end", {}),
        ],
        [
            ("start", "next", "greet"),
            ("greet", "next", "ask"),
            ("ask", "answered", "handover"),
            ("handover", "ticket_created", "queued"),
            ("handover", "ticket_closed", "thanks"),
            ("handover", "agents_unavailable", "busy"),
            ("thanks", "next", "done"),
        ],
        "Greets, asks, hands over to a billing agent and continues when the ticket closes.",
    )


def update_crm() -> dict[str, Any]:
    return _flow(
        "Update CRM",
        TICKET_CLOSED,
        [
            (
                "upsert",
                "database",
                {
                    "table": "crm_contacts",
                    "operation": "upsert",
                    "key": {"email": "{{ event.customer.email }}"},
                    "values": {
                        "name": "{{ event.customer.name }}",
                        "last_ticket": "{{ event.ticket.id }}",
                        "last_subject": "{{ event.ticket.subject }}",
                        "last_category": "{{ event.ticket.category }}",
                        "last_rating": "{{ event.csat.rating if event.csat else none }}",
                        "closed_at": "{{ event.ticket.closed_at }}",
                    },
                    "save_as": "contact",
                },
            ),
        ],
        [("start", "next", "upsert")],
        "Keeps the crm_contacts table up to date (Bot tables in the admin).",
    )


def billing_to_crm() -> dict[str, Any]:
    url = os.environ.get("DEMO_CRM_URL", "")
    call: dict[str, Any] = {
        "method": "GET",
        "url": "http://127.0.0.1:8000/healthz?ticket={{ event.ticket.id }}",
        "timeout_seconds": 5,
        "retries": 2,
        "save_as": "crm",
    }
    if url:  # a real CRM endpoint: send the ticket as a signed JSON body
        call = {
            **call,
            "method": "POST",
            "url": url,
            "sign": True,
            "body": {
                "ticket": "{{ event.ticket }}",
                "customer": "{{ event.customer }}",
                "csat": "{{ event.csat }}",
            },
        }
    return _flow(
        "Billing to CRM",
        TICKET_CLOSED,
        [
            ("is_billing", "condition", {"expression": "event.ticket.category == 'billing'"}),
            ("call_crm", "api_call", call),
            # The CRM being down must not fail the run (its step shows the error): ignored on purpose.
            ("crm_unreachable", "end", {}),
        ],
        [
            ("start", "next", "is_billing"),
            ("is_billing", "true", "call_crm"),
            ("call_crm", "failure", "crm_unreachable"),
        ],
        "Billing tickets go to the CRM's API (DEMO_CRM_URL; 127.0.0.1 needs OUTBOUND_ALLOWED_HOSTS).",
    )


def promotion() -> dict[str, Any]:
    return _flow(
        "Promotional message",
        TICKET_CLOSED,
        [
            (
                "offer",
                "send_message",
                {
                    "text": "Thanks for contacting Acme, {{ customer.name or 'friend' }}! "
                    "Here is 10% off your next month: THANKS10"
                },
            ),
        ],
        [("start", "next", "offer")],
        "Sends a thank-you offer to the customer's conversation.",
    )


def follow_up() -> dict[str, Any]:
    return _flow(
        "Follow-up",
        TICKET_CLOSED,
        [
            ("wait", "delay", {"days": 1}),
            (
                "check_in",
                "send_message",
                {"text": 'Hi again! Is everything fine since we solved "{{ event.ticket.subject }}"?'},
            ),
        ],
        [("start", "next", "wait"), ("wait", "next", "check_in")],
        "Checks in with the customer a day later.",
    )


def all_flows() -> list[dict[str, Any]]:
    return [support_chat(), update_crm(), billing_to_crm(), promotion(), follow_up()]
