"""End to end: N events over HTTP at concurrency C, each running one flow that calls out.

gunicorn serves the studio (as configured by gunicorn.conf.py unless --web-workers is given);
a real `manage.py qcluster` drains the queue. C client threads (keep-alive connections) send
`POST /api/events/{id}/emit/` with a token, N in all; the event starts one flow
`start -> api_call`, which POSTs `{"n": <event number>}` to a local receiver. Prints
accepted/s (emits answered 202 per second), executions/s (calls received / time from the
first request to the last call), emit -> call p50/p95/p99 (request sent -> call received),
CPU ms per event by process group (web, cluster, PostgreSQL; the receiver is left out, the
client threads are shown apart), and the check: every event called once (0 lost, 0
duplicates).

    .venv/bin/python -m bench.events --backend pg-redis --events 2000 --concurrency 16
    .venv/bin/python -m bench.events --backend pg        # ORM broker on PostgreSQL
    .venv/bin/python -m bench.events --backend sqlite    # the embedded default
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    BACKENDS,
    ROOT,
    Calls,
    Cluster,
    CpuMeter,
    WebServer,
    configure,
    database_backend_pids,
    machine,
    post_each,
    print_figures,
    session_pids,
    stat_counters,
)

EVENT_KEY = "bench-order-paid"


def flow_definition(receiver: str) -> dict:
    return {
        "name": "bench events flow",
        "trigger": {"type": "event", "event": EVENT_KEY},
        "nodes": [
            {"key": "start", "type": "start", "config": {}},
            {
                "key": "call",
                "type": "api_call",
                "config": {
                    "method": "POST",
                    "url": receiver,
                    "body": {"n": "{{ event.n }}", "order": "{{ event.order }}"},
                    "timeout_seconds": 5,
                    "retries": 2,
                },
            },
        ],
        "edges": [{"source": "start", "port": "next", "target": "call"}],
    }


def setup(receiver: str) -> tuple[int, str]:
    """A bot with one active custom event and one flow on it; an admin's API token."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from events import services as events
    from flows import graph
    from studio import services as studio

    bot = studio.create_bot("bench events")
    event = events.create_custom_event(bot, EVENT_KEY, "Order paid")
    events.set_active(event, True)
    graph.save_flow(bot=bot, data=flow_definition(receiver))
    admin = get_user_model().objects.create_superuser(
        f"bench-admin-{time.time_ns()}", password="x-bench-pw-1"
    )
    return event.pk, Token.objects.create(user=admin).key


def send(port: int, event_id: int, token: str, numbers: range, sent: dict, errors: list) -> None:
    """One client: keep-alive connection, one emit after the other."""
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    post_each(
        port,
        f"/api/events/{event_id}/emit/",
        headers,
        lambda n: json.dumps({"payload": {"n": n, "order": f"A-{n}"}}),
        202,
        numbers,
        sent,
        errors,
    )


