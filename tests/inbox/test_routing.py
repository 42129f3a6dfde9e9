"""Automatic assignment with capacity, the queue, missed tickets, Take and transfers."""

from __future__ import annotations

import pytest

from events.models import EventOccurrence
from inbox import services as inbox
from inbox.models import AgentProfile, InternalNote, Message, Ticket
from inbox.services import routing
from studio.errors import Conflict, NotAllowed
from tests.conftest import PASSWORD, open_ticket

pytestmark = pytest.mark.django_db


def make_agent(bot, username, *, status="available", max_concurrent=None, groups=()):
    return inbox.create_agent(
        username=username,
        password=PASSWORD,
        name=f"{username.title()} Agent",
        bots=[bot],
        groups=list(groups),
        status=status,
        max_concurrent=max_concurrent,
    )


def system_texts(ticket):
    return list(
        Message.objects.filter(conversation=ticket.conversation, sender="system").values_list(
            "text", flat=True
        )
    )


def state(ticket):
    ticket = Ticket.objects.get(pk=ticket.pk)
    return ticket.status, ticket.assignee.username if ticket.assignee else None, ticket.queue_position


def test_tickets_go_to_a_free_agent_then_queue_in_order_and_move_when_capacity_frees(bot):
    carol = make_agent(bot, "carol", max_concurrent=1)
    make_agent(bot, "dave", status="away")
    first, second, third = (open_ticket(bot, subject=s) for s in ("one", "two", "three"))

    assert state(first) == ("assigned", "carol", None)
    assert "Carol Agent joined the chat." in system_texts(first)
    assert state(second) == ("queued", None, 1)
    assert state(third) == ("queued", None, 2)
    assert any("number 2 in the queue" in t for t in system_texts(third))

    inbox.resolve_ticket(Ticket.objects.get(pk=first.pk), carol)

    assert state(second) == ("assigned", "carol", None)
    assert "Carol Agent joined the chat." in system_texts(second)
    assert state(third) == ("queued", None, 1)  # its position is kept current
    keys = list(EventOccurrence.objects.order_by("pk").values_list("key", flat=True))
    assert keys.count("ticket-queued") == 2 and keys.count("ticket-assigned") == 2


def test_the_least_recently_assigned_agent_goes_first(bot):
    make_agent(bot, "carol")
    make_agent(bot, "dave")
    owners = [state(open_ticket(bot, subject=f"t{i}"))[1] for i in range(4)]
    assert owners == ["carol", "dave", "carol", "dave"]


def test_a_group_ticket_goes_only_to_that_groups_agents(bot):
    make_agent(bot, "carol", groups=["billing"])
    make_agent(bot, "dave", groups=["tech"])
    conversation = inbox.start_conversation(bot, customer={"name": "Eve"})
    ticket = inbox.raise_ticket(conversation, subject="Broken", group="tech")
    assert state(ticket)[1] == "dave"


def test_missed_when_the_queue_is_off_full_or_nobody_is_online(bot):
    make_agent(bot, "carol", max_concurrent=1)
    open_ticket(bot)  # carol is now full
    routing.update_settings(bot, {"queue_enabled": False})
    missed = open_ticket(bot, subject="missed")
    assert state(missed)[0] == "missed"
    assert "within one business day" in system_texts(missed)[-1]
    assert EventOccurrence.objects.filter(key="ticket-missed").count() == 1

    routing.update_settings(bot, {"queue_enabled": True, "queue_limit": 1})
    assert state(open_ticket(bot, subject="q"))[0] == "queued"
    assert state(open_ticket(bot, subject="over"))[0] == "missed"


def test_offline_queueing_decides_when_nobody_is_online(bot):
    make_agent(bot, "carol", status="offline")
    assert state(open_ticket(bot))[0] == "missed"
    routing.update_settings(bot, {"offline_queueing": True})
    assert state(open_ticket(bot))[0] == "queued"


def test_becoming_available_or_a_raised_limit_takes_queued_tickets_at_once(bot):
    carol = make_agent(bot, "carol", status="away", max_concurrent=1)
    first, second = open_ticket(bot), open_ticket(bot)
    assert state(first)[0] == state(second)[0] == "queued"
    profile = inbox.set_agent_status(carol, "available")
    assert profile.status == "available" and state(first)[:2] == ("assigned", "carol")
    assert state(second)[0] == "queued"
    inbox.update_agent(carol, max_concurrent=2)
    assert state(second)[:2] == ("assigned", "carol")
    assert EventOccurrence.objects.filter(key="agent-status-changed").count() == 1


