"""A run whose workers keep dying on it (killed, out of memory, a node outlasting the task
timeout) is taken over after each lease; past FLOW_RUN_MAX_TAKEOVERS in a row it fails with a
clear error instead of being redone forever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import EventOccurrence
from flows import services, tasks
from flows.models import FlowRun
from tests.conftest import activate
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


def worker_dies(run_id: int) -> None:
    """What a killed worker leaves behind: the run `running`, its lease running out."""
    FlowRun.objects.filter(pk=run_id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def queued_call(bot, httpserver):
    httpserver.expect_request("/hook").respond_with_json({"ok": True})
    flow = build_flow(bot, [("call", "api_call", {"url": httpserver.url_for("/hook")})])
    return services.start_run(flow, trigger=FlowRun.Trigger.MANUAL)  # not executed: no commit


def test_a_run_taken_over_too_many_times_fails_with_a_clear_error(bot, httpserver, settings):
    settings.FLOW_RUN_MAX_TAKEOVERS = 3
    activate(bot, "run-failed")
    run = queued_call(bot, httpserver)
    assert services.claim(run.pk)  # the first worker
    for _ in range(3):  # ... dies, and so do the next three that take it over
        worker_dies(run.pk)
        assert services.claim(run.pk)
    worker_dies(run.pk)
    assert tasks.execute_run(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and run.lease_takeovers == 4
    assert run.error.startswith("The run was taken over 4 times from workers that stopped answering")
    assert "at node 'start'" in run.error  # where it was when the workers kept dying
    assert httpserver.log == []  # not called a fifth time
    assert EventOccurrence.objects.filter(key="run-failed").count() == 1


def test_the_sweeper_counts_its_takeovers_too(bot, httpserver, settings):
    run = queued_call(bot, httpserver)
    services.claim(run.pk)
    worker_dies(run.pk)
    FlowRun.objects.filter(pk=run.pk).update(lease_takeovers=settings.FLOW_RUN_MAX_TAKEOVERS)
    services.sweep()  # reclaims it and (inline queue) executes it at once
    run.refresh_from_db()
    assert run.status == "failed" and "taken over" in run.error


def test_a_takeover_that_makes_progress_starts_the_count_again(bot, httpserver, settings):
    run = queued_call(bot, httpserver)
    services.claim(run.pk)
    for _ in range(2):
        worker_dies(run.pk)
        services.claim(run.pk)
    worker_dies(run.pk)
    assert tasks.execute_run(run.pk) == "succeeded"
    run.refresh_from_db()
    assert run.lease_takeovers == 0 and len(httpserver.log) == 1


def test_replay_clears_the_count(bot, httpserver, settings, django_capture_on_commit_callbacks):
    settings.FLOW_RUN_MAX_TAKEOVERS = 0
    run = queued_call(bot, httpserver)
    services.claim(run.pk)
    worker_dies(run.pk)
    assert tasks.execute_run(run.pk) == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        services.replay_run(FlowRun.objects.get(pk=run.pk))
    run.refresh_from_db()
    assert (run.status, run.lease_takeovers) == ("succeeded", 0)
