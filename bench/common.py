"""Shared set-up for benchmarks: a fresh database per backend, Django, a cluster process."""

from __future__ import annotations

import atexit
import http.client
import json
import logging
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import timeit
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ("sqlite", "pg", "pg-redis")
# Benchmark databases are dropped and re-created: a prefix keeps them apart from anyone
# else's on a shared server (BENCH_DB_PREFIX=bench_perf_ -> bench_perf_fanout_pg).
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "bench_")


def _exit_on_sigterm(signum, frame) -> None:
    sys.exit(128 + signum)  # runs finally blocks and atexit: clusters and receivers stop


signal.signal(signal.SIGTERM, _exit_on_sigterm)


def machine() -> str:
    mem = ""
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return (
        f"{os.cpu_count()} cores{mem}, {platform.python_implementation()} {platform.python_version()}, "
        f"{date.today()}, {load}, calibration {calibration():.2f} ms"
    )


def calibration() -> float:
    """`python -m timeit "sum(range(100000))"`'s best, in ms: on a shared VM the same code ran
    1.5-3x slower from one minute to the next, and figures are only comparable next to it."""
    return min(timeit.repeat("sum(range(100000))", number=20, repeat=5)) / 20 * 1000


def fresh_database(backend: str, name: str) -> str:
    name = DB_PREFIX + name
    if backend == "sqlite":
        path = ROOT / "var" / "bench" / f"{name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def configure(backend: str, name: str, **extra: str) -> dict[str, str]:
    """Point this process (and the clusters it starts) at a fresh database; set up Django."""
    env = {
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        # Production settings: with DEBUG on, Django formats every SQL statement for its
        # debug log and keeps it, which tripled the ORM's CPU per query here.
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789",
        "DATABASE_URL": fresh_database(backend, name),
        "Q_CLUSTER_NAME": f"bench-{uuid.uuid4().hex[:6]}",
        "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **extra,
    }
    if backend == "pg-redis":
        env["REDIS_URL"] = REDIS_URL
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    # The cluster logs at INFO (its "running." line tells us it is ready); this process
    # would print a line per enqueued task, which costs time the benchmark measures.
    logging.getLogger("django-q").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    if backend == "pg-redis":
        import redis

        redis.from_url(REDIS_URL).delete(f"django_q:{env['Q_CLUSTER_NAME']}:q")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebServer:
    """A web server subprocess on a free loopback port, returned once `/healthz` answers.
    `command` is its argv with `{port}` where the port goes."""

    def __init__(self, env: dict[str, str], name: str, command: list[str]) -> None:
        self.port = free_port()
        self.log = ROOT / "var" / "bench" / f"{name}-{os.getpid()}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [part.replace("{port}", str(self.port)) for part in command],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        atexit.register(self.stop)  # a benchmark that dies must not leave a server behind
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{name} did not start:\n" + self.log.read_text(errors="replace"))
                time.sleep(0.1)

    def stop(self) -> None:
        stop_session(self.proc, timeout=10)


