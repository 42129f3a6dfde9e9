from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_an_agent_resolves_a_ticket_from_its_admin_page(client, agent, ticket):
    client.force_login(agent)
    page = client.get(f"/admin/inbox/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    assert b'id="resolve-ticket"' in page.content
    response = client.post(f"/admin/inbox/ticket/{ticket.pk}/resolve/", {"note": "done"}, follow=True)
    assert b"is closed" in response.content
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.resolution_note == "done"
    # A closed ticket offers no Resolve button, and a second POST is refused with a message.
    assert b'id="resolve-ticket"' not in client.get(f"/admin/inbox/ticket/{ticket.pk}/change/").content
    again = client.post(f"/admin/inbox/ticket/{ticket.pk}/resolve/", follow=True)
    assert b"cannot be resolved again" in again.content


def test_an_agent_of_another_bot_cannot_see_or_resolve_the_ticket(client, other_agent, ticket):
    client.force_login(other_agent)
    assert client.get(f"/admin/inbox/ticket/{ticket.pk}/change/").status_code in (302, 404)
    assert client.post(f"/admin/inbox/ticket/{ticket.pk}/resolve/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "queued"
