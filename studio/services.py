"""Bots: creating one tells the event hub (which installs its catalogue)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from studio import signals
from studio.errors import InvalidInput
from studio.models import Bot

CSAT_FIELDS = {
    "enabled": "csat_enabled",
    "question": "csat_question",
    "scale": "csat_scale",
    "expires_after_minutes": "csat_expires_after_minutes",
}


def _csat_values(csat: dict[str, Any] | None) -> dict[str, Any]:
    values = {CSAT_FIELDS[k]: v for k, v in (csat or {}).items() if k in CSAT_FIELDS}
    scale = values.get("csat_scale")
    if scale is not None and not 2 <= int(scale) <= 10:
        raise InvalidInput("The CSAT scale must be between 2 and 10.", field="csat")
    minutes = values.get("csat_expires_after_minutes")
    if minutes is not None and int(minutes) < 1:
        raise InvalidInput("expires_after_minutes must be at least 1.", field="csat")
    return values


@transaction.atomic
def create_bot(name: str, *, csat: dict[str, Any] | None = None) -> Bot:
    bot = Bot.objects.create(name=name, **_csat_values(csat))
    signals.bot_created.send(sender=Bot, bot=bot)
    return bot


@transaction.atomic
def update_bot(bot: Bot, *, name: str | None = None, csat: dict[str, Any] | None = None) -> Bot:
    values = _csat_values(csat)
    if name is not None:
        values["name"] = name
    for field, value in values.items():
        setattr(bot, field, value)
    if values:
        bot.save(update_fields=list(values))
    return bot


def csat_settings(bot: Bot) -> dict[str, Any]:
    return {api: getattr(bot, field) for api, field in CSAT_FIELDS.items()}
