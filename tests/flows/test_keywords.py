"""Conversation flows with keywords start when a customer's message names one of them."""

from __future__ import annotations

import pytest

from flows.models import FlowRun
from inbox import services as inbox
from tests.flows.conftest import build_flow
from tests.flows.test_ticket_flows import bot_texts

pytestmark = pytest.mark.django_db


def _keyword_flow(bot, keywords, text):
    return build_flow(
        bot,
        [("say", "send_message", {"text": text})],
        name=f"On {keywords}",
        trigger={"type": "conversation", "keywords": keywords},
    )


def test_a_message_with_a_keyword_starts_its_flow_and_others_start_nothing(bot, on_commit):
    refunds = _keyword_flow(bot, ["refund", "money back"], "Refunds take 5 days.")
    _keyword_flow(bot, ["opening hours"], "We open at 9.")
    with on_commit():
        conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    assert not FlowRun.objects.exists()  # keyword flows do not start on the greeting

    with on_commit():
        inbox.post_customer_message(conversation, "Hello there")
    assert not FlowRun.objects.exists()

    with on_commit():
        inbox.post_customer_message(conversation, "I want my MONEY back, please")
    run = FlowRun.objects.get()
    assert (run.flow_id, run.status, run.trigger) == (refunds.pk, "succeeded", "conversation")
    assert bot_texts(conversation) == ["Refunds take 5 days."]


def test_a_flow_without_keywords_starts_with_the_chat(bot, on_commit):
    build_flow(bot, [("hi", "send_message", {"text": "Hi!"})], trigger={"type": "conversation"})
    _keyword_flow(bot, ["refund"], "Refunds take 5 days.")
    with on_commit():
        conversation = inbox.start_conversation(bot, customer={"name": "Dana"})
    assert bot_texts(conversation) == ["Hi!"]