class Profiler:
    """py-spy sampling a process and its children (gunicorn or qcluster) into collapsed stacks.

    Only threads holding the GIL are sampled: the profile is where Python spends CPU. Without
    --gil, py-spy counted a thread waiting inside libpq (psycopg's send and wait) as busy,
    and PostgreSQL's answer time read as a third of the web's profile."""

    def __init__(self, name: str, pid: int, directory: str, rate: int) -> None:
        self.path = os.path.join(directory, f"{name}.txt")
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "py-spy")
                if (ROOT / ".venv" / "bin" / "py-spy").exists()
                else os.path.join(os.path.dirname(sys.executable), "py-spy"),
                "record",
                "--subprocesses",
                "--nonblocking",
                "--gil",
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--output",
                self.path,
                "--pid",
                str(pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def top_of_profile(path: str, n: int = 15) -> str:
    """The functions holding most samples: own (self) and with what they call (total),
    as a share of the busy samples (idle waits for work - accept, BLPOP, poll - left out)."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    busy = 0
    idle = ("select (selectors.py", "wait (threading.py", "sleep (", "accept (", "_blpop", "poll (")
    for line in open(path, errors="replace"):
        stack, _, count = line.rstrip().rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        if not frames or any(frames[-1].startswith(i) or i in frames[-1] for i in idle):
            continue
        busy += int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + int(count)
    if not busy:
        return "  (no busy samples)"
    lines = [f"  busy samples: {busy}", "  own %  function"]
    for frame, count in sorted(own.items(), key=lambda kv: -kv[1])[:n]:
        lines.append(f"  {count * 100 / busy:5.1f}  {frame}")
    lines.append("  total %  function (ours and the libraries' entry points)")
    shown = [
        (f, c)
        for f, c in sorted(total.items(), key=lambda kv: -kv[1])
        if any(
            app in f
            for app in (
                "flows/",
                "events/",
                "api/",
                "studio/",
                "inbox/",
                "django_q/",
                "rest_framework/",
                "psycopg/",
                "httpx/",
                "django/",
            )
        )
    ]
    for frame, count in shown[: n * 2]:
        lines.append(f"  {count * 100 / busy:5.1f}  {frame}")
    return "\n".join(lines)


def pg_counters() -> dict[str, int]:
    """This database's commits and row writes (pg_stat_database; empty on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        counters = stat_counters(cursor, connection.settings_dict["NAME"])
    connection.close()
    return counters


def measure(args, env: dict, event_id: int, token: str, receiver: str) -> dict:
    from django.db import connection
    from django.db.models import Count

    from flows.models import FlowRun

    connection.close()  # the servers open their own connections; keep ours out of the way
    cluster = Cluster(env, args.workers)
    # Without --web-workers, gunicorn.conf.py decides, as in production.
    extra = ["--workers", str(args.web_workers)] if args.web_workers else []
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    web = WebServer(env, "gunicorn", [gunicorn, "studio.wsgi", "--bind", "127.0.0.1:{port}", *extra])
    cpu = CpuMeter(
        web=lambda: session_pids(web.proc.pid),
        cluster=lambda: session_pids(cluster.proc.pid),
        postgres=database_backend_pids,
        clients=lambda: [os.getpid()],
    )
    calls = Calls(
        receiver, lambda numbers, sent, errors: send(web.port, event_id, token, numbers, sent, errors)
    )
    try:
        # Warm-up outside the measurement: each gunicorn worker and cluster worker loads its
        # code and connects on its first requests.
        calls.warm_up(args.events, args.warmup)
        profilers = []
        if args.profile:
            os.makedirs(args.profile, exist_ok=True)
            profilers = [
                Profiler("web", web.proc.pid, args.profile, args.profile_rate),
                Profiler("cluster", cluster.proc.pid, args.profile, args.profile_rate),
            ]
            time.sleep(1)
        counters = pg_counters()
        used = calls.run(args.events, args.concurrency, args.timeout, cpu)
        for profiler in profilers:
            profiler.stop()
        time.sleep(1.5)  # pg_stat_database is updated by the backends about once a second
        after = pg_counters()
    finally:
        web.stop()
        cluster.stop()
    statuses = dict(
        FlowRun.objects.filter(occurrence__event_id=event_id).values_list("status").annotate(n=Count("id"))
    )
    return {
        **calls.figures(used),
        "statuses": statuses,
        "pg": {k: (after[k] - counters[k]) / args.events for k in after},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=BACKENDS, default="pg-redis")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="qcluster workers")
    parser.add_argument("--web-workers", type=int, default=0, help="gunicorn workers (0: gunicorn.conf.py)")
    parser.add_argument("--warmup", type=int, default=50, help="events sent before measuring")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the calls")
    parser.add_argument("--profile", default="", help="directory: py-spy the web and cluster groups")
    parser.add_argument("--profile-rate", type=int, default=50, help="py-spy samples per second")
    args = parser.parse_args()

    receiver_proc = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    receiver = f"http://127.0.0.1:{receiver_proc.stdout.readline().strip()}"
    try:
        env = configure(args.backend, f"events_{args.backend.replace('-', '_')}")
        event_id, token = setup(receiver + "/crm")
        print(
            f"events on {args.backend}: {args.events} emits at concurrency {args.concurrency}, "
            f"qcluster workers {args.workers}, gunicorn workers {args.web_workers or 'gunicorn.conf.py'}; "
            f"{machine()}",
            flush=True,
        )
        r = measure(args, env, event_id, token, receiver)
        print_figures(r, args.events, ("web", "cluster", "postgres"), f"runs {r['statuses']}")
        if args.profile:
            for name in ("web", "cluster"):
                path = os.path.join(args.profile, f"{name}.txt")
                if os.path.exists(path):
                    print(f"profile of {name} (py-spy, {path}):")
                    print(top_of_profile(path))
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if r["lost"] or r["duplicates"] or r["errors"]:
            sys.exit(1)
    finally:
        receiver_proc.terminate()


if __name__ == "__main__":
    main()
