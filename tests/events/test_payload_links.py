"""An emitted payload may link its runs only to the emitting bot's own rows that exist."""

from __future__ import annotations

import pytest

from events.models import Event
from flows.models import FlowRun
from inbox import services as inbox
from tests.api.conftest import client_for
from tests.conftest import open_ticket
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def custom_event(bot):
    event = Event.objects.create(bot=bot, key="order-paid", name="Order paid", is_active=True)
    build_flow(
        bot,
        [("note", "set_variable", {"name": "seen", "value": "{{ event.ticket }}"})],
        trigger={"type": "event", "event": "order-paid"},
    )
    return event


def emit(admin_user, event, payload):
    return client_for(admin_user).post(f"/api/events/{event.pk}/emit/", {"payload": payload}, format="json")


@pytest.mark.parametrize(
    "ticket",
    [{"id": -1}, {"id": 0}, {"id": 10**30}, {"id": "7"}, {"id": True}, {"id": 987654}, [1], "7"],
)
def test_a_payload_naming_no_row_of_the_bot_links_nothing_and_is_accepted(admin_user, custom_event, ticket):
    response = emit(admin_user, custom_event, {"ticket": ticket, "conversation": ticket})
    assert response.status_code == 202, response.content
    run = FlowRun.objects.get(pk=response.json()["runs"][0])
    assert (run.ticket_id, run.conversation_id) == (None, None)
    assert run.context["event"]["ticket"] == ticket  # the data stays in `event`


def test_another_bots_ticket_and_conversation_are_not_linked(
    admin_user, custom_event, other_bot, other_agent
):
    foreign = open_ticket(other_bot)
    response = emit(
        admin_user,
        custom_event,
        {"ticket": {"id": foreign.pk}, "conversation": {"id": foreign.conversation_id}},
    )
    assert response.status_code == 202
    run = FlowRun.objects.get(pk=response.json()["runs"][0])
    assert (run.ticket_id, run.conversation_id) == (None, None)


def test_the_bots_own_rows_are_linked(admin_user, bot, custom_event, agent):
    own = open_ticket(bot)
    response = emit(
        admin_user, custom_event, {"ticket": {"id": own.pk}, "conversation": {"id": own.conversation_id}}
    )
    run = FlowRun.objects.get(pk=response.json()["runs"][0])
    assert (run.ticket_id, run.conversation_id) == (own.pk, own.conversation_id)
    conversation = inbox.start_conversation(bot)
    response = emit(admin_user, custom_event, {"conversation": {"id": conversation.pk}})
    assert FlowRun.objects.get(pk=response.json()["runs"][0]).conversation_id == conversation.pk
