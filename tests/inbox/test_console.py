"""The agent console through the Django test client: access, actions, refusals, CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from inbox import services as inbox
from inbox.models import Ticket
from tests.conftest import PASSWORD, open_ticket

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def url(ticket, action=""):
    return f"/inbox/tickets/{ticket.pk}/" + (f"{action}/" if action else "")


def test_the_console_asks_for_a_login(client, ticket):
    response = client.get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/login/").status_code == 200


def test_it_refuses_a_user_who_is_not_an_agent(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("mallory", password=PASSWORD))
    assert client.get("/inbox/").status_code == 403


def test_an_agent_logs_in_and_sees_the_queue_of_their_bots(client, agent, ticket, other_bot):
    theirs = open_ticket(other_bot, subject="Not yours")
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/inbox/"
    body = response.content.decode()
    assert "Charged twice" in body and "Dana" in body and "billing" in body and "High" in body
    assert f'action="/inbox/tickets/{ticket.pk}/take/"' in body
    assert "Not yours" not in body and theirs.subject not in body


def test_the_tabs_filter_the_queue_newest_first(client, agent, bot):
    older = open_ticket(bot, subject="Older one")
    newer = open_ticket(bot, subject="Newer one")
    closed = open_ticket(bot, subject="Done one")
    inbox.resolve_ticket(closed, agent)
    inbox.assign_ticket(newer, agent)
    client.force_login(agent)

    def subjects(tab):
        return [t.subject for t in client.get(f"/inbox/?tab={tab}").context["tickets"]]

    assert subjects("open") == ["Newer one", "Older one"]
    assert subjects("mine") == ["Newer one"]
    assert subjects("unassigned") == ["Older one"]
    assert subjects("closed") == ["Done one"]
    assert subjects("pending") == []
    assert older.pk


def test_an_agent_of_another_bot_gets_404_for_the_ticket(client, other_agent, ticket):
    client.force_login(other_agent)
    for path in (url(ticket), url(ticket, "state")):
        assert client.get(path).status_code == 404
    for action in ("take", "reply", "resolve"):
        assert client.post(url(ticket, action), {"text": "hi"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "queued" and ticket.assignee is None


def test_take_reply_and_resolve_from_the_ticket_page(client, agent, ticket):
    client.force_login(agent)
    response = client.post(url(ticket, "take"), follow=True)
    assert response.redirect_chain[-1][0] == url(ticket)
    assert "is yours" in response.content.decode()
    client.post(url(ticket, "reply"), {"text": "Refund on its way"})
    answer = client.post(url(ticket, "resolve"), {"note": "Refunded"}, **JSON)
    assert answer.status_code == 200
    assert answer.json()["ticket"]["status"] == "closed"
    assert answer.json()["ticket"]["can_resolve"] is False
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.resolution_note) == ("closed", agent, "Refunded")
    assert ticket.conversation.messages.filter(sender="agent", text="Refund on its way").exists()


def test_the_ticket_page_shows_the_transcript_and_details(client, agent, bot):
    conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    inbox.post_customer_message(conversation, "I was charged <b>twice</b>")
    ticket = inbox.raise_ticket(conversation, subject="Charged twice", custom_fields={"order": "A-17"})
    client.force_login(agent)
    body = client.get(url(ticket)).content.decode()
    assert 'class="msg msg-customer"' in body and 'class="msg msg-system"' in body
    assert "I was charged &lt;b&gt;twice&lt;/b&gt;" in body
    assert "A-17" in body and 'id="resolve-ticket"' in body and 'id="reply-text"' in body
    assert 'role="status" aria-live="polite"' in body and "<main" in body


def test_no_resolve_button_on_closed_or_pending_tickets(client, agent, ticket, csat_ticket):
    inbox.resolve_ticket(ticket, agent)
    inbox.resolve_ticket(csat_ticket, agent)
    client.force_login(agent)
    closed = client.get(url(ticket)).content.decode()
    assert 'id="resolve-ticket"' not in closed and 'id="take-ticket"' not in closed
    assert 'id="reply-text"' not in closed
    pending = client.get(url(csat_ticket)).content.decode()
    assert 'id="resolve-ticket"' not in pending and "Pending CSAT" in pending
    assert "Waiting for the customer's rating" in pending


def test_a_refused_action_answers_the_services_message(client, agent, ticket):
    inbox.resolve_ticket(ticket, agent)
    client.force_login(agent)
    answer = client.post(url(ticket, "resolve"), **JSON)
    assert answer.status_code == 409
    assert answer.json() == {"detail": f"Ticket {ticket.pk} is closed; it cannot be resolved again."}
    page = client.post(url(ticket, "reply"), {"text": "late"}, follow=True)
    assert f"Ticket {ticket.pk} is closed." in page.content.decode()
    empty = client.post(url(ticket, "reply"), {"text": " "}, **JSON)
    assert empty.status_code in (400, 409)


def test_the_state_endpoint_shows_new_messages_and_the_rating(client, agent, csat_ticket):
    client.force_login(agent)
    first = client.get(url(csat_ticket, "state")).json()
    last_id = first["messages"][-1]["id"]
    inbox.resolve_ticket(csat_ticket, agent)
    state = client.get(url(csat_ticket, "state") + f"?after={last_id}").json()
    assert state["ticket"]["status"] == "pending_csat" and state["ticket"]["csat"] is None
    assert [m["sender"] for m in state["messages"]] == ["system"]
    inbox.submit_csat(csat_ticket, 5, comment="Great")
    state = client.get(url(csat_ticket, "state")).json()["ticket"]
    assert state["status"] == "closed"
    assert state["csat"] == {"rating": 5, "scale": 5, "comment": "Great"}


def test_csrf_is_enforced_on_every_console_action(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    for action in ("take", "reply", "resolve"):
        assert client.post(url(ticket, action), {"text": "x"}, **JSON).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "queued"
    page = client.get(url(ticket))
    token = page.cookies["csrftoken"].value
    answer = client.post(url(ticket, "resolve"), {"note": "ok"}, HTTP_X_CSRFTOKEN=token, **JSON)
    assert answer.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_the_queue_costs_the_same_queries_however_many_tickets(
    client, agent, bot, django_assert_max_num_queries
):
    client.force_login(agent)
    open_ticket(bot)
    with django_assert_max_num_queries(12) as few:
        client.get("/inbox/")
    for _ in range(5):
        open_ticket(bot)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/inbox/").context["tickets"]) == 6
