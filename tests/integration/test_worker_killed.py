"""A worker killed with SIGKILL in the middle of a run: the run completes once, after the
cluster restarts, from its last recorded step.

ORM broker: the killed task stays locked in the queue table and django-q2 hands it out again
after `retry`; the new worker claims the run because its lease has run out. Redis broker: the
task died with the worker (BLPOP took it off the list), so only the sweeper can bring the run
back; the test sends the sweep task through the cluster, as its schedule would.
"""

from __future__ import annotations

import pytest

from flows import services
from flows.models import FlowRun
from studio.queue import enqueue
from tests.flows.conftest import build_flow, steps_of
from tests.integration.conftest import wait_for
from tests.integration.receiver import Receiver

pytestmark = pytest.mark.cluster

FAST_RECOVERY = {
    "Q_RETRY": "4",  # a task not acknowledged in 4 s is handed out again (ORM broker)
    "Q_TIMEOUT": "3",
    "FLOW_RUN_LEASE_SECONDS": "2",  # a run whose worker went quiet for 2 s may be taken over
}


@pytest.fixture
def receiver():
    with Receiver() as server:
        server.hold_first.add("/b")  # B's first call hangs: the worker is killed while it waits
        yield server


def two_calls(bot, receiver):
    return build_flow(
        bot,
        [
            ("a", "api_call", {"method": "POST", "url": receiver.url("/a"), "body": {"step": "a"}}),
            (
                "b",
                "api_call",
                {
                    "method": "POST",
                    "url": receiver.url("/b"),
                    "body": {"step": "b"},
                    "timeout_seconds": 20,
                    "retries": 0,
                },
            ),
            ("end", "end", {}),
        ],
        edges=[("start", "next", "a"), ("a", "success", "b"), ("b", "success", "end")],
    )


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_run_whose_worker_is_killed_mid_call_completes_once(start_cluster, bot, receiver, broker):
    cluster = start_cluster(broker, **FAST_RECOVERY)
    flow = two_calls(bot, receiver)
    run = services.start_manual_run(flow)

    wait_for(lambda: receiver.calls_to("/b"), what=lambda: f"B's call; log:\n{cluster.output()[-3000:]}")
    cluster.kill()  # SIGKILL to every process of the cluster while B is in flight
    receiver.release()
    row = FlowRun.objects.get(pk=run.pk)
    assert (row.status, row.current_node, row.step_count) == ("running", "b", 2)  # A recorded, B not

    wait_for(
        lambda: FlowRun.objects.filter(pk=run.pk, lease_expires_at__lt=_now()).exists(),
        what="the dead worker's lease to run out",
    )
    cluster.start()
    if broker == "redis":
        enqueue("flows.tasks.sweep_runs")  # the Redis broker lost the task: the sweeper finds the run

    wait_for(
        lambda: FlowRun.objects.get(pk=run.pk).status == "succeeded",
        what=lambda: f"run {run.pk} to succeed; log:\n{cluster.output()[-3000:]}",
    )
    run.refresh_from_db()
    assert len(receiver.calls_to("/a")) == 1  # the recorded step was not redone
    b_calls = receiver.calls_to("/b")
    assert len(b_calls) == 2  # the call in flight when the worker died, and its redo
    assert b_calls[0].idempotency_key == b_calls[1].idempotency_key == f"run-{run.pk}-b-3"
    assert steps_of(run) == [("start", "next"), ("a", "success"), ("b", "success"), ("end", "")]
    assert run.attempts == 2 and run.error == ""


def _now():
    from django.utils import timezone

    return timezone.now()
