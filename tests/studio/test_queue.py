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


@pytest.mark.django_db(transaction=True)
def test_the_orm_broker_hands_each_ready_task_out_once_until_its_retry_time():
    from datetime import timedelta

    from django.utils import timezone

    from studio.queue import OrmBroker

    broker = OrmBroker(list_key="cluster-a")
    ids = [broker.enqueue(f"package {i}") for i in range(3)]
    OrmQ.objects.create(key="cluster-b", payload="another cluster's", lock=timezone.now())

    taken = broker.dequeue()
    assert sorted(taken) == [(pk, f"package {i}") for i, pk in enumerate(ids)]
    assert broker.dequeue() is None  # locked: nobody else gets them before `retry`
    # Not acknowledged within `retry` seconds: handed out again.
    OrmQ.objects.filter(pk=ids[0]).update(lock=timezone.now() - timedelta(seconds=1))
    assert broker.dequeue() == [(ids[0], "package 0")]
    broker.acknowledge(ids[0])
    assert not OrmQ.objects.filter(pk=ids[0]).exists()


@pytest.mark.django_db(transaction=True)
def test_the_orm_broker_takes_its_tasks_on_a_new_connection_when_the_old_one_dropped():
    from django.db import OperationalError, connection

    from studio.queue import OrmBroker

    broker = OrmBroker(list_key="cluster-a")
    task_id = broker.enqueue("package")
    dropped = []

    def drop_once(execute, sql, params, many, context):
        if "UPDATE" in sql and not dropped:  # the session ended between check and statement
            dropped.append(sql)
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(drop_once):
        assert broker.dequeue() == [(task_id, "package")]
    assert dropped
