"""In-process: the SQL statements and the CPU of one emit request and of one run's task.

The emit goes through Django's test client (the whole handler stack, no HTTP server); the
run's task is called as a worker would call it, against a local receiver. Prints each
statement of one emit and one task, then CPU ms per request and per task over N of each;
with --profile, cProfile (CPU time) of both, sorted by cumulative time.

With --fanout, bench.fanout's flows instead (start -> condition -> database insert ->
api_call -> end, --flows of them on ticket-closed): N tickets are closed in-process first
(not measured), then each closure's runs as the workers would run them (one wake-up,
`flows.tasks.run_queued`, which takes them one by one). Prints the
statements of one closure's tasks, and CPU ms per run.

    .venv/bin/python -m bench.hotpath --backend pg --events 300 [--profile]
    .venv/bin/python -m bench.hotpath --backend pg-redis --fanout --events 300 [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import time

from bench.common import BACKENDS, ROOT, _cpu_of, configure, machine


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=BACKENDS, default="pg")
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    parser.add_argument("--fanout", action="store_true", help="bench.fanout's flows, per ticket closure")
    parser.add_argument("--flows", type=int, default=3, help="with --fanout: flows per closure")
    args = parser.parse_args()
    receiver_proc = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    receiver = f"http://127.0.0.1:{receiver_proc.stdout.readline().strip()}"
    try:
        if args.fanout:
            return fanout(args, receiver)
        configure(args.backend, f"hotpath_{args.backend.replace('-', '_')}", ALLOWED_HOSTS="testserver")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from rest_framework.test import APIClient

        from bench.events import setup
        from flows import tasks
        from flows.models import FlowRun

        event_id, token = setup(receiver + "/crm")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        print(f"hot path on {args.backend}; {machine()}")

        def emit(n: int) -> list[int]:
            response = client.post(
                f"/api/events/{event_id}/emit/", {"payload": {"n": n, "order": f"A-{n}"}}, format="json"
            )
            assert response.status_code == 202, response.content
            return response.json()["runs"]

        def run(run_id: int) -> None:
            # The woken worker: it clears the wake-up's mark, takes the run, and looks once
            # more (under load the mark and the last look are shared by many runs).
            assert tasks.run_queued() == 1

        for n in range(20):  # warm-up: imports, graph cache, connections
            for run_id in emit(n):
                run(run_id)
        with CaptureQueriesContext(connection) as emitted:
            runs = emit(10**6)
        with CaptureQueriesContext(connection) as ran:
            run(runs[0])
        for name, ctx in (("emit request", emitted), ("run task", ran)):
            print(f"{name}: {len(ctx.captured_queries)} statements")
            for query in ctx.captured_queries:
                print("   ", query["sql"][:110])

        backend = _backend_cpu(connection)
        profile = cProfile.Profile(time.process_time) if args.profile else None
        cpu, server = time.process_time(), backend()
        if profile:
            profile.enable()
        run_ids = [run_id for n in range(args.events) for run_id in emit(100 + n)]
        if profile:
            profile.disable()
        print(
            f"emit request: {(time.process_time() - cpu) * 1000 / args.events:.2f} ms CPU"
            f" (+ PostgreSQL backend {(backend() - server) * 1000 / args.events:.2f} ms)"
        )
        if profile:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
            profile = cProfile.Profile(time.process_time)
            profile.enable()
        cpu, server = time.process_time(), backend()
        done = 0
        while done < len(run_ids):  # a woken worker taking the backlog, a second at a time
            done += tasks.run_queued()
        if profile:
            profile.disable()
        print(
            f"run task: {(time.process_time() - cpu) * 1000 / len(run_ids):.2f} ms CPU"
            f" (+ PostgreSQL backend {(backend() - server) * 1000 / len(run_ids):.2f} ms)"
        )
        if profile:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
        statuses = set(FlowRun.objects.filter(pk__in=run_ids).values_list("status", flat=True))
        print("run statuses:", sorted(statuses))
    finally:
        receiver_proc.terminate()


def fanout(args, receiver: str) -> None:
    env = configure(args.backend, f"hotpath_fanout_{args.backend.replace('-', '_')}")
    from django.db import close_old_connections, connection
    from django.test.utils import CaptureQueriesContext

    from bench.fanout import open_tickets, purge_queue, setup_bot
    from flows import tasks
    from flows.models import FlowRun
    from inbox import services as inbox

    bot, agent = setup_bot(args.flows, receiver + "/crm")
    print(f"hot path (fan-out, {args.flows} flows per closure) on {args.backend}; {machine()}")

    def close(count: int) -> list[tuple[int, list[int]]]:
        """Close `count` tickets; each closure's occurrence and its runs' ids."""
        tickets = open_tickets(bot, count)
        for ticket in tickets:
            inbox.resolve_ticket(ticket, agent)
        closures: dict[int, list[int]] = {}
        runs = FlowRun.objects.filter(ticket__in=tickets).order_by("pk")
        for occurrence_id, run_id in runs.values_list("occurrence_id", "pk"):
            closures.setdefault(occurrence_id, []).append(run_id)
        purge_queue(env)  # the tasks are run here, not by a cluster
        return list(closures.items())

    def work(closure: tuple[int, list[int]]) -> None:
        """What the workers do for one closure: a wake-up that takes its queued runs; before
        it, the connection check a django-q2 worker makes (a health check's `SELECT 1` on
        the task's first statement)."""
        close_old_connections()
        tasks.run_queued()

    for closure in close(20):  # warm-up: imports, graph cache, connections
        work(closure)
    one = close(1)[0]
    with CaptureQueriesContext(connection) as ran:
        work(one)
    print(f"one closure's tasks ({len(one[1])} runs): {len(ran.captured_queries)} statements")
    for query in ran.captured_queries:
        print("   ", query["sql"][:110])

    closures: list[tuple[int, list[int]]] = []
    backend = _backend_cpu(connection)
    profile = cProfile.Profile(time.process_time) if args.profile else None
    # In ten parts: on a machine shared with other work, the least CPU per run of a part
    # moves much less with the others' load than the whole run's average. Each part's
    # tickets are closed just before it (not measured): a woken worker takes every queued run.
    parts: list[tuple[float, float]] = []
    size = -(-args.events // 10)
    for start in range(0, args.events, size):
        part = close(min(size, args.events - start))
        closures += part
        cpu, server = time.process_time(), backend()
        if profile:
            profile.enable()
        for closure in part:
            work(closure)
        if profile:
            profile.disable()
        count = sum(len(run_ids) for _, run_ids in part)
        parts.append(((time.process_time() - cpu) * 1000 / count, (backend() - server) * 1000 / count))
    runs = sum(len(run_ids) for _, run_ids in closures)
    client, database = (sorted(values) for values in zip(*parts, strict=True))
    mean = lambda values: sum(values) / len(values)  # noqa: E731  (the parts are near equal)
    print(
        f"fan-out tasks: {mean(client):.2f} ms CPU per run (least of ten parts {client[0]:.2f}, median"
        f" {client[len(client) // 2]:.2f}) + PostgreSQL backend {mean(database):.2f} ms (least"
        f" {database[0]:.2f}), {runs} runs, load" + " {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    )
    if profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
    ids = [run_id for _, run_ids in closures for run_id in run_ids]
    statuses = set(FlowRun.objects.filter(pk__in=ids).values_list("status", flat=True))
    print("run statuses:", sorted(statuses))
    purge_queue(env)


def _backend_cpu(connection):
    """CPU seconds of this process's PostgreSQL backend so far (0 on SQLite)."""
    if connection.vendor != "postgresql":
        return lambda: 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return lambda: _cpu_of(pid)


if __name__ == "__main__":
    main()
