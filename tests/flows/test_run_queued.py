"""On the Redis broker an event's runs are started by a wake-up: a worker takes queued runs,
oldest first, one claim at a time, and one wake-up waiting in the queue stands for every
commit until a worker takes it."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import connections, transaction
from django_q.conf import Conf
from django_q.signing import SignedPackage

from events import services as events
from events.models import Event
from flows import services, tasks
from flows.models import FlowRun
from studio import queue
from tests.flows.conftest import build_flow

NOTE = [("note", "set_variable", {"name": "seen", "value": "{{ event.n }}"})]


def _queued_runs(bot, n: int) -> list[FlowRun]:
    flow = build_flow(bot, NOTE)
    return [
        FlowRun.objects.create(
            flow=flow, version_id=flow.published_version_id, trigger="manual", context={"event": {"n": i}}
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_claim_next_takes_queued_runs_oldest_first_each_once(bot):
    first, second = _queued_runs(bot, 2)
    FlowRun.objects.filter(pk=first.pk).update(created_at=second.created_at)  # order is by id

    taken = [services.claim_next(), services.claim_next(), services.claim_next()]

    assert [run.pk if run else None for run in taken] == [first.pk, second.pk, None]
    assert taken[0].status == "running" and taken[0].attempts == 1 and taken[0].lease_expires_at
    assert taken[0].flow.bot.name == bot.name  # loaded with what the engine reads
    assert set(FlowRun.objects.values_list("status", flat=True)) == {"running"}


@pytest.mark.django_db
def test_claim_next_leaves_runs_that_are_not_queued(bot):
    waiting, cancelled = _queued_runs(bot, 2)
    FlowRun.objects.filter(pk=waiting.pk).update(status="waiting")
    FlowRun.objects.filter(pk=cancelled.pk).update(status="cancelled")

    assert services.claim_next() is None
    assert dict(FlowRun.objects.values_list("pk", "status")) == {
        waiting.pk: "waiting",
        cancelled.pk: "cancelled",
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_each_take_a_different_run(bot):
    runs = _queued_runs(bot, 8)
    taken: list[int] = []
    start = threading.Barrier(4)

    def claimer() -> None:
        start.wait()
        try:
            while (run := services.claim_next()) is not None:
                taken.append(run.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(taken) == [run.pk for run in runs]


@pytest.mark.django_db
def test_run_queued_runs_every_queued_run(bot):
    runs = _queued_runs(bot, 3)

    assert tasks.run_queued() == 3

    for run in runs:
        run.refresh_from_db()
        assert (run.status, run.vars) == ("succeeded", {"seen": run.context["event"]["n"]})


# --- On the ORM and Redis brokers -----------------------------------------------------------


@pytest.fixture(params=["orm", pytest.param("redis", marks=pytest.mark.redis)])
def broker(request, monkeypatch):
    """A broker outside sync mode, on a queue of its own."""
    monkeypatch.setattr(Conf, "SYNC", False)  # the test settings run tasks inline
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"test-{uuid.uuid4().hex[:8]}")
    if request.param == "orm":
        monkeypatch.setattr(Conf, "ORM", "default")
        monkeypatch.setattr(Conf, "REDIS", None)
    else:
        monkeypatch.setattr(Conf, "ORM", None)
    target = queue.broker()
    yield target
    target.delete_queue()
    if request.param == "redis":
        target.connection.delete(queue._wake_mark(target, services.RUN_QUEUED_TASK))


def _tasks(broker) -> list[dict]:
    """Takes the queue's tasks off it, as a cluster would."""
    found = []
    while broker.queue_size():
        for task_id, package in broker.dequeue():
            found.append(SignedPackage.loads(package))
            broker.acknowledge(task_id)
    return found


@pytest.fixture
def paid(bot):
    event = Event.objects.create(bot=bot, key="order-paid", name="Order paid", is_active=True)
    build_flow(bot, NOTE, trigger={"type": "event", "event": "order-paid"})
    return event


def _emit(n: int):
    """An emit in autocommit, as the API's: its wake-up goes out when it commits."""
    return events.emit_event_id(Event.objects.get(key="order-paid").pk, {"n": n})


@pytest.mark.django_db(transaction=True)
def test_emits_before_a_worker_wakes_share_one_wake_up_which_runs_them_all(broker, paid):
    occurrences = [_emit(n) for n in range(5)]

    waiting = _tasks(broker)
    assert [(t["func"], t["args"]) for t in waiting] == [(services.RUN_QUEUED_TASK, ())]
    assert FlowRun.objects.filter(status="queued").count() == 5

    assert tasks.run_queued() == 5  # what the worker taking that task runs

    runs = FlowRun.objects.filter(occurrence__in=[o.pk for o in occurrences])
    assert sorted(run.vars["seen"] for run in runs if run.status == "succeeded") == [0, 1, 2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_emit_wakes_nobody_and_marks_nothing(broker, paid):
    with pytest.raises(RuntimeError), transaction.atomic():
        _emit(1)
        raise RuntimeError("the caller failed")
    assert _tasks(broker) == [] and not FlowRun.objects.exists()

    _emit(2)
    (task,) = _tasks(broker)
    assert (task["func"], task["args"], task["kwargs"]) == (services.RUN_QUEUED_TASK, (), {})
    assert task["ack_failure"] and task["id"] and "sync" not in task


@pytest.mark.django_db(transaction=True)
def test_an_emit_after_a_worker_woke_sends_a_new_wake_up(broker, paid, monkeypatch):
    _emit(1)
    _tasks(broker)
    # The worker clears the mark before its first look: a run committed after that look
    # must not wait for the next emit or the sweeper.
    looked = []
    claim_next = services.claim_next

    def emit_after_the_last_look():
        claimed = claim_next()
        if claimed is None and not looked:
            looked.append(True)
            _emit(2)
        return claimed

    monkeypatch.setattr(services, "claim_next", emit_after_the_last_look)
    assert tasks.run_queued() == 1

    assert [t["func"] for t in _tasks(broker)] == [services.RUN_QUEUED_TASK]
    assert FlowRun.objects.filter(status="queued").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_occurrence_with_several_runs_wakes_a_worker_per_run_up_to_the_cluster_size(
    broker, paid, bot, monkeypatch
):
    for name in ("second", "third"):
        build_flow(bot, NOTE, name=name, trigger={"type": "event", "event": "order-paid"})
    monkeypatch.setattr(Conf, "WORKERS", 2)

    _emit(1)

    assert [t["func"] for t in _tasks(broker)] == [services.RUN_QUEUED_TASK] * 2


@pytest.mark.django_db(transaction=True)
def test_a_lost_wake_up_holds_later_ones_back_only_until_its_mark_expires(broker, paid, monkeypatch):
    monkeypatch.setattr(queue, "WAKE_MARK_SECONDS", 1)
    _emit(1)
    _tasks(broker)  # taken by a cluster that died before running it

    _emit(2)
    assert _tasks(broker) == []
    time.sleep(1.2)
    _emit(3)

    assert [t["func"] for t in _tasks(broker)] == [services.RUN_QUEUED_TASK]
    assert tasks.run_queued() == 3


@pytest.mark.django_db(transaction=True)
def test_a_wake_up_out_of_time_hands_the_rest_to_a_new_one(broker, paid, monkeypatch):
    for n in range(3):
        _emit(n)
    _tasks(broker)
    monkeypatch.setattr(tasks, "RUN_QUEUED_SECONDS", 0)

    assert tasks.run_queued() == 1

    assert [t["func"] for t in _tasks(broker)] == [services.RUN_QUEUED_TASK]
    assert FlowRun.objects.filter(status="queued").count() == 2
