"""Sends an email through Django's mail backend."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email

from flows.nodes.base import Context, NodeType, Outcome, template_check


def _recipients(value) -> list[str]:
    # A list item may itself render to "a@x, b@y": split every item, then count.
    items = value if isinstance(value, list) else [value or ""]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


MAX_RECIPIENTS = 50


def execute(ctx: Context, config: dict) -> Outcome:
    to = _recipients(ctx.render(config["to"]))
    if len(to) > MAX_RECIPIENTS:
        # The schema caps what is written; this caps what the templates rendered to
        # ("{{ vars.everyone | join(',') }}"), so one node cannot become a mass mailing.
        return Outcome(
            port="failure",
            outputs={"to": to[:5], "error": f"{len(to)} recipients; at most {MAX_RECIPIENTS} are allowed"},
        )
    subject = ctx.text(config["subject"]).replace("\n", " ").strip()
    body = ctx.text(config["body"])
    try:
        if not to:
            raise ValidationError("no recipient")
        for address in to:
            validate_email(address)
        sent = send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except ValidationError as exc:
        return Outcome(
            port="failure", outputs={"to": to, "error": f"invalid recipient: {'; '.join(exc.messages)}"}
        )
    except (OSError, ValueError) as exc:  # SMTP refused, server down, bad header
        return Outcome(port="failure", outputs={"to": to, "error": f"{type(exc).__name__}: {exc}"})
    return Outcome(port="sent", outputs={"to": to, "subject": subject, "sent": sent})


def preview(ctx: Context, config: dict) -> Outcome:
    to = _recipients(ctx.render(config["to"]))
    subject = ctx.text(config["subject"]).replace("\n", " ").strip()
    return Outcome(outputs={"to": to, "subject": subject, "body": ctx.text(config["body"])})


NODE = NodeType(
    name="send_email",
    label="Send email",
    family="messages",
    ports=("sent", "failure"),
    config_schema={
        "type": "object",
        "properties": {
            "to": {
                "oneOf": [
                    {"type": "string", "minLength": 1, "maxLength": 2000},
                    {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_RECIPIENTS},
                ]
            },
            "subject": {"type": "string", "minLength": 1, "maxLength": 400},
            "body": {"type": "string", "minLength": 1, "maxLength": 20000},
        },
        "required": ["to", "subject", "body"],
        "additionalProperties": False,
    },
    execute=execute,
    preview=preview,
    check=template_check("to", "subject", "body"),
    description="Sends an email (templated recipients, subject and body).",
)