def stop_session(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to a server started with start_new_session and all it started; SIGKILL to
    them after `timeout` seconds."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Cluster:
    """A `manage.py qcluster` subprocess with a given number of workers."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.log = ROOT / "var" / "bench" / f"qcluster-{os.getpid()}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env={**os.environ, **env, "Q_WORKERS": str(workers)},
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        atexit.register(self.stop)  # a benchmark that dies must not leave a cluster behind
        deadline = time.monotonic() + 30
        while "running." not in self.log.read_text(errors="replace"):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("qcluster did not start:\n" + self.log.read_text(errors="replace"))
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def _cpu_of(pid: int) -> float:
    """CPU seconds of a process and of its children that have ended (0 when it is gone).

    The children's share counts the processes a group loses during a measurement: django-q2
    recycles a worker after `recycle` tasks, and a worker's CPU would vanish with it; once
    its parent (the sentinel, also in the group) reaps it, it shows in cutime + cstime."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def session_pids(sid: int) -> list[int]:
    """The processes of a session (a cluster started with start_new_session: its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) == sid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def database_backend_pids() -> list[int]:
    """PostgreSQL backends serving this benchmark's database (empty on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds spent by groups of processes between start() and stop().

    On a shared machine wall-clock figures move with other people's load; CPU time per run
    moves much less, so the benchmarks print both. A process first seen after start() counts
    from zero (it was started for the measurement). A process of ours that ends is counted
    by its parent (see _cpu_of); the groups named in `sampled` (PostgreSQL's backends: not our
    children, a backend whose worker was recycled ends with its CPU) are sampled every
    `interval` seconds instead, and an ended process keeps the CPU of its last sample."""

    def __init__(self, interval: float = 0.2, sampled: tuple[str, ...] = ("postgres",), **groups) -> None:
        self.groups = groups  # name -> callable returning pids
        self.interval, self.sampled = interval, sampled
        self.before: dict[int, float] = {}
        self.latest: dict[str, dict[int, float]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        for name, pids in self.groups.items():
            if name not in self.sampled:
                continue
            seen = self.latest.setdefault(name, {})
            for pid in pids():
                cpu = _cpu_of(pid)
                if cpu:
                    seen[pid] = cpu

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> None:
        self.before = {pid: _cpu_of(pid) for pids in self.groups.values() for pid in pids()}
        self.latest = {}
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        return {
            name: sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self.latest.get(name, {}).items())
            if name in self.sampled
            else sum(_cpu_of(pid) - self.before.get(pid, 0.0) for pid in pids())
            for name, pids in self.groups.items()
        }


def post_each(
    port: int,
    path: str,
    headers: dict[str, str],
    body: Callable[[int], str],
    status: int,
    numbers: range,
    sent: dict[int, float],
    errors: list[str],
) -> None:
    """One client: a keep-alive connection, one POST of `body(n)` after the other. `sent[n]` is
    when request n went out; an answer other than `status`, or a broken connection, is an error."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in numbers:
        payload = body(n)
        sent[n] = time.time()
        try:
            conn.request("POST", path, payload, headers)
            response = conn.getresponse()
            response.read()
            if response.status != status:
                errors.append(f"{n}: {response.status}")
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{n}: {exc!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def run_clients(client: Callable[[range], None], events: int, concurrency: int) -> None:
    """Events 0..events-1 split into `concurrency` runs of numbers, one thread per run; returns
    when every client is done."""
    per = -(-events // concurrency)
    threads = [
        threading.Thread(target=client, args=(range(i, min(i + per, events)),)) for i in range(0, events, per)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


COUNTER_NAMES = ("commits", "rollbacks", "inserted", "updated", "deleted", "fetched")


def stat_counters(cursor, database: str) -> dict[str, int]:
    """A database's commits and row writes so far (pg_stat_database), through any DB-API cursor."""
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(
        "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched "
        "FROM pg_stat_database WHERE datname = %s",
        [database],
    )
    return dict(zip(COUNTER_NAMES, cursor.fetchone()))


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


class Calls:
    """The end-to-end benchmarks' load: numbered POSTs, each to end in one call that
    bench.receiver records. `send(numbers, sent, errors)` is one client's loop (post_each)."""

    def __init__(self, receiver: str, send: Callable[[range, dict, list], None]) -> None:
        self.receiver, self.send = receiver, send
        self.sent: dict[int, float] = {}
        self.errors: list[str] = []

    def arrivals(self) -> dict:
        return get_json(self.receiver + "/arrivals")

    def warm_up(self, first: int, count: int) -> None:
        """`count` numbers from `first` (outside the measured ones), then the receiver forgets
        their calls: the first requests load code and open connections."""
        self.send(range(first, first + count), {}, self.errors)
        if count:
            wait_until(lambda: len(self.arrivals()) >= count, timeout=120)
        urllib.request.urlopen(urllib.request.Request(self.receiver + "/", method="DELETE"), timeout=5).read()

    def run(self, events: int, concurrency: int, timeout: float, cpu: CpuMeter) -> dict[str, float]:
        """Numbers 0..events-1 from `concurrency` clients, then the wait for their calls;
        answers the CPU seconds `cpu` counted meanwhile."""
        self.events = events
        cpu.start()
        self.start = time.time()
        run_clients(lambda numbers: self.send(numbers, self.sent, self.errors), events, concurrency)
        self.accepted_end = time.time()
        try:
            wait_until(
                lambda: len(self.arrivals()) >= events - len(self.errors), timeout=timeout, interval=0.1
            )
        except TimeoutError:
            pass  # reported as lost
        return cpu.stop()

    def figures(self, used: dict[str, float]) -> dict:
        """What the receiver got, against what was sent: rates, latencies, CPU ms per event."""
        arrivals = {int(k): v for k, v in self.arrivals().items()}
        stats = get_json(self.receiver + "/stats")
        last_call = max((t for t, _ in arrivals.values()), default=self.accepted_end)
        latencies = [(arrivals[n][0] - self.sent[n]) * 1000 for n in self.sent if n in arrivals]
        return {
            "accepted_per_s": (self.events - len(self.errors)) / (self.accepted_end - self.start),
            "executions_per_s": len(arrivals) / (last_call - self.start),
            "latency": percentiles(latencies),
            "cpu": {k: v * 1000 / self.events for k, v in used.items()},
            "lost": self.events - len(arrivals),
            "duplicates": sum(c - 1 for _, c in arrivals.values()) + stats["duplicates"],
            "errors": self.errors,
        }


def print_figures(r: dict, events: int, groups: Sequence[str], statuses: str) -> None:
    """The end-to-end benchmarks' report; `groups` are the CPU groups summed (the clients are
    shown apart), `statuses` names the engine's record of its runs."""
    lat, cpu = r["latency"], r["cpu"]
    print(f"accepted/s {r['accepted_per_s']:.1f}  executions/s {r['executions_per_s']:.1f}")
    print(f"emit -> call ms p50 {lat['p50']:.0f}  p95 {lat['p95']:.0f}  p99 {lat['p99']:.0f}")
    total = sum(cpu[g] for g in groups)
    print(
        "CPU ms per event: "
        + " + ".join(f"{g} {cpu[g]:.2f}" for g in groups)
        + f" = {total:.2f}  (clients {cpu['clients']:.2f})"
    )
    print(
        f"calls: {events - r['lost']} of {events} events, lost {r['lost']}, "
        f"duplicates {r['duplicates']}, emit errors {len(r['errors'])}; {statuses}"
    )
    if r["pg"]:
        print("PostgreSQL per event: " + ", ".join(f"{k} {v:.2f}" for k, v in r["pg"].items()))
    if r["errors"]:
        print("first errors:", r["errors"][:5])


def wait_until(condition, timeout: float, interval: float = 0.05) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark did not drain in time")
        time.sleep(interval)
    return time.monotonic()


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0]}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": statistics.median(values), "p95": cuts[94], "p99": cuts[98]}