def test_take_respects_capacity_and_admins_may_force_it(bot, admin_user):
    carol = make_agent(bot, "carol", max_concurrent=1)
    open_ticket(bot)
    waiting = open_ticket(bot)
    with pytest.raises(Conflict, match="already has 1 chats"):
        inbox.assign_ticket(waiting, carol, by=carol)
    with pytest.raises(NotAllowed):
        inbox.assign_ticket(waiting, carol, by=carol, force=True)
    inbox.assign_ticket(waiting, carol, by=admin_user, force=True)
    assert state(waiting)[:2] == ("assigned", "carol")
    assert routing.active_tickets(carol.pk) == 2


def test_transfer_to_an_agent_and_to_a_group_with_notes(bot):
    carol = make_agent(bot, "carol", groups=["billing"])
    dave = make_agent(bot, "dave", groups=["tech"], max_concurrent=1)
    ticket = open_ticket(bot)
    assert state(ticket)[1] == "carol"

    inbox.transfer_ticket(ticket, carol, agent=dave, note="Dave knows this one")
    assert state(ticket)[:2] == ("assigned", "dave")
    other = open_ticket(bot, subject="other")  # dave is full now: carol gets it
    with pytest.raises(Conflict):
        inbox.transfer_ticket(other, carol, agent=dave)

    inbox.transfer_ticket(ticket, dave, group="billing", note="Back to billing")
    ticket.refresh_from_db()
    assert (ticket.group, ticket.status, ticket.assignee) == ("billing", "assigned", carol)
    notes = list(InternalNote.objects.filter(ticket=ticket).values_list("text", flat=True))
    assert notes == [
        "Transferred to Dave Agent: Dave knows this one",
        "Transferred to group billing: Back to billing",
    ]
    occurrence = EventOccurrence.objects.filter(key="ticket-transferred").order_by("pk").first()
    assert occurrence.payload["transfer"]["to_agent"]["username"] == "dave"
    assert occurrence.payload["transfer"]["note"] == "Dave knows this one"


def test_notes_never_reach_the_customers_transcript(client, bot):
    carol = make_agent(bot, "carol")
    ticket = open_ticket(bot)
    inbox.add_note(ticket, carol, "Secret: customer is a VIP")
    page = client.get(f"/chat/c/{ticket.conversation.access_token}/").content.decode()
    state_json = client.get(f"/chat/c/{ticket.conversation.access_token}/state/").content.decode()
    assert "Secret" not in page and "Secret" not in state_json
    client.force_login(carol)
    assert "Secret: customer is a VIP" in client.get(f"/inbox/tickets/{ticket.pk}/").content.decode()
    assert (
        EventOccurrence.objects.get(key="note-added").payload["note"]["text"] == "Secret: customer is a VIP"
    )


def test_logging_out_makes_an_agent_offline(client, bot):
    carol = make_agent(bot, "carol")
    client.force_login(carol)
    client.post("/inbox/status/", {"status": "busy"})
    assert AgentProfile.objects.get(user=carol).status == "busy"
    client.post("/accounts/logout/")
    assert AgentProfile.objects.get(user=carol).status == "offline"


def test_the_supervisor_view_is_for_admins(client, bot, admin_user):
    carol = make_agent(bot, "carol", max_concurrent=2)
    open_ticket(bot)
    client.force_login(carol)
    assert client.get("/inbox/agents/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/inbox/agents/").status_code == 200
    rows = client.get("/inbox/agents/state/").json()["agents"]
    assert [(r["name"], r["status"], r["active_tickets"], r["max_concurrent"]) for r in rows] == [
        ("Carol Agent", "available", 1, 2)
    ]


def test_the_queue_tabs_and_the_tag_filter(client, bot):
    carol = make_agent(bot, "carol", max_concurrent=1)
    mine = open_ticket(bot, subject="Mine one")
    queued = open_ticket(bot, subject="Queued one")
    inbox.set_tags(queued, carol, ["VIP", "refund"])
    client.force_login(carol)

    def subjects(query):
        return [t.subject for t in client.get(f"/inbox/?{query}").context["tickets"]]

    assert subjects("tab=mine") == ["Mine one"]
    assert subjects("tab=queued") == ["Queued one"]
    assert subjects("tab=unassigned") == ["Queued one"]
    assert subjects("tab=open&tag=vip") == ["Queued one"]
    assert subjects("tab=missed") == [] and subjects("tab=closed") == []
    assert "Queued one" in client.get("/inbox/rows/?tab=queued").content.decode()
    assert mine.pk
