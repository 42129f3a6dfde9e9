"""Logins are throttled per IP address and per (username, IP address) pair (django-axes): the admin's login,
/accounts/login/ and the API's token endpoint alike."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("throttled")]

LIMIT = 3


@pytest.fixture
def throttled():
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=LIMIT):
        yield


def login(path, username, password, ip):
    return Client(REMOTE_ADDR=ip).post(path, {"username": username, "password": password, "next": "/inbox/"})


def logged_in(response) -> bool:
    return response.status_code == 302 and "login" not in response["Location"]


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_an_ip_is_locked_out_after_the_failure_limit(path, agent, other_agent):
    codes = [login(path, "alice", "wrong", "203.0.113.7").status_code for _ in range(LIMIT)]
    assert codes == [200] * (LIMIT - 1) + [429]  # the form again, then locked at the limit
    locked = login(path, "bob", PASSWORD, "203.0.113.7")  # even a right password, another user
    assert locked.status_code == 429 and not User.objects.get(username="bob").last_login
    assert logged_in(login(path, "bob", PASSWORD, "198.51.100.2"))  # another IP is not affected


def test_nobody_can_lock_an_account_out_from_other_addresses(agent, other_agent):
    """The attack: wrong passwords for `alice` from one address. That address is locked, and
    so is that (username, address) pair; alice herself logs in from her own address."""
    for _ in range(LIMIT + 2):
        login("/accounts/login/", "alice", "wrong", "203.0.113.7")
    assert login("/accounts/login/", "alice", PASSWORD, "203.0.113.7").status_code == 429
    assert logged_in(login("/accounts/login/", "alice", PASSWORD, "198.51.100.9"))
    assert logged_in(login("/admin/login/", "alice", PASSWORD, "198.51.100.10"))


def test_failures_spread_over_addresses_do_not_lock_the_username(agent):
    for n in range(LIMIT * 2):
        login("/accounts/login/", "alice", "wrong", f"203.0.113.{n + 1}")
    assert logged_in(login("/accounts/login/", "alice", PASSWORD, "198.51.100.9"))


def token(username, password, ip):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_the_token_endpoint_answers_a_lockout_with_429(agent, other_agent):
    codes = [token("alice", "wrong", "203.0.113.7").status_code for _ in range(LIMIT)]
    assert codes[: LIMIT - 1] == [400] * (LIMIT - 1)
    assert codes[-1] == 429
    locked = token("bob", PASSWORD, "203.0.113.7")  # the address is locked, whoever logs in
    assert locked.status_code == 429 and "token" not in locked.json()
    assert "detail" in locked.json()
    assert token("alice", PASSWORD, "198.51.100.2").status_code == 200  # alice, from elsewhere


def test_a_success_before_the_limit_resets_the_count(agent):
    for _ in range(LIMIT - 1):
        login("/accounts/login/", "alice", "wrong", "203.0.113.7")
    assert logged_in(login("/accounts/login/", "alice", PASSWORD, "203.0.113.7"))
    for _ in range(LIMIT - 1):
        login("/accounts/login/", "alice", "wrong", "203.0.113.7")
    assert logged_in(login("/accounts/login/", "alice", PASSWORD, "203.0.113.7"))
