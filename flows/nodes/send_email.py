"""Sends an email through Django's mail backend."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email

from flows.nodes.base import Context, NodeType, Outcome, template_check


def _recipients(value) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def execute(ctx: Context, config: dict) -> Outcome:
    to = _recipients(ctx.render(config["to"]))
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
                    {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 50},
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
