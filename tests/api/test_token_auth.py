"""Token authentication (api/authentication.py, one hand-written statement) refuses what DRF's
does, with DRF's messages, and looks the token up on every request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from api.authentication import TokenAuthentication
from studio.access import ADMINS_GROUP, is_studio_admin
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_valid_token_authenticates_its_user_with_every_field(admin_user):
    admin_user.last_login = timezone.now()
    admin_user.save()
    token = Token.objects.create(user=admin_user)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token.key}")
    user, auth = TokenAuthentication().authenticate(request)
    assert (user.pk, user.username, user.is_staff, auth.key, auth.user_id) == (
        admin_user.pk,
        "admin",
        True,
        token.key,
        admin_user.pk,
    )
    assert user.last_login == admin_user.last_login and timezone.is_aware(user.last_login)
    assert auth.created == token.created and auth.user is user
    assert user.groups.filter(name="Studio admins").exists()  # a usable model instance
    assert with_token(token.key).get("/api/bots/").status_code == 200


@pytest.mark.parametrize("key", ["not-a-token", "", "a\x00b", "x" * 300])
def test_an_unknown_token_is_refused(admin_user, key):
    response = with_token(key).get("/api/bots/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_deleted_token_is_refused_at_once(admin_user):
    client = client_for(admin_user)
    assert client.get("/api/bots/").status_code == 200
    Token.objects.filter(user=admin_user).delete()
    response = client.get("/api/bots/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."


def test_an_inactive_user_is_refused_at_once(admin_user):
    client = client_for(admin_user)
    assert client.get("/api/bots/").status_code == 200
    admin_user.is_active = False
    admin_user.save()
    response = client.get("/api/bots/")
    assert response.status_code == 401 and response.json()["detail"] == "User inactive or deleted."


def test_the_admins_group_is_read_with_the_token_on_every_request(admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(admin_user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/bots/?page_size=1").status_code == 200
    assert not [
        q for q in queries.captured_queries if "auth_group" in q["sql"] and "authtoken" not in q["sql"]
    ]
    admin_user.groups.clear()  # no longer an admin: refused on the next request
    assert client.get("/api/bots/").status_code == 403
    admin_user.groups.add(Group.objects.get(name=ADMINS_GROUP))
    assert client.get("/api/bots/").status_code == 200


def test_a_user_loaded_otherwise_is_checked_with_a_query(admin_user):
    assert is_studio_admin(admin_user)
    admin_user.groups.clear()
    assert not is_studio_admin(admin_user)


def test_the_agent_profile_is_read_with_the_token_on_every_request(bot, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inbox.models import AgentProfile

    client = client_for(agent)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/tickets/?page_size=1").status_code == 200
    alone = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT 1 AS "a" FROM "inbox_agentprofile"')
    ]
    assert alone == []
    profile = AgentProfile.objects.get(user=agent)
    bots = list(profile.bots.all())
    profile.delete()  # no longer an agent: refused on the next request
    assert client.get("/api/tickets/").status_code == 403
    AgentProfile.objects.create(user=agent).bots.set(bots)
    assert client.get("/api/tickets/").status_code == 200
