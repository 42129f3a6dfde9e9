"""The hand-off to the task queue: on the ORM broker the task is a row of the same database,
so it is written in the caller's transaction and shares its fate."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_q.conf import Conf
from django_q.models import OrmQ

from studio.queue import enqueue_each, enqueue_on_commit

pytestmark = pytest.mark.skipif(not Conf.ORM or bool(Conf.REDIS), reason="ORM broker only")


@pytest.fixture
def real_queue(monkeypatch):
    # The test settings run tasks inline (sync); a deployment queues them.
    monkeypatch.setattr(Conf, "SYNC", False)


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_transaction_that_rolls_back_is_never_queued(real_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit("flows.tasks.execute_run", 1)
        raise RuntimeError("the request failed")
    assert not OrmQ.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_transaction_is_queued_when_it_commits(real_queue):
    with transaction.atomic():
        enqueue_on_commit("flows.tasks.execute_run", 2)
        assert OrmQ.objects.count() == 1  # a row of this transaction, not written after it
    assert OrmQ.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_tasks_enqueued_together_are_all_queued(real_queue):
    enqueue_each("flows.tasks.execute_run", [3, 4, 5])
    assert sorted(task.task["args"][0] for task in OrmQ.objects.all()) == [3, 4, 5]
