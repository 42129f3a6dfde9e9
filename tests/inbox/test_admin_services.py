"""The admin goes through the inbox services: assignees, closed tickets and agents."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from inbox import services as inbox
from inbox.models import AgentProfile, Ticket
from tests.conftest import PASSWORD, open_ticket

pytestmark = pytest.mark.django_db


def _change_form(ticket, **overrides):
    data = {
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "group": ticket.group,
        "resolution_note": "",
        "custom_fields": "{}",
    }
    return {**data, **overrides}


def test_an_agent_cannot_set_an_assignee_outside_the_bots_agents_through_any_page(
    client, agent, other_agent, bot
):
    ticket = open_ticket(bot)
    client.force_login(agent)

    client.post(f"/admin/inbox/ticket/{ticket.pk}/change/", _change_form(ticket, assignee=other_agent.pk))
    page = client.post(f"/admin/inbox/ticket/{ticket.pk}/assign/", {"agent": other_agent.pk}, follow=True)
    client.post(
        f"/api/tickets/{ticket.pk}/assign/", {"agent": other_agent.pk}, content_type="application/json"
    )
    client.post(f"/inbox/tickets/{ticket.pk}/take/")

    assert b"not an agent of this ticket" in page.content
    assert Ticket.objects.get(pk=ticket.pk).assignee_id in (None, agent.pk)


def test_the_assign_button_assigns_through_the_service(client, admin_user, agent, bot):
    ticket = open_ticket(bot)
    client.force_login(admin_user)
    page = client.get(f"/admin/inbox/ticket/{ticket.pk}/change/")
    assert b'id="assign-agent"' in page.content and b"Alice Agent" in page.content
    client.post(f"/admin/inbox/ticket/{ticket.pk}/assign/", {"agent": agent.pk})
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.status) == (agent.pk, "assigned")


def test_a_closed_ticket_is_read_only_in_the_admin(client, admin_user, agent, bot):
    ticket = open_ticket(bot)
    inbox.resolve_ticket(ticket, agent)
    client.force_login(admin_user)
    client.post(f"/admin/inbox/ticket/{ticket.pk}/change/", _change_form(ticket, subject="Rewritten"))
    assert Ticket.objects.get(pk=ticket.pk).subject == ticket.subject
    assert b'name="subject"' not in client.get(f"/admin/inbox/ticket/{ticket.pk}/change/").content


def test_an_agent_added_in_the_admin_is_made_by_the_service(client, admin_user, bot):
    client.force_login(admin_user)
    response = client.post(
        "/admin/inbox/agentprofile/add/",
        {
            "username": "carol",
            "password": PASSWORD,
            "name": "Carol Jones",
            "email": "carol@example.com",
            "bots": [bot.pk],
            "groups": "billing, returns",
            "status": "available",
            "max_concurrent": "2",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    carol = User.objects.get(username="carol")
    assert carol.check_password(PASSWORD) and carol.groups.filter(name="Agents").exists()
    assert carol.get_full_name() == "Carol Jones"
    profile = AgentProfile.objects.get(user=carol)
    assert list(profile.bots.all()) == [bot] and profile.skill_groups == ["billing", "returns"]
    assert (profile.status, profile.max_concurrent) == ("available", 2)

    taken = client.post("/admin/inbox/agentprofile/add/", {"username": "carol", "password": PASSWORD})
    assert taken.status_code == 200 and b"is taken" in taken.content


@pytest.mark.parametrize("value", ["²", "٣", "9" * 30, "", "-1"])
def test_the_assign_button_refuses_an_agent_that_is_not_a_plain_id(client, admin_user, agent, bot, value):
    ticket = open_ticket(bot)
    client.force_login(admin_user)
    page = client.post(f"/admin/inbox/ticket/{ticket.pk}/assign/", {"agent": value}, follow=True)
    assert page.status_code == 200 and b"Choose an agent of this ticket" in page.content
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == ticket.assignee_id
