"""PostgreSQL drops every connection of the cluster between two tasks (a failover, a restart,
an idle timeout): the next task reconnects and succeeds (CONN_HEALTH_CHECKS)."""

from __future__ import annotations

import pytest
from django.db import connection

from flows import services
from flows.models import FlowRun
from tests.flows.conftest import build_flow
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]


def terminate_other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return sum(1 for (terminated,) in cursor.fetchall() if terminated)


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_the_next_task_reconnects_after_the_database_dropped_the_connections(start_cluster, bot, broker):
    cluster = start_cluster(broker)
    flow = build_flow(bot, [("note", "set_variable", {"name": "n", "value": "{{ event.n }}"})])

    def run_and_wait(n: int) -> FlowRun:
        run = services.start_manual_run(flow, {"event": {"n": n}})
        wait_for(
            lambda: FlowRun.objects.get(pk=run.pk).status in ("succeeded", "failed"),
            what=lambda: f"run {run.pk}; log:\n{cluster.output()[-3000:]}",
        )
        return FlowRun.objects.get(pk=run.pk)

    assert run_and_wait(1).status == "succeeded"
    assert terminate_other_connections() >= 1  # the workers' (and the ORM broker's) connections

    after = run_and_wait(2)
    assert (after.status, after.vars) == ("succeeded", {"n": 2})
    assert cluster.proc.poll() is None  # the cluster lived through it
    assert (
        "Failed" not in cluster.output() and "Traceback" not in cluster.output()
    )  # no task failed on the way
