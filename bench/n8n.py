"""n8n on bench.events' workload, for a side-by-side figure on the same machine.

N events over HTTP at concurrency C, as in bench.events: C client threads (keep-alive
connections) POST `{"n": <event number>, "order": "A-<n>"}` to an n8n webhook, N in all; each
starts one workflow `Webhook (POST, respond immediately) -> HTTP Request`, which POSTs
`{"n": <n>, "order": ...}` to the same local receiver (bench.receiver), with the same 5 s
timeout and 2 retries as the studio's `api_call`. Prints what bench.events prints: accepted/s
(webhook calls answered 200 per second), executions/s (calls received / time from the first
request to the last call), emit -> call p50/p95/p99, CPU ms per event for the n8n process
group (the `n8n start` process and whatever it starts, such as its task runner) and for
PostgreSQL's backends on n8n's database, and the check: every event called once.

n8n is not part of this project: install it outside the repository, e.g.
`mkdir -p /work/n8n && cd /work/n8n && npm init -y && npm install n8n@1.123`, then

    .venv/bin/python -m bench.n8n --events 2000 --concurrency 16 [--n8n-dir /work/n8n]

How n8n runs (environment of every `n8n` command):
- a fresh PostgreSQL database, BENCH_DB_PREFIX + "n8n", through BENCH_PG_URL's server
  (DB_TYPE=postgresdb, DB_POSTGRESDB_*; the pool size is n8n's default);
- EXECUTIONS_MODE=regular: one main process runs webhooks and executions (no Redis, no
  workers), with n8n's default concurrency (unlimited in regular mode);
- execution data saving as n8n ships it (EXECUTIONS_DATA_SAVE_ON_SUCCESS / _ON_ERROR unset,
  i.e. "all"; _ON_PROGRESS unset, i.e. off): every production execution is kept with its
  data, as the studio keeps a run per event. Pruning is left at its defaults (older than
  336 h, or beyond the newest 10,000): runs of more than 10,000 events will see it work;
- N8N_EXPRESSION_ENGINE=legacy unless set in the environment: the late 1.123 patches (from
  about 1.123.7x) switched the default to `vm`, which evaluates expressions in isolated-vm
  6.2, and that has no build for Node 20 (it needs Node 22; n8n starts and crashes). `legacy`
  is the engine 1.123.0 to 1.123.69 ship as default. On Node 22, N8N_EXPRESSION_ENGINE=vm
  measures the newer default;
- N8N_USER_FOLDER in a temporary directory, N8N_ENCRYPTION_KEY fixed, the listener on
  127.0.0.1 and a free port;
- no outside calls: N8N_DIAGNOSTICS_ENABLED, N8N_VERSION_NOTIFICATIONS_ENABLED,
  N8N_TEMPLATES_ENABLED and N8N_PERSONALIZATION_ENABLED false, N8N_HIRING_BANNER_ENABLED false.
Everything else (logging at info, task runners, the HTTP Request node's behaviour) is n8n's
default. The workflow is imported and activated with n8n's CLI before `n8n start`.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg

from bench.common import (
    PG_ADMIN_URL,
    ROOT,
    Calls,
    CpuMeter,
    free_port,
    fresh_database,
    machine,
    post_each,
    print_figures,
    session_pids,
    stat_counters,
    stop_session,
)

WORKFLOW_ID = "benchEvents00001"
WEBHOOK_PATH = "bench-order-paid"
# `n8n start` prints this once its active workflows' webhooks are registered.
READY_LINE = "Editor is now accessible via"


def workflow(receiver: str) -> dict:
    """Webhook (POST, answer at once) -> HTTP Request POST to the receiver, as bench.events' flow."""
    return {
        "id": WORKFLOW_ID,
        "name": "bench events flow",
        "active": False,
        "nodes": [
            {
                "id": str(uuid.uuid4()),
                "name": "Webhook",
                "type": "n8n-nodes-base.webhook",
                "typeVersion": 2,
                "position": [0, 0],
                "webhookId": str(uuid.uuid4()),
                "parameters": {
                    "httpMethod": "POST",
                    "path": WEBHOOK_PATH,
                    "responseMode": "onReceived",
                    "options": {},
                },
            },
            {
                "id": str(uuid.uuid4()),
                "name": "Call receiver",
                "type": "n8n-nodes-base.httpRequest",
                "typeVersion": 4.2,
                "position": [220, 0],
                # The studio's api_call: 2 retries after the first try, 5 s timeout.
                "retryOnFail": True,
                "maxTries": 3,
                "parameters": {
                    "method": "POST",
                    "url": receiver,
                    "sendBody": True,
                    "specifyBody": "json",
                    "jsonBody": "={{ JSON.stringify({ n: $json.body.n, order: $json.body.order }) }}",
                    "options": {"timeout": 5000},
                },
            },
        ],
        "connections": {"Webhook": {"main": [[{"node": "Call receiver", "type": "main", "index": 0}]]}},
        "settings": {"executionOrder": "v1"},
        "pinData": {},
    }


