"""The OpenAPI schema describes every endpoint and is valid; the docs page is self-hosted."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

CONTRACT = {  # API.md: path -> methods
    "/api/auth/token/": {"post"},
    "/api/bots/": {"get", "post"},
    "/api/bots/{id}/": {"get", "patch", "delete"},
    "/api/agents/": {"get", "post"},
    "/api/agents/{id}/": {"get", "patch"},
    "/api/events/": {"get", "post"},
    "/api/events/{id}/": {"get"},
    "/api/events/{id}/activate/": {"post"},
    "/api/events/{id}/deactivate/": {"post"},
    "/api/events/{id}/emit/": {"post"},
    "/api/event-occurrences/": {"get"},
    "/api/flows/": {"get", "post"},
    "/api/flows/{id}/": {"get", "put", "patch", "delete"},
    "/api/flows/{id}/run/": {"post"},
    "/api/node-types/": {"get"},
    "/api/conversations/": {"post"},
    "/api/conversations/{id}/messages/": {"get", "post"},
    "/api/tickets/": {"get", "post"},
    "/api/tickets/{id}/assign/": {"post"},
    "/api/tickets/{id}/reply/": {"post"},
    "/api/tickets/{id}/resolve/": {"post"},
    "/api/tickets/{id}/csat/": {"post"},
    "/api/runs/": {"get"},
    "/api/runs/{id}/": {"get"},
    "/api/runs/{id}/replay/": {"post"},
    "/api/runs/{id}/cancel/": {"post"},
}


@pytest.fixture
def schema(client, admin_user):
    client.force_login(admin_user)  # DEBUG is off in tests: the schema needs a login
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_describes_every_endpoint_of_the_contract(schema):
    for path, methods in CONTRACT.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_every_operation_documents_its_request_and_responses(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, (path, method)
            if method in ("post", "put", "patch") and not path.endswith(
                ("/activate/", "/deactivate/", "/replay/", "/cancel/", "/restore/")
            ):
                assert "requestBody" in operation, (path, method)


def test_custom_actions_have_their_own_shapes(schema):
    emit = schema["paths"]["/api/events/{id}/emit/"]["post"]
    assert "202" in emit["responses"]
    ref = emit["responses"]["202"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]) == {"occurrence", "runs"}
    resolve = schema["paths"]["/api/tickets/{id}/resolve/"]["post"]
    assert {"200", "409"} <= set(resolve["responses"])
    csat = schema["paths"]["/api/tickets/{id}/csat/"]["post"]
    assert {"201", "409"} <= set(csat["responses"])
    assert "202" in schema["paths"]["/api/flows/{id}/run/"]["post"]["responses"]


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert yaml.safe_load(out.read_text())["openapi"].startswith("3.")


def test_the_docs_page_uses_local_assets_only(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert urls, html
    assert all(url.startswith("/") for url in urls), urls
    # a word, not a substring: the page's random CSRF token can contain "cdn"
    assert not re.search(r"\bcdn", html.lower())
    assert "http://" not in html and "https://" not in html.replace("https://swagger.io", "")
    for url in urls:
        if url.startswith("/static/"):
            from django.contrib.staticfiles import finders

            assert finders.find(url.removeprefix("/static/")), url


def test_the_schema_and_docs_need_a_login_when_debug_is_off(client, admin_user, settings):
    settings.DEBUG = False
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/?next=/api/docs/")
    token = Token.objects.create(user=admin_user)
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    client.force_login(admin_user)
    assert client.get("/api/docs/").status_code == 200
    settings.DEBUG = True  # while developing they stay open
    client.logout()
    assert client.get("/api/schema/").status_code == 200 and client.get("/api/docs/").status_code == 200


def test_the_docs_page_runs_no_inline_script(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), html
