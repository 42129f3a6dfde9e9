"""Token authentication (api/authentication.py, one hand-written statement) refuses what DRF's
does, with DRF's messages, and looks the token up on every request."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from api.authentication import TokenAuthentication
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
