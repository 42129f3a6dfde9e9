"""The customer's chat page: a token is the only key; messages and CSAT go through services."""

from __future__ import annotations

import pytest
from django.test import Client

from inbox import services as inbox
from inbox.models import Conversation, CSATResponse

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def chat_url(conversation, action=""):
    return f"/chat/c/{conversation.access_token}/" + (f"{action}/" if action else "")


def test_starting_a_chat_creates_a_conversation_and_redirects_to_its_token(client, bot):
    assert client.get(f"/chat/{bot.pk}/").status_code == 200
    response = client.post(f"/chat/{bot.pk}/", {"name": "Dana", "text": "Hello"})
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"] == chat_url(conversation)
    assert len(conversation.access_token) >= 32
    assert conversation.customer.name == "Dana"
    page = client.get(response["Location"]).content.decode()
    assert "Hello" in page and 'class="msg msg-customer"' in page


def test_an_unknown_bot_or_token_is_404(client, bot):
    inbox.start_conversation(bot)
    assert client.get("/chat/999999/").status_code == 404
    assert client.get("/chat/c/not-the-token/").status_code == 404
    assert client.get("/chat/c/not-the-token/state/").status_code == 404
    assert client.post("/chat/c/not-the-token/messages/", {"text": "hi"}).status_code == 404


def test_the_customer_posts_messages_and_sees_the_agents_reply(client, agent, ticket):
    conversation = ticket.conversation
    response = client.post(chat_url(conversation, "messages"), {"text": "Still there?"}, **JSON)
    assert response.status_code == 200
    inbox.reply_to_ticket(ticket, agent, "Yes, looking into it")
    messages = client.get(chat_url(conversation, "state")).json()["messages"]
    assert [(m["sender"], m["text"]) for m in messages if m["sender"] != "system"][-2:] == [
        ("customer", "Still there?"),
        ("agent", "Yes, looking into it"),
    ]
    assert [m["label"] for m in messages if m["sender"] == "customer"][-1] == "You"
    empty = client.post(chat_url(conversation, "messages"), {"text": ""}, **JSON)
    assert empty.status_code == 400 and empty.json()["detail"] == "A message needs some text."


def test_the_csat_question_appears_when_the_ticket_waits_for_a_rating(client, agent, csat_ticket):
    conversation = csat_ticket.conversation
    page = client.get(chat_url(conversation)).content.decode()
    assert '<section id="csat" class="csat" aria-labelledby="csat-question" hidden>' in page
    inbox.resolve_ticket(csat_ticket, agent)
    state = client.get(chat_url(conversation, "state")).json()
    assert state["csat"] == {"asked": True, "question": csat_ticket.bot.csat_question, "scale": 5}
    page = client.get(chat_url(conversation)).content.decode()
    assert 'aria-labelledby="csat-question">' in page and 'aria-label="Rate 5 out of 5"' in page
    answer = client.post(chat_url(conversation, "csat"), {"rating": "5", "comment": "Quick!"}, **JSON)
    assert answer.status_code == 200 and answer.json()["csat"]["rated"]["rating"] == 5
    response = CSATResponse.objects.get(ticket=csat_ticket)
    assert (response.rating, response.comment) == (5, "Quick!")
    again = client.post(chat_url(conversation, "csat"), {"rating": "4"}, **JSON)
    assert again.status_code == 409 and "already been rated" in again.json()["detail"]


def test_a_rating_out_of_scale_is_refused_with_the_message(client, agent, csat_ticket):
    inbox.resolve_ticket(csat_ticket, agent)
    answer = client.post(chat_url(csat_ticket.conversation, "csat"), {"rating": "9"}, follow=True)
    assert "The rating must be a whole number from 1 to 5." in answer.content.decode()
    assert not CSATResponse.objects.exists()


def test_csrf_is_enforced_on_the_chat(bot):
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/chat/{bot.pk}/", {"name": "x"}).status_code == 403
    conversation = inbox.start_conversation(bot)
    assert client.post(chat_url(conversation, "messages"), {"text": "hi"}).status_code == 403
    assert not conversation.messages.exists()


@pytest.mark.parametrize("rating", ["²", "٣", "1" * 5000, " 5", "5.0", "-1"])
def test_a_rating_that_is_not_a_plain_number_is_a_form_error_not_a_500(client, agent, csat_ticket, rating):
    inbox.resolve_ticket(csat_ticket, agent)
    answer = client.post(chat_url(csat_ticket.conversation, "csat"), {"rating": rating}, **JSON)
    assert answer.status_code == 400
    assert answer.json()["detail"] == "The rating must be a whole number from 1 to 5."
    assert not CSATResponse.objects.exists()


def test_agents_never_see_a_chat_token_in_the_admin(client, agent, admin_user, ticket):
    conversation = ticket.conversation
    client.force_login(agent)
    page = client.get(f"/admin/inbox/conversation/{conversation.pk}/change/")
    assert page.status_code == 200 and conversation.access_token not in page.content.decode()
    listing = client.get("/admin/inbox/conversation/")
    assert conversation.access_token not in listing.content.decode()
    client.force_login(admin_user)
    page = client.get(f"/admin/inbox/conversation/{conversation.pk}/change/")
    assert conversation.access_token in page.content.decode()  # a studio admin may share the link
