"""docs/api.md, run as written: every ```sh block with curl against a live server, in order.

The test fails when the page and the API drift apart: a command that fails (curl
--fail-with-body), a response that does not match the page's ```json, a missing step.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.api import walkthrough_doc
from tests.conftest import PASSWORD


def run_doc(live_server, receiver) -> dict[str, str]:
    steps = walkthrough_doc.steps()
    assert len(steps) >= 15, "the walk-through lost its steps"
    env = {
        "API": f"{live_server.url}/api",
        "ADMIN_PASSWORD": PASSWORD,
        "RECEIVER": receiver.url_for("").rstrip("/"),
    }
    for number, step in enumerate(steps, 1):
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", step.script],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": os.environ["PATH"], **env},
        )
        where = f"docs/api.md sh block {number}:\n{step.script}"
        assert result.returncode == 0, f"{where}\nexit {result.returncode}\n{result.stdout}{result.stderr}"
        response = json.loads(result.stdout)
        if step.expected is not None:
            expected = walkthrough_doc.expected_value(step, env)
            assert walkthrough_doc.matches(response, expected), (
                f"{where}\nexpected (subset): {json.dumps(expected)}\ngot: {json.dumps(response)}"
            )
        for name, path in step.saves.items():
            env[name] = str(walkthrough_doc.pick(response, path))
    return env


@pytest.fixture
def receiver(httpserver):
    httpserver.expect_request("/crm/ticket-closed", method="POST").respond_with_json(
        {"ok": True, "id": "crm-1"}
    )
    return httpserver


def test_the_walkthrough_doc_runs(live_server, admin_user, receiver):
    env = run_doc(live_server, receiver)
    assert {"TOKEN", "BOT", "EVENT", "FLOW", "TICKET", "RUN"} <= set(env)
    calls = [json.loads(request.get_data()) for request, _ in receiver.log]
    assert [str(c["ticket"]) for c in calls] == [env["TICKET"]]
    assert str(calls[0]["rating"]) == "5"


def test_the_doc_parser_finds_saves_and_expectations():
    steps = walkthrough_doc.steps('```sh\n# save BOT = .id\ncurl x\n```\ntext\n```json\n{"id": $BOT}\n```\n')
    assert steps[0].saves == {"BOT": ".id"}
    assert walkthrough_doc.expected_value(steps[0], {"BOT": "7"}) == {"id": 7}
    assert walkthrough_doc.matches({"id": 7, "x": [1, 2, 3]}, {"x": [1, 3]})
    assert not walkthrough_doc.matches({"id": 7}, {"id": 8})
