"""Hands what lower apps publish (inbox events, failed runs) to emit(). No rules here."""

from __future__ import annotations

from django.dispatch import receiver

from events import services
from flows.signals import event_requested, run_failed
from inbox.signals import inbox_event
from studio.signals import bot_created


@receiver(inbox_event, dispatch_uid="events.inbox_event")
def emit_inbox_event(sender, bot, key, payload, dedupe_key=None, **kwargs) -> None:
    services.emit(bot, key, payload, dedupe_key=dedupe_key)


@receiver(run_failed, dispatch_uid="events.run_failed")
def emit_run_failed(sender, bot, key, payload, **kwargs) -> None:
    services.emit(bot, key, payload)


@receiver(bot_created, dispatch_uid="events.bot_created")
def install_catalogue(sender, bot, **kwargs) -> None:
    services.install_catalogue(bot)


def install_catalogues(sender, **kwargs) -> None:
    services.install_catalogues()


@receiver(event_requested, dispatch_uid="events.event_requested")
def emit_requested_event(sender, bot, key, payload, depth=0, **kwargs):
    return services.emit(bot, key, payload, depth=depth)
