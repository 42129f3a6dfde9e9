"""API latency: resolve and list under concurrent load, and the queries each request makes.

gunicorn serves the studio on loopback; wrk (a second process) drives it with N concurrent
connections. Each resolve hits a fresh open ticket: the ticket ids are split between wrk's
connections, so no two requests resolve the same ticket. Every resolve closes a ticket
with M active ticket-closed flows (their runs are created and one dispatch task enqueued
in the request; no cluster drains them here). Then, in-process with CaptureQueriesContext,
the number of SQL queries of each endpoint at two sizes (flows, list length).

    .venv/bin/python -m bench.api --backend pg --connections 16 --duration 10
    .venv/bin/python -m bench.api --queries-only        # the query counts alone (fast)
    .venv/bin/python -m bench.api --in-process 300 [--profile FILE] [--show-queries]
                                                        # CPU per resolve, no HTTP (fast loop)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import (
    BACKENDS,
    CpuMeter,
    WebServer,
    configure,
    database_backend_pids,
    machine,
    session_pids,
)

WRK = shutil.which("wrk") or "/usr/bin/wrk"

RESOLVE_LUA = """
-- Each wrk connection resolves its own slice of the open tickets, one ticket per request.
local ids = {%(ids)s}
local per = %(per)d
local counter = 0
local threads = {}
function setup(thread)
  thread:set("first", #threads * per)
  table.insert(threads, thread)
end
function init(args)
  next_index = first + 1
  last_index = first + per
end
function request()
  local id = ids[next_index]
  if next_index < last_index then next_index = next_index + 1 end
  return wrk.format("POST", "/api/tickets/" .. id .. "/resolve/", nil, '{"note": "bench"}')
end
"""

REPORT_LUA = """
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f p50=%.2f p95=%.2f p99=%.2f errors=%d non2xx=%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def open_tickets_each(bot, n: int) -> list:
    """n tickets, each on its own conversation (a customer's chat raises its ticket)."""
    from inbox import services as inbox

    return [
        inbox.raise_ticket(
            inbox.start_conversation(bot, customer={"name": f"bench {i}"}),
            subject=f"t{i}",
            category="billing",
        )
        for i in range(n)
    ]


def setup(flows: int, tickets: int, shared_conversation: bool = False):
    from rest_framework.authtoken.models import Token

    from bench.fanout import open_tickets, setup_bot

    bot, agent = setup_bot(flows, "http://127.0.0.1:9/unused", name="api load")
    token = Token.objects.get_or_create(user=agent)[0].key
    # Until round 4 all tickets shared one conversation: every close then updated that one
    # row, so concurrent resolves queued on its lock until commit (and a close freeing a
    # slot could deadlock with one closing the ticket it was handing out).
    opened = open_tickets(bot, tickets) if shared_conversation else open_tickets_each(bot, tickets)
    from django.db import connection

    if connection.vendor == "postgresql":
        # Statistics for the rows just written, as autovacuum keeps them on a live database:
        # without them the planner takes the bot's 12,000 tickets for a dozen and sorts them
        # all for a page of the list.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return bot, agent, token, opened


def Gunicorn(env: dict[str, str], workers: int) -> WebServer:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return WebServer(
        env, "gunicorn", [gunicorn, "studio.wsgi", "--workers", str(workers), "--bind", "127.0.0.1:{port}"]
    )


def wrk(
    port: int, path: str, token: str, script: str, connections: int, threads: int, duration: float
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + REPORT_LUA)
    try:
        out = subprocess.run(
            [
                WRK,
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{duration:g}s",
                "--latency",
                "-H",
                f"Authorization: Token {token}",
                "-H",
                "Content-Type: application/json",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
        )
    finally:
        os.unlink(f.name)
    if out.returncode:
        raise RuntimeError(f"wrk failed: {out.stderr or out.stdout}")
    line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))
    result = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    result["rps"] = result["requests"] / result["seconds"]
    return result


