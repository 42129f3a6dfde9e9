"""Headers every response carries, and what a client may claim about its connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path",
    ["/chat/{bot}/", "/accounts/login/", "/admin/login/", "/inbox/", "/api/bots/", "/healthz", "/nope/"],
)
def test_every_response_carries_a_policy_without_inline_script(client, bot, path):
    response = client.get(path.format(bot=bot.pk))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "unsafe-eval" not in policy


def test_pages_carry_no_inline_script(client, admin_user, bot):
    """The templates hold no <script> body and no on*= handler: everything is in static files."""
    import re

    client.force_login(admin_user)
    for path in ("/admin/", "/inbox/", f"/chat/{bot.pk}/", "/admin/flows/flow/add/"):
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>\s*\S", html), path
        assert not re.search(r"\son[a-z]+=[\"']", html), path


def test_a_forged_forwarded_proto_is_not_believed_without_a_trusted_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"].startswith("https://")


def _proxy_header(**env: str) -> str:
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'studio.settings'; django.setup();"
        "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    )
    clean = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXY"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DEBUG": "0", "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_the_proxy_ssl_header_is_trusted_only_when_configured():
    assert _proxy_header() == "None"
    assert _proxy_header(TRUSTED_PROXY="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"
