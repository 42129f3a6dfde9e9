"""The one access rule, as a matrix: who sees which bot's rows, for every bot-owned model.

The API, the console, the admin and the dashboard all go through `objects.visible_to(user)`.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from events import services as events
from events.models import Event, EventOccurrence
from flows.models import Flow, FlowRun
from home.dashboard import dashboard
from inbox import services as inbox
from inbox.models import Conversation, Customer, Message, Ticket
from studio.models import Bot
from tests.conftest import PASSWORD, open_ticket
from tests.inbox.test_resolve import event_flow

pytestmark = pytest.mark.django_db

MODELS = [Bot, Ticket, Conversation, Customer, Message, Flow, FlowRun, Event, EventOccurrence]


@pytest.fixture
def world(bot, other_bot, csat_bot, agent, other_agent, admin_user):
    for b in (bot, other_bot):
        ticket = open_ticket(b)
        flow = event_flow(b)
        FlowRun.objects.create(flow=flow, trigger="event", ticket=ticket)
        events.emit(b, "ticket-closed", {"x": 1})
    inactive = inbox.create_agent(username="ivy", password=PASSWORD, bots=[bot])
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    return {
        "admin": (admin_user, {bot.pk, other_bot.pk, csat_bot.pk}),
        "superuser": (
            User.objects.create_superuser("root", "r@example.com", PASSWORD),
            {bot.pk, other_bot.pk, csat_bot.pk},
        ),
        "agent of Acme": (agent, {bot.pk, csat_bot.pk}),  # alice answers for both
        "agent of Globex": (other_agent, {other_bot.pk}),
        "inactive agent of Acme": (inactive, set()),
        "user with no role": (User.objects.create_user("nobody", password=PASSWORD, is_staff=True), set()),
    }


BOT_OF = {
    Bot: "pk",
    Ticket: "bot_id",
    Conversation: "bot_id",
    Customer: "bot_id",
    Message: "conversation__bot_id",
    Flow: "bot_id",
    FlowRun: "flow__bot_id",
    Event: "bot_id",
    EventOccurrence: "bot_id",
}


@pytest.mark.parametrize(
    "who",
    ["admin", "superuser", "agent of Acme", "agent of Globex", "inactive agent of Acme", "user with no role"],
)
def test_each_role_sees_exactly_the_rows_of_its_bots(world, who):
    user, bots = world[who]
    for model in MODELS:
        seen = set(model.objects.visible_to(user).values_list(BOT_OF[model], flat=True))
        expected = set(
            model.objects.filter(**{f"{BOT_OF[model]}__in": bots}).values_list(BOT_OF[model], flat=True)
        )
        assert seen == expected, (who, model.__name__)
        assert (
            model.objects.visible_to(user).count()
            == model.objects.filter(**{f"{BOT_OF[model]}__in": bots}).count()
        )


@pytest.mark.parametrize(
    "who",
    ["admin", "superuser", "agent of Acme", "agent of Globex", "inactive agent of Acme", "user with no role"],
)
def test_the_hand_written_ticket_read_applies_the_same_rule(world, who):
    """inbox.queries.ticket_with_parties (the resolve's read) writes the rule as SQL
    (studio.access.visible_sql): it finds exactly the tickets visible_to finds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inbox.queries import ticket_with_parties

    user, _ = world[who]
    tickets = list(Ticket.objects.select_related("bot", "conversation__customer"))
    assert len({t.bot_id for t in tickets}) == 2
    for ticket in tickets:
        found = ticket_with_parties(user, ticket.pk)
        assert (found is not None) == Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()
        if found is None:
            continue
        for field in Ticket._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(ticket, field.attname), field.name
        with CaptureQueriesContext(connection) as ctx:
            assert found.bot == ticket.bot and found.bot.name == ticket.bot.name
            assert found.conversation.customer.name == ticket.conversation.customer.name
        assert ctx.captured_queries == []
    for missing in (0, -1, max(t.pk for t in tickets) + 1, 2**63, 10**30):
        assert ticket_with_parties(user, missing) is None


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    for model in MODELS:
        assert not model.objects.visible_to(AnonymousUser()).exists()


def test_an_inactive_agent_is_refused_by_the_api_and_sees_nothing_on_the_dashboard(client, world):
    user, _ = world["inactive agent of Acme"]
    client.force_login(user)  # a session opened before the account was disabled
    assert client.get("/api/tickets/").status_code in (401, 403)
    figures = dashboard(user)
    assert figures.open_tickets == 0