def n8n_env(database_url: str, user_folder: str, port: int) -> dict[str, str]:
    """The environment of every n8n command (see the module docstring)."""
    url = psycopg.conninfo.conninfo_to_dict(database_url.replace("postgres://", "postgresql://"))
    return {
        "DB_TYPE": "postgresdb",
        "DB_POSTGRESDB_HOST": str(url.get("host", "127.0.0.1")),
        "DB_POSTGRESDB_PORT": str(url.get("port", "5432")),
        "DB_POSTGRESDB_DATABASE": str(url["dbname"]),
        "DB_POSTGRESDB_USER": str(url.get("user", "postgres")),
        "DB_POSTGRESDB_PASSWORD": str(url.get("password", "")),
        "EXECUTIONS_MODE": "regular",
        "N8N_EXPRESSION_ENGINE": os.environ.get("N8N_EXPRESSION_ENGINE", "legacy"),
        "N8N_USER_FOLDER": user_folder,
        "N8N_ENCRYPTION_KEY": "bench-n8n-encryption-key-0123456789",
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        "N8N_HOST": "127.0.0.1",
        "N8N_PORT": str(port),
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_HIRING_BANNER_ENABLED": "false",
        # Quiets a warning about the config file's mode in the temporary folder.
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "true",
    }


def n8n_command(binary: Path, env: dict[str, str], *args: str) -> str:
    """Run one n8n CLI command to its end; its output, or RuntimeError with it."""
    done = subprocess.run(
        [str(binary), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"n8n {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


class N8nServer:
    """`n8n start` in its own session, returned once it has registered its webhooks."""

    def __init__(self, binary: Path, env: dict[str, str], timeout: float) -> None:
        self.port = int(env["N8N_PORT"])
        self.log = ROOT / "var" / "bench" / f"n8n-{os.getpid()}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(binary), "start"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,  # with a terminal n8n would read keys from it
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        atexit.register(self.stop)  # a benchmark that dies must not leave n8n behind
        deadline = started + timeout
        while READY_LINE not in self.log.read_text(errors="replace"):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("n8n did not start:\n" + self.log.read_text(errors="replace"))
            time.sleep(0.1)
        self.startup = time.monotonic() - started

    def stop(self) -> None:
        stop_session(self.proc, timeout=60)  # n8n waits for running executions


class Database:
    """A connection to the server's admin database, shared by the CPU sampler and the main
    thread; it is not one of n8n's database's backends, so it is not measured."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.conn = psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True)
        self.lock = threading.Lock()

    def backend_pids(self) -> list[int]:
        with self.lock:
            rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,))
            return [row[0] for row in rows.fetchall()]

    def counters(self) -> dict[str, int]:
        """n8n's database's commits and row writes (pg_stat_database), as bench.events shows."""
        with self.lock, self.conn.cursor() as cursor:
            return stat_counters(cursor, self.name)

    def close(self) -> None:
        self.conn.close()


def execution_statuses(database_url: str) -> dict[str, int]:
    """n8n's executions of the workflow by status (warm-up included, as bench.events' runs)."""
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            'SELECT status, count(*) FROM execution_entity WHERE "workflowId" = %s GROUP BY status',
            (WORKFLOW_ID,),
        ).fetchall()
    return dict(rows)


def send(port: int, numbers: range, sent: dict, errors: list) -> None:
    """One client: keep-alive connection, one webhook call after the other."""
    post_each(
        port,
        f"/webhook/{WEBHOOK_PATH}",
        {"Content-Type": "application/json"},
        lambda n: json.dumps({"n": n, "order": f"A-{n}"}),
        200,
        numbers,
        sent,
        errors,
    )


def measure(args, server: N8nServer, db: Database, receiver: str) -> dict:
    cpu = CpuMeter(
        n8n=lambda: session_pids(server.proc.pid),
        postgres=db.backend_pids,
        clients=lambda: [os.getpid()],
    )
    calls = Calls(receiver, lambda numbers, sent, errors: send(server.port, numbers, sent, errors))
    # Warm-up outside the measurement, as in bench.events: the first executions load the
    # nodes' code and open database connections.
    calls.warm_up(args.events, args.warmup)
    counters = db.counters()
    used = calls.run(args.events, args.concurrency, args.timeout, cpu)
    time.sleep(1.5)  # pg_stat_database is updated by the backends about once a second
    after = db.counters()
    return {**calls.figures(used), "pg": {k: (after[k] - counters[k]) / args.events for k in after}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--n8n-dir", default="/work/n8n", help="where `npm install n8n` was run")
    parser.add_argument("--warmup", type=int, default=50, help="events sent before measuring")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the calls")
    parser.add_argument("--start-timeout", type=float, default=180, help="seconds n8n may take to start")
    args = parser.parse_args()

    binary = Path(args.n8n_dir) / "node_modules" / ".bin" / "n8n"
    package = Path(args.n8n_dir) / "node_modules" / "n8n" / "package.json"
    if not binary.exists():
        sys.exit(f"no n8n at {binary}: see `python -m bench.n8n --help`")
    version = json.loads(package.read_text())["version"]
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()

    receiver_proc = subprocess.Popen(
        [sys.executable, "-m", "bench.receiver"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    receiver = f"http://127.0.0.1:{receiver_proc.stdout.readline().strip()}"
    database_url = fresh_database("pg", "n8n")
    server = None
    db = Database(database_url.rsplit("/", 1)[1])
    try:
        with tempfile.TemporaryDirectory(prefix="bench-n8n-") as folder:
            env = n8n_env(database_url, folder, free_port())
            workflow_file = Path(folder) / "workflow.json"
            workflow_file.write_text(json.dumps(workflow(receiver + "/crm")))
            began = time.monotonic()
            n8n_command(binary, env, "import:workflow", f"--input={workflow_file}")
            n8n_command(binary, env, "update:workflow", f"--id={WORKFLOW_ID}", "--active=true")
            prepared = time.monotonic() - began
            server = N8nServer(binary, env, args.start_timeout)
            print(
                f"n8n {version} (node {node}, regular mode, PostgreSQL, "
                f"{env['N8N_EXPRESSION_ENGINE']} expressions): {args.events} webhook calls "
                f"at concurrency {args.concurrency}; import and activate {prepared:.0f} s, "
                f"start {server.startup:.0f} s; {machine()}",
                flush=True,
            )
            try:
                r = measure(args, server, db, receiver)
            finally:
                server.stop()
            statuses = execution_statuses(database_url)
        print_figures(r, args.events, ("n8n", "postgres"), f"executions {statuses}")
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if r["lost"] or r["duplicates"] or r["errors"]:
            sys.exit(1)
    finally:
        if server is not None:
            server.stop()
        db.close()
        receiver_proc.terminate()


if __name__ == "__main__":
    main()
