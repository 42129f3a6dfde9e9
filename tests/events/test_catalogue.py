from __future__ import annotations

import pytest
from django.core.management import call_command

from events import services as events
from events.models import Event

pytestmark = pytest.mark.django_db

EXPECTED = {"ticket-created", "ticket-assigned", "ticket-closed", "csat-submitted", "conversation-started"}


def test_a_new_bot_has_the_system_catalogue_all_inactive(bot):
    catalogue = Event.objects.filter(bot=bot)
    assert set(catalogue.values_list("key", flat=True)) >= EXPECTED
    assert not catalogue.filter(is_active=True).exists()
    assert set(catalogue.values_list("category", flat=True)) == {"inbox", "bot"}


def test_emit_of_an_inactive_event_is_recorded_as_skipped(bot):
    occurrence = events.emit(bot, "ticket-created", {"x": 1})
    assert occurrence.status == "skipped"
    assert occurrence.payload == {"x": 1}


def test_emit_with_the_same_dedupe_key_records_once(bot):
    first = events.emit(bot, "ticket-closed", {}, dedupe_key="ticket:1")
    second = events.emit(bot, "ticket-closed", {}, dedupe_key="ticket:1")
    assert first.pk == second.pk


def test_admin_activates_and_deactivates_from_the_list_and_the_change_page(client, admin_user, bot):
    client.force_login(admin_user)
    event = Event.objects.get(bot=bot, key="ticket-closed")
    page = client.get("/admin/events/event/")
    assert page.status_code == 200 and b"Inactive" in page.content
    response = client.post(
        "/admin/events/event/", {"action": "activate", "_selected_action": [event.pk]}, follow=True
    )
    assert b"Activated 1 event" in response.content
    event.refresh_from_db()
    assert event.is_active
    page = client.get(f"/admin/events/event/{event.pk}/change/")
    assert b"Deactivate" in page.content
    client.post(f"/admin/events/event/{event.pk}/toggle/")
    event.refresh_from_db()
    assert not event.is_active


def test_admin_creating_a_bot_installs_its_catalogue(client, admin_user):
    from django.contrib.auth.models import User

    User.objects.filter(pk=admin_user.pk).update(is_superuser=True)
    client.force_login(admin_user)
    response = client.post(
        "/admin/studio/bot/add/",
        {
            "name": "New bot",
            "csat_question": "Rate us",
            "csat_scale": 5,
            "csat_expires_after_minutes": 60,
        },
    )
    assert response.status_code == 302
    assert Event.objects.filter(bot__name="New bot", key="ticket-closed", is_active=False).exists()


def test_a_system_event_new_to_the_catalogue_reaches_existing_bots_after_migrate(bot, other_bot):
    """Stands in for an upgrade: the bots predate the event (its rows are missing)."""
    Event.objects.filter(bot__in=[bot, other_bot], key="conversation-ended").delete()
    Event.objects.filter(bot=bot, key="ticket-closed").update(is_active=True)

    call_command("migrate", verbosity=0)

    for b in (bot, other_bot):
        added = Event.objects.get(bot=b, key="conversation-ended")
        assert added.is_active is False and added.category == "bot"
    assert Event.objects.get(bot=bot, key="ticket-closed").is_active  # left as the admin set it


def test_a_bot_added_in_the_admin_gets_its_catalogue(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/studio/bot/add/",
        {
            "name": "Initech",
            "csat_enabled": "on",
            "csat_question": "How did we do?",
            "csat_scale": "5",
            "csat_expires_after_minutes": "60",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Event.objects.filter(bot__name="Initech", key="ticket-closed", is_active=False).exists()
