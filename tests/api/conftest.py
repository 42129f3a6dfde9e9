"""API clients for the cast: each authenticates with its own token, as a real client would."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def admin_api(admin_user):
    return client_for(admin_user)


@pytest.fixture
def agent_api(agent):
    return client_for(agent)


@pytest.fixture
def other_api(other_agent):
    return client_for(other_agent)


@pytest.fixture
def anon_api():
    return APIClient()
