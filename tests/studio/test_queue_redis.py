"""The hand-off to the task queue on Redis: several tasks go in one push, each django-q2's
own package."""

from __future__ import annotations

import uuid

import pytest
from django_q.conf import Conf
from django_q.signing import SignedPackage

from studio.queue import broker, enqueue, enqueue_each

pytestmark = pytest.mark.redis


@pytest.fixture
def queue(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # the test settings run tasks inline
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"test-{uuid.uuid4().hex[:8]}")  # a queue of its own
    queue = broker()
    yield queue
    queue.delete_queue()


def test_tasks_enqueued_together_are_each_queued_as_django_q2_packages(queue):
    enqueue_each("flows.tasks.execute_run", [3, 4, 5])
    tasks = [SignedPackage.loads(queue.dequeue()[0][1]) for _ in range(3)]
    assert queue.queue_size() == 0
    assert [(t["func"], t["args"], t["kwargs"]) for t in tasks] == [
        ("flows.tasks.execute_run", (n,), {}) for n in (3, 4, 5)
    ]
    assert len({t["id"] for t in tasks}) == 3 and all(t["ack_failure"] for t in tasks)


def test_one_task_is_queued_as_the_package_async_task_would_push(queue):
    enqueue("flows.tasks.dispatch_occurrence", 8, 9)
    task = SignedPackage.loads(queue.dequeue()[0][1])
    assert queue.queue_size() == 0
    assert (task["func"], task["args"], task["kwargs"]) == ("flows.tasks.dispatch_occurrence", (8, 9), {})
    assert task["ack_failure"] and task["name"] and task["id"] and task["started"]
    assert "sync" not in task  # a package marked sync would be run by whoever reads it, at once