def load(args, env, token, tickets) -> None:
    from django.db import connection

    connection.close()  # gunicorn forks its own connections; keep ours out of the way
    server = Gunicorn(env, args.gunicorn_workers)
    # CPU of gunicorn's processes and of the database's backends per request: on a shared
    # machine the wall-clock figures move with others' load, this much less.
    cpu = CpuMeter(web=lambda: session_pids(server.proc.pid), postgres=database_backend_pids)

    def measured(script: str) -> dict:
        cpu.start()
        result = wrk(server.port, "/api/tickets/", token, script, args.connections, threads, args.duration)
        used = cpu.stop()
        result.update({f"cpu_{k}": v * 1000 / max(result["requests"], 1) for k, v in used.items()})
        return result

    try:
        threads = min(args.threads, args.connections)
        # Warm-up: each gunicorn worker imports, connects and fills its caches on its first
        # requests; not measured.
        wrk(server.port, "/api/tickets/", token, "", args.connections, threads, 1)
        per = len(tickets) // args.connections
        script = RESOLVE_LUA % {
            "ids": ",".join(str(t.pk) for t in tickets),
            "per": per * (args.connections // threads),
        }
        rows = [("resolve", measured(script)), ("list", measured(""))]
    finally:
        server.stop()
    print(
        f"load: gunicorn --workers {args.gunicorn_workers} (worker class and threads: gunicorn.conf.py), wrk -t{threads} -c{args.connections} "
        f"-d{args.duration}s on loopback; {args.flows} active ticket-closed flows; "
        f"{'one conversation for all tickets' if args.shared_conversation else 'a conversation per ticket'}"
    )
    print("endpoint   requests/s  p50 ms  p95 ms  p99 ms  non-2xx  socket errors  CPU ms/request web + pg")
    for name, r in rows:
        print(
            f"{name:<9} {r['rps']:>11.1f}  {r['p50']:>6.1f}  {r['p95']:>6.1f}  {r['p99']:>6.1f}  "
            f"{int(r['non2xx']):>7}  {int(r['errors']):>13}  {r['cpu_web']:.2f} + {r['cpu_postgres']:.2f}"
            f" = {r['cpu_web'] + r['cpu_postgres']:.2f}"
        )
    if rows[0][1]["non2xx"]:
        print("resolve's non-2xx: a wrk thread ran out of open tickets (409s, cheap): raise --tickets")
    print(f"load average after: {'{:.1f} {:.1f} {:.1f}'.format(*os.getloadavg())}")


def query_counts() -> None:
    """Queries per request at two sizes: they must not grow with flows, runs or list length."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from bench.fanout import setup_bot
    from flows import services as flow_services
    from studio import queue

    def client_for(agent):
        from rest_framework.authtoken.models import Token

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=agent)[0].key}")
        return client

    def count(call) -> int:
        # As after an idle worker took the last wake-up: a resolve queues a new one.
        queue.woken(flow_services.RUN_QUEUED_TASK)
        with CaptureQueriesContext(connection) as ctx:
            response = call()
        assert response.status_code == 200, response.content
        return len(ctx.captured_queries)

    rows = []
    for flows, listed in ((1, 5), (10, 50)):
        bot, agent = setup_bot(flows, "http://127.0.0.1:9/unused", name=f"queries {flows}")
        client = client_for(agent)
        tickets = open_tickets_each(bot, listed)

        def resolve(ticket):
            return lambda: client.post(f"/api/tickets/{ticket.pk}/resolve/", {"note": "x"}, format="json")

        # tickets[0] is the agent's (a slot frees and the next queued ticket is handed to
        # them); the last one was queued or missed (nothing to hand out).
        held = count(resolve(tickets[0]))
        unassigned = count(resolve(tickets[-1]))
        listing = count(lambda: client.get("/api/tickets/?page_size=50"))
        rows.append((flows, listed, held, unassigned, listing))
    print("queries per request (CaptureQueriesContext, in-process)")
    print("active flows  list length  resolve: agent's ticket  unassigned ticket  list")
    for flows, listed, held, unassigned, listing in rows:
        print(f"{flows:>12}  {listed:>11}  {held:>23}  {unassigned:>17}  {listing:>4}")


def in_process(args) -> None:
    """CPU and wall per resolve through the DRF test client (no HTTP, no gunicorn): the
    request's own cost, what 16 clients on 2 cores queue behind. Optionally a cProfile of
    the resolves (CPU clock) and the statements of one resolve."""
    import cProfile
    import statistics
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    bot, agent, token, tickets = setup(args.flows, args.in_process + 20, args.shared_conversation)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def resolve(ticket):
        response = client.post(f"/api/tickets/{ticket.pk}/resolve/", {"note": "bench"}, format="json")
        assert response.status_code == 200, response.content

    def statements(ticket) -> list[dict]:
        with CaptureQueriesContext(connection) as ctx:
            resolve(ticket)
        return list(ctx.captured_queries)  # the next request resets the log

    for ticket in tickets[:10]:  # warm-up: imports, caches, the connection
        resolve(ticket)
    # The agent holds a few tickets and the rest queue (then are missed): resolving one it
    # holds frees a slot and hands it the next queued ticket; most resolves close a ticket
    # that was queued or missed.
    status = {t.pk: t.status for t in tickets}
    first = statements(tickets[10])
    rest = tickets[20:-1]
    if args.held:
        # The agent's own tickets: each resolve frees a slot and routing hands them the next
        # queued ticket, as when an agent works through a queue.
        from inbox.models import Ticket

        held = Ticket.objects.filter(bot=bot, assignee=agent, status=Ticket.Status.ASSIGNED)

        def next_held():
            for _ in range(args.in_process):
                ticket = held.order_by("assigned_at", "pk").first()
                if ticket is None:
                    return
                yield ticket

        rest = next_held()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    cpu, wall = [], []
    for ticket in rest:
        c0, w0 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        resolve(ticket)
        if profiler:
            profiler.disable()
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    last = statements(tickets[-1])
    for name, sample, ticket in (("first", first, tickets[10]), ("last", last, tickets[-1])):
        print(f"{name} resolve (ticket raised {status[ticket.pk]}): {len(sample)} statements")
        if args.show_queries:
            for i, q in enumerate(sample, 1):
                print(f"{i:>3} {q['sql'][:200]}")
    if profiler:
        profiler.dump_stats(args.profile)
    which = "the agent's tickets" if args.held else "unassigned tickets"
    print(
        f"in-process resolve x{len(cpu)} ({args.flows} flows, {which}): "
        f"CPU ms median {statistics.median(cpu):.2f} mean {statistics.fmean(cpu):.2f}; "
        f"wall ms median {statistics.median(wall):.2f} mean {statistics.fmean(wall):.2f}"
        + (" (under cProfile)" if profiler else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=BACKENDS, default="pg")
    parser.add_argument("--flows", type=int, default=3, help="active ticket-closed flows")
    # Each wrk thread resolves its own half; at ~220 resolves/s one thread alone went through
    # its 1,500 of 3,000 in 10 s (wrk's threads are not served evenly), and the rest of its
    # requests were 409s for its last ticket; at ~460/s the same with 6,000.
    parser.add_argument("--tickets", type=int, default=12000, help="open tickets for the resolve load")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--gunicorn-workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--queries-only", action="store_true")
    parser.add_argument(
        "--shared-conversation",
        action="store_true",
        help="all tickets on one conversation (the workload before round 4)",
    )
    parser.add_argument(
        "--in-process", type=int, default=0, metavar="N", help="N resolves in-process, CPU per resolve"
    )
    parser.add_argument(
        "--held",
        action="store_true",
        help="with --in-process: resolve the agent's own tickets (a queue behind)",
    )
    parser.add_argument("--profile", metavar="FILE", help="with --in-process: cProfile stats to FILE")
    parser.add_argument("--show-queries", action="store_true", help="with --in-process: one resolve's SQL")
    args = parser.parse_args()

    env = configure(
        args.backend, f"api_{args.backend.replace('-', '_')}", ALLOWED_HOSTS="127.0.0.1,localhost,testserver"
    )
    print(f"API on {args.backend}; {machine()}")
    if args.in_process:
        in_process(args)
        return
    query_counts()
    if args.queries_only:
        return
    bot, agent, token, tickets = setup(args.flows, args.tickets, args.shared_conversation)
    load(args, env, token, tickets)


if __name__ == "__main__":
    main()
