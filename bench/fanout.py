"""Fan-out: N ticket closures x M active ticket-closed flows, drained by a real qcluster.

Each flow is a condition, a database insert and an api_call to a local HTTP receiver. In the
same run, the ceiling: the same cluster draining N*M no-op tasks on the same broker and
database. Prints closures/s, runs/s, runs/s / ceiling tasks/s, and close -> run latencies.

    .venv/bin/python -m bench.fanout --backend sqlite --closures 500 --flows 3 --workers 1,2,4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

from bench.common import (
    BACKENDS,
    ROOT,
    Cluster,
    CpuMeter,
    configure,
    database_backend_pids,
    machine,
    percentiles,
    session_pids,
    wait_until,
)


def flow_definition(i: int, receiver: str) -> dict:
    return {
        "name": f"bench flow {i}",
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": [
            {"key": "start", "type": "start", "config": {}},
            {
                "key": "billing",
                "type": "condition",
                "config": {"expression": "event.ticket.category == 'billing'"},
            },
            {
                "key": "store",
                "type": "database",
                "config": {
                    "table": f"closed_{i}",
                    "operation": "insert",
                    "values": {"ticket": "{{ event.ticket.id }}", "subject": "{{ event.ticket.subject }}"},
                },
            },
            {
                "key": "call",
                "type": "api_call",
                "config": {
                    "method": "POST",
                    "url": receiver,
                    "body": {"ticket": "{{ event.ticket.id }}", "flow": i},
                    "timeout_seconds": 5,
                    "retries": 2,
                    "save_as": "crm",
                },
            },
            {"key": "end", "type": "end", "config": {}},
        ],
        "edges": [
            {"source": "start", "port": "next", "target": "billing"},
            {"source": "billing", "port": "true", "target": "store"},
            {"source": "billing", "port": "false", "target": "store"},
            {"source": "store", "port": "success", "target": "call"},
            {"source": "call", "port": "success", "target": "end"},
        ],
    }


def receiver_stats(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def setup_bot(flows: int, receiver: str, name: str = "bench"):
    from events.models import Event
    from flows import graph
    from inbox import services as inbox
    from studio import services as studio

    bot = studio.create_bot(name)
    agent = inbox.create_agent(username=f"bench-agent-{time.time_ns()}", password="x-bench-pw-1", bots=[bot])
    for i in range(flows):
        graph.save_flow(bot=bot, data=flow_definition(i, receiver))
    Event.objects.filter(bot=bot, key="ticket-closed").update(is_active=True)
    return bot, agent


def open_tickets(bot, n: int) -> list:
    from inbox import services as inbox

    conversation = inbox.start_conversation(bot, customer={"name": "bench"})
    return [inbox.raise_ticket(conversation, subject=f"t{i}", category="billing") for i in range(n)]


def purge_queue(env: dict) -> None:
    """Start from an empty queue. A cluster stopped mid-delivery leaves tasks locked for
    `retry` seconds on the ORM broker: a measurement waiting for an empty queue would wait
    for them (the ceiling once measured 8.7 tasks/s that way). Those tasks are wake-ups for
    runs that are finished already."""
    from django_q.models import OrmQ

    OrmQ.objects.all().delete()
    if env.get("REDIS_URL"):
        import redis

        redis.from_url(env["REDIS_URL"]).delete(f"django_q:{env['Q_CLUSTER_NAME']}:q")


def meter(cluster: Cluster) -> CpuMeter:
    return CpuMeter(
        cluster=lambda: session_pids(cluster.proc.pid),
        postgres=database_backend_pids,
        driver=lambda: [os.getpid()],
    )


def measure_ceiling(env: dict, workers: int, tasks: int) -> tuple[float, dict[str, float]]:
    """No-op tasks/s through the same enqueue path, broker, database and cluster."""
    from django_q.models import OrmQ

    from studio.queue import enqueue

    counter, redis_url = "", env.get("REDIS_URL", "")
    if redis_url:
        import redis

        counter = f"bench-noop-{time.time_ns()}"
        client = redis.from_url(redis_url)
        done = lambda: int(client.get(counter) or 0) >= tasks  # noqa: E731
    else:
        done = lambda: not OrmQ.objects.filter(key=env["Q_CLUSTER_NAME"]).exists()  # noqa: E731
    purge_queue(env)
    cluster = Cluster(env, workers)
    cpu = meter(cluster)
    try:
        cpu.start()
        start = time.monotonic()
        for i in range(tasks):
            if counter:
                from django_q.tasks import async_task

                from studio.queue import broker

                async_task("bench.tasks.noop", i, counter, redis_url, broker=broker())
            else:
                enqueue("bench.tasks.noop", i)
        end = wait_until(done, timeout=600)
        used = cpu.stop()
    finally:
        cluster.stop()
    return tasks / (end - start), used


def measure_fanout(env: dict, workers: int, bot, agent, closures: int, flows: int, rate: float) -> dict:
    from flows.models import FlowRun
    from inbox import services as inbox

    tickets = open_tickets(bot, closures)
    purge_queue(env)
    cluster = Cluster(env, workers)
    cpu = meter(cluster)
    try:
        cpu.start()
        closed_at: dict[int, float] = {}
        start = time.monotonic()
        for i, ticket in enumerate(tickets):
            if rate:
                time.sleep(max(0.0, start + i / rate - time.monotonic()))
            inbox.resolve_ticket(ticket, agent)
            closed_at[ticket.pk] = time.time()
        close_end = time.monotonic()
        expected = closures * flows
        runs = FlowRun.objects.filter(ticket_id__in=closed_at)
        end = wait_until(
            lambda: runs.filter(status__in=FlowRun.FINISHED).count() >= expected, timeout=1200, interval=0.1
        )
        used = cpu.stop()
    finally:
        cluster.stop()
    rows = list(runs.values_list("ticket_id", "status", "started_at", "finished_at"))
    started = [(s.timestamp() - closed_at[t]) * 1000 for t, _, s, _ in rows if s]
    finished = [(f.timestamp() - closed_at[t]) * 1000 for t, _, _, f in rows if f]
    return {
        "closures_per_s": closures / (close_end - start),
        "runs_per_s": expected / (end - start),
        "runs": len(rows),
        "failed": sum(1 for _, status, _, _ in rows if status != "succeeded"),
        "started_ms": percentiles(started),
        "finished_ms": percentiles(finished),
        "cpu": used,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--closures", type=int, default=500)
    parser.add_argument("--flows", type=int, default=3)
    parser.add_argument("--workers", default="2", help="comma separated, e.g. 1,2,4")
    parser.add_argument("--rate", type=float, default=0, help="closures per second (0: as fast as possible)")
    args = parser.parse_args()

    receiver_proc = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    receiver = f"http://127.0.0.1:{receiver_proc.stdout.readline().strip()}/crm"
    try:
        env = configure(args.backend, f"fanout_{args.backend.replace('-', '_')}")
        bot, agent = setup_bot(args.flows, receiver)
        print(
            f"fan-out on {args.backend}: {args.closures} closures x {args.flows} flows, "
            f"rate {args.rate or 'max'}; {machine()}"
        )
        print(
            "workers  closures/s  runs/s  ceiling tasks/s  ratio  started p50/p95/p99 ms  "
            "finished p50/p95/p99 ms  failed  CPU ms/run cluster+pg+driver  (ceiling ms/task)  load"
        )
        for workers in [int(w) for w in args.workers.split(",")]:
            ceiling, ceiling_cpu = measure_ceiling(env, workers, args.closures * args.flows)
            result = measure_fanout(env, workers, bot, agent, args.closures, args.flows, args.rate)
            s, f, runs = result["started_ms"], result["finished_ms"], args.closures * args.flows
            cpu = {k: v * 1000 / runs for k, v in result["cpu"].items()}
            ceiling_ms = sum(ceiling_cpu[k] for k in ("cluster", "postgres")) * 1000 / runs
            print(
                f"{workers:>7}  {result['closures_per_s']:>10.1f}  {result['runs_per_s']:>6.1f}  "
                f"{ceiling:>15.1f}  {result['runs_per_s'] / ceiling:>5.2f}  "
                f"{s['p50']:>6.0f}/{s['p95']:>6.0f}/{s['p99']:>6.0f}        "
                f"{f['p50']:>6.0f}/{f['p95']:>6.0f}/{f['p99']:>6.0f}          {result['failed']:>3}   "
                f"{cpu['cluster']:5.1f} + {cpu['postgres']:4.1f} + {cpu['driver']:4.1f}"
                f"                ({ceiling_ms:.2f})        {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        print("receiver:", receiver_stats(receiver.rsplit("/", 1)[0] + "/stats"))
    finally:
        receiver_proc.terminate()


if __name__ == "__main__":
    main()
