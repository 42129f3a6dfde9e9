"""Refusals: the right status and a JSON body naming the problem, never a 500."""

from __future__ import annotations

import json

import pytest

from events.models import EventOccurrence
from inbox import services as inbox
from inbox.models import CSATResponse, Ticket

pytestmark = pytest.mark.django_db


def test_it_refuses_resolving_twice_and_nothing_runs_again(agent_api, ticket, csat_ticket):
    for t, status in ((ticket, "closed"), (csat_ticket, "pending_csat")):
        first = agent_api.post(f"/api/tickets/{t.pk}/resolve/", {"note": "done"}, format="json")
        assert first.status_code == 200 and first.json()["status"] == status
        before = Ticket.objects.filter(pk=t.pk).values().get()
        again = agent_api.post(f"/api/tickets/{t.pk}/resolve/", {"note": "again"}, format="json")
        assert again.status_code == 409
        assert "cannot be resolved again" in again.json()["detail"]
        assert Ticket.objects.filter(pk=t.pk).values().get() == before
    assert EventOccurrence.objects.filter(key="ticket-closed").count() == 1


def test_it_refuses_a_second_rating(admin_api, agent, csat_ticket):
    inbox.resolve_ticket(csat_ticket, agent)
    url = f"/api/tickets/{csat_ticket.pk}/csat/"
    assert admin_api.post(url, {"rating": 5}, format="json").status_code == 201
    again = admin_api.post(url, {"rating": 1}, format="json")
    assert again.status_code == 409 and "already been rated" in again.json()["detail"]
    assert CSATResponse.objects.get().rating == 5


def test_it_refuses_rating_a_ticket_not_waiting_for_one(admin_api, ticket):
    assert admin_api.post(f"/api/tickets/{ticket.pk}/csat/", {"rating": 3}, format="json").status_code == 409


@pytest.mark.parametrize("rating", [0, 6, -1, "5", 2.5, None, True, 10**30, [5], {"v": 5}])
def test_it_refuses_a_bad_rating(admin_api, agent, csat_ticket, rating):
    inbox.resolve_ticket(csat_ticket, agent)
    response = admin_api.post(f"/api/tickets/{csat_ticket.pk}/csat/", {"rating": rating}, format="json")
    assert response.status_code == 400 and "rating" in response.json()
    assert Ticket.objects.get(pk=csat_ticket.pk).status == "pending_csat"


def test_it_refuses_assigning_to_someone_who_is_not_an_agent_of_the_bot(agent_api, ticket, other_agent):
    response = agent_api.post(f"/api/tickets/{ticket.pk}/assign/", {"agent": other_agent.pk}, format="json")
    assert response.status_code == 400 and "agent" in response.json()


def test_another_bots_agent_cannot_reach_the_ticket(other_api, ticket):
    for suffix, body in (("", None), ("resolve/", {}), ("reply/", {"text": "x"}), ("csat/", {"rating": 1})):
        url = f"/api/tickets/{ticket.pk}/{suffix}"
        response = other_api.get(url) if body is None else other_api.post(url, body, format="json")
        assert response.status_code == (403 if suffix == "csat/" else 404), suffix
    assert Ticket.objects.get(pk=ticket.pk).status == "queued"


