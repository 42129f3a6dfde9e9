"""The anonymous chat is rate limited: chat starts and messages per address and per
conversation (429 with a message in the page), and conversation flow starts per bot."""

from __future__ import annotations

import pytest
from django.test import Client

from flows.models import FlowRun
from inbox.models import Conversation, Message
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def limits(settings):
    settings.CHAT_STARTS_PER_MINUTE = 3
    settings.CHAT_MESSAGES_PER_MINUTE = 8
    settings.CHAT_MESSAGES_PER_CONVERSATION_PER_MINUTE = 4
    settings.FLOW_STARTS_PER_BOT_PER_MINUTE = 5
    return settings


def test_a_flood_of_new_chats_from_one_address_is_refused(bot, limits):
    flooder = Client(REMOTE_ADDR="203.0.113.7")
    codes = [flooder.post(f"/chat/{bot.pk}/", {"name": "x"}).status_code for _ in range(40)]
    assert codes[:3] == [302] * 3 and set(codes[3:]) == {429}
    assert Conversation.objects.count() == 3
    page = flooder.post(f"/chat/{bot.pk}/", {"name": "x"})
    assert "Please wait a minute and try again." in page.content.decode()
    other = Client(REMOTE_ADDR="198.51.100.2").post(f"/chat/{bot.pk}/", {"name": "y"})
    assert other.status_code == 302  # another customer is not affected


def test_a_flood_of_messages_to_one_conversation_is_refused(bot, limits):
    customer = Client(REMOTE_ADDR="203.0.113.7")
    url = customer.post(f"/chat/{bot.pk}/", {"name": "x"})["Location"]
    codes = [customer.post(f"{url}messages/", {"text": "y" * 4000}, **JSON).status_code for _ in range(60)]
    assert codes[:4] == [200] * 4 and set(codes[4:]) == {429}
    assert Message.objects.filter(sender="customer").count() == 4
    refused = customer.post(f"{url}messages/", {"text": "again"}, **JSON)
    assert "Please wait a moment." in refused.json()["detail"]
    page = customer.post(f"{url}messages/", {"text": "no js"})  # the form without JavaScript
    assert page.status_code == 429 and "Please wait a moment." in page.content.decode()


def test_messages_are_limited_per_address_across_conversations(bot, limits):
    customer = Client(REMOTE_ADDR="203.0.113.7")
    urls = [customer.post(f"/chat/{bot.pk}/", {"name": "x"})["Location"] for _ in range(3)]
    codes = [
        customer.post(f"{u}messages/", {"text": "hi"}, **JSON).status_code for u in urls for _ in range(4)
    ]
    assert codes.count(200) == 8 and codes.count(429) == 4


def test_conversation_flow_starts_are_capped_per_bot(bot, limits):
    build_flow(bot, [("hello", "send_message", {"text": "Hi"})], trigger={"type": "conversation"})
    for n in range(8):
        Client(REMOTE_ADDR=f"203.0.113.{n + 1}").post(f"/chat/{bot.pk}/", {"name": "x"})
    assert Conversation.objects.count() == 8
    assert FlowRun.objects.filter(trigger="conversation").count() == 5
