"""The flow page's recent runs, the run's timeline and Replay, in the admin."""

from __future__ import annotations

import pytest
from django.utils import timezone

from flows.models import FlowRun, RunStep
from tests.inbox.test_resolve import event_flow

pytestmark = pytest.mark.django_db


def test_the_flow_page_lists_recent_runs_under_the_builder(client, admin_user, bot):
    flow = event_flow(bot)
    run = FlowRun.objects.create(flow=flow, trigger="event", status="succeeded")
    client.force_login(admin_user)
    body = client.get(f"/admin/flows/flow/{flow.pk}/change/").content.decode()
    assert 'id="flow-builder"' in body
    assert f'href="/admin/flows/flowrun/{run.pk}/change/"' in body


def test_the_run_page_shows_the_steps_as_a_timeline(client, admin_user, bot):
    run = FlowRun.objects.create(flow=event_flow(bot), trigger="event", status="failed", error="boom")
    now = timezone.now()
    RunStep.objects.create(
        run=run,
        seq=1,
        node_key="start",
        node_type="start",
        port="next",
        started_at=now,
        output={"greeting": "<hello>"},
    )
    RunStep.objects.create(
        run=run, seq=2, node_key="crm", node_type="api_call", started_at=now, error="CRM answered 500"
    )
    client.force_login(admin_user)
    body = client.get(f"/admin/flows/flowrun/{run.pk}/change/").content.decode()
    assert 'id="run-timeline"' in body and body.index(">start<") < body.index(">crm<")
    assert "CRM answered 500" in body and "&quot;greeting&quot;: &quot;&lt;hello&gt;&quot;" in body
    assert 'id="replay-run"' in body


def test_replay_requeues_a_failed_run_and_is_refused_for_others(
    client, admin_user, bot, django_capture_on_commit_callbacks
):
    run = FlowRun.objects.create(flow=event_flow(bot), trigger="event", status="failed", error="boom")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/flows/flowrun/{run.pk}/replay/", follow=True)
    assert f"Run {run.pk} queued again." in response.content.decode()
    run.refresh_from_db()
    assert run.status == "succeeded"  # the sync queue ran it again at once
    assert 'id="replay-run"' not in client.get(f"/admin/flows/flowrun/{run.pk}/change/").content.decode()
    again = client.post(f"/admin/flows/flowrun/{run.pk}/replay/", follow=True)
    assert "only a failed run can be replayed" in again.content.decode()
    assert client.get(f"/admin/flows/flowrun/{run.pk}/replay/").status_code == 405