def test_invalid_json_is_a_400(admin_api):
    response = admin_api.post("/api/bots/", "{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]


def test_nan_and_deep_nesting_are_refused(admin_api, bot):
    assert admin_api.post("/api/bots/", '{"name": NaN}', content_type="application/json").status_code == 400
    deep = '{"payload": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    event = bot.events.first()
    response = admin_api.post(f"/api/events/{event.pk}/emit/", deep, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    ['{"payload": {"note": "a\\u0000b"}}', '{"payload": {"a\\u0000": 1}}', '{"payload": {"l": ["\\u0000"]}}'],
)
def test_a_nul_character_is_a_400_on_every_database(admin_api, bot, body):
    event = bot.events.first()
    before = EventOccurrence.objects.count()
    response = admin_api.post(f"/api/events/{event.pk}/emit/", body, content_type="application/json")
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    assert EventOccurrence.objects.count() == before
    # an escaped backslash before "u0000" is plain text, not a NUL
    ok = admin_api.post(
        f"/api/events/{event.pk}/emit/", '{"payload": {"note": "\\\\u0000"}}', content_type="application/json"
    )
    assert ok.status_code == 202


def test_an_oversized_body_is_refused_with_json(admin_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_api.post("/api/bots/", json.dumps({"name": "x" * 2000}), content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


def test_a_form_body_is_refused(admin_api):
    response = admin_api.post("/api/bots/", {"name": "Form"})  # multipart
    assert response.status_code == 415 and "detail" in response.json()


WRONG = [None, True, 1, 1.5, "x", [], {}, [1, {"a": None}], 10**40, -1, "9" * 400]


def _bad(value, keep):
    return not (type(value) is type(keep) and value == keep)


@pytest.mark.parametrize(
    "field,value",
    [("name", v) for v in (None, True, 1, 1.5, [], {}, "", "x" * 121, [1, {"a": None}])]
    + [("csat", v) for v in (None, True, 1, "x", [], 10**40, [{"enabled": True}])],
)
def test_bots_reject_wrong_types(admin_api, field, value):
    body = {"name": "Bot", "csat": {"enabled": True}, field: value}
    response = admin_api.post("/api/bots/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    "csat",
    [
        {"enabled": "yes"},
        {"scale": "5"},
        {"scale": 11},
        {"scale": 10**40},
        {"expires_after_minutes": 0},
        {"question": None},
        {"question": 5},
    ],
)
def test_bots_reject_wrong_csat_values(admin_api, bot, csat):
    response = admin_api.patch(f"/api/bots/{bot.pk}/", {"csat": csat}, format="json")
    assert response.status_code == 400 and "csat" in response.json()


ENDPOINT_BODIES = {
    "/api/agents/": {"username": "u1", "password": "long-enough-pw-1", "bots": [], "groups": []},
    "/api/events/": {"bot": "{bot}", "key": "k", "name": "n"},
    "/api/conversations/": {"bot": "{bot}", "customer": {"name": "n"}, "channel": "web"},
    "/api/tickets/": {"conversation": "{conversation}", "subject": "s", "priority": "low"},
    "/api/flows/": {"bot": "{bot}", "name": "f", "nodes": [{"key": "start", "type": "start"}], "edges": []},
    "/api/tickets/{ticket}/assign/": {"agent": "{agent}"},
    "/api/tickets/{ticket}/reply/": {"text": "t"},
    "/api/tickets/{ticket}/resolve/": {"note": "n"},
    "/api/events/{event}/emit/": {"payload": {}},
    "/api/flows/{flow}/run/": {"context": {}},
}


@pytest.fixture
def ids(bot, agent, ticket):
    from flows import graph

    flow = graph.save_flow(bot=bot, data={"name": "f", "nodes": [{"key": "start", "type": "start"}]})
    return {
        "bot": bot.pk,
        "agent": agent.pk,
        "ticket": ticket.pk,
        "conversation": ticket.conversation_id,
        "event": bot.events.first().pk,
        "flow": flow.pk,
    }


@pytest.mark.parametrize("path", list(ENDPOINT_BODIES))
@pytest.mark.parametrize("value", WRONG)
def test_every_field_rejects_wrong_types_without_a_500(admin_api, ids, path, value):
    from tests.api.test_permissions import fill

    good = fill(ENDPOINT_BODIES[path], ids)
    url = path.format(**ids)
    for field in good:
        body = {**good, field: value}
        response = admin_api.post(url, body, format="json")
        assert response.status_code < 500, (field, value, response.content)
        if _bad(value, good[field]) and response.status_code not in (400, 409):
            # Some values are valid for some fields (e.g. "x" as a name); what matters is no 500.
            assert response.status_code in (200, 201, 202), (field, value, response.content)
    whole = admin_api.post(url, json.dumps(value), content_type="application/json")  # not an object
    assert whole.status_code in (400, 409) or value == {}, whole.content


@pytest.mark.parametrize(
    "url",
    [
        "/api/tickets/99999999999999999999999/",
        "/api/tickets/0/",
        "/api/tickets/?bot=99999999999999999999999",
        "/api/tickets/?bot=abc",
        "/api/tickets/?assignee=-1",
        "/api/tickets/?status=nope",
        "/api/tickets/?page=999",
        "/api/tickets/?page=abc",
        "/api/runs/?flow=1e400",
        "/api/events/?is_active=maybe",
        "/api/flows/12345678901234567890123/",
    ],
)
def test_odd_urls_never_500(admin_api, url):
    response = admin_api.get(url)
    assert response.status_code in (200, 400, 404), response.content
    assert response["Content-Type"] == "application/json"


def test_an_agent_cannot_rate_her_own_ticket(agent_api, agent, csat_ticket):
    """The attack: resolve, then rate 5 as the customer would. Refused, nothing written."""
    url = f"/api/tickets/{csat_ticket.pk}/"
    assert agent_api.post(f"{url}resolve/", {}, format="json").json()["status"] == "pending_csat"
    response = agent_api.post(f"{url}csat/", {"rating": 5}, format="json")
    assert response.status_code == 403
    assert not CSATResponse.objects.exists()
    assert Ticket.objects.get(pk=csat_ticket.pk).status == "pending_csat"


def test_non_ascii_digits_are_a_400_never_a_500(admin_api, client, agent, bot, ticket):
    """`"²".isdigit()` is true and `int("²")` raises: every number read from a string says so."""
    flow = admin_api.post(
        "/api/flows/",
        {
            "bot": bot.pk,
            "name": "F",
            "trigger": {"type": "manual"},
            "nodes": [{"key": "start", "type": "start"}],
            "edges": [],
        },
        format="json",
    ).json()
    assert admin_api.get(f"/api/flows/{flow['id']}/stats/?days=²").status_code == 400
    assert admin_api.get(f"/api/flows/{flow['id']}/versions/1/diff/?against=²").status_code in (400, 404)
    client.force_login(agent)
    response = client.post(
        f"/inbox/tickets/{ticket.pk}/transfer/", {"agent": "²"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and "agent" in response.json()["detail"]
