"""A template nesting thousands of levels is a 400 naming the node, not a RecursionError 500."""

from __future__ import annotations

import pytest

from flows.models import Flow

pytestmark = pytest.mark.django_db

DEEP = {
    "brackets": "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "lists": "{{ " + "[" * 3000 + "]" * 3000 + " }}",
    "blocks": "{% if 1 %}" * 600 + "x" + "{% endif %}" * 600,
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_a_deeply_nested_template_is_refused_with_a_400(admin_api, bot, text):
    body = {
        "bot": bot.pk,
        "name": "Deep",
        "trigger": {"type": "manual"},
        "nodes": [
            {"key": "start", "type": "start", "config": {}},
            {"key": "say", "type": "set_variable", "config": {"name": "x", "value": text}},
        ],
        "edges": [{"source": "start", "port": "next", "target": "say"}],
    }
    response = admin_api.post("/api/flows/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    errors = str(response.json())
    assert "node 'say'" in errors and "the template nests too deeply" in errors
    assert not Flow.objects.exists()
