"""A failed run is seen (run list, run page, dashboard), alerts through the run-failed event,
and is replayed without repeating the steps that succeeded."""

from __future__ import annotations

import pytest

from flows.models import FlowRun
from tests.conftest import activate
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


def failing_flow(bot, httpserver):
    httpserver.expect_request("/first").respond_with_json({"ok": True})
    return build_flow(
        bot,
        [
            (
                "first",
                "api_call",
                {"method": "POST", "url": httpserver.url_for("/first"), "save_as": "first"},
            ),
            ("check", "condition", {"expression": "vars.fixed"}),
            ("done", "set_variable", {"name": "done", "value": True}),
        ],
        edges=[("start", "next", "first"), ("first", "success", "check"), ("check", "true", "done")],
        name="Sync CRM",
    )


def alert_flow(bot, httpserver):
    httpserver.expect_request("/alerts").respond_with_json({})
    return build_flow(
        bot,
        [
            (
                "page",
                "api_call",
                {
                    "method": "POST",
                    "url": httpserver.url_for("/alerts"),
                    "body": {
                        "text": "{{ event.flow.name }} failed: {{ event.error }}",
                        "run": "{{ event.run.id }}",
                    },
                },
            )
        ],
        name="Page on-call",
        trigger={"type": "event", "event": "run-failed"},
    )


def test_a_flow_triggered_by_run_failed_alerts_when_a_run_fails(bot, run_flow, httpserver):
    activate(bot, "run-failed")
    alert_flow(bot, httpserver)
    run = run_flow(failing_flow(bot, httpserver))
    assert run.status == "failed"
    alerts = [r.get_json() for r, _ in httpserver.log if r.path == "/alerts"]
    assert len(alerts) == 1 and alerts[0]["run"] == run.pk
    assert alerts[0]["text"].startswith("Sync CRM failed: Node 'check' (condition) failed")
    assert FlowRun.objects.get(trigger="event", flow__name="Page on-call").status == "succeeded"


def test_with_run_failed_inactive_no_alert_flow_runs(bot, run_flow, httpserver):
    alert_flow(bot, httpserver)
    assert run_flow(failing_flow(bot, httpserver)).status == "failed"
    assert not FlowRun.objects.filter(flow__name="Page on-call").exists()
    assert [r.path for r, _ in httpserver.log] == ["/first"]


def test_an_alert_flow_that_fails_does_not_alert_about_itself(bot, run_flow, httpserver):
    activate(bot, "run-failed")
    build_flow(
        bot,
        [("boom", "end", {"status": "failed", "message": "alerting broke"})],
        name="Broken alert",
        trigger={"type": "event", "event": "run-failed"},
    )
    run_flow(failing_flow(bot, httpserver))
    assert FlowRun.objects.filter(flow__name="Broken alert").count() == 1  # no loop


def test_a_failed_run_is_visible_and_replays_without_repeating_the_call(
    bot, run_flow, httpserver, client, admin_user, on_commit
):
    run = run_flow(failing_flow(bot, httpserver))
    client.force_login(admin_user)
    listing = client.get("/admin/flows/flowrun/?status__exact=failed").content.decode()
    assert f"/admin/flows/flowrun/{run.pk}/change/" in listing
    page = client.get(f"/admin/flows/flowrun/{run.pk}/change/").content.decode()
    assert "Node &#x27;check&#x27; (condition) failed" in page and 'id="replay-run"' in page
    home = client.get("/admin/").content.decode()
    assert 'id="dash-failed">1<' in home and "Sync CRM" in home

    FlowRun.objects.filter(pk=run.pk).update(vars={**run.vars, "fixed": True})  # the cause is fixed
    with on_commit():
        client.post(f"/admin/flows/flowrun/{run.pk}/replay/")
    run.refresh_from_db()
    assert run.status == "succeeded" and run.vars["done"] is True
    assert [r.path for r, _ in httpserver.log] == ["/first"]  # the call that succeeded was not made again
