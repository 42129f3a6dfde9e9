"""A real `manage.py qcluster` process on the test database (and the Redis broker when set)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_q.conf import Conf

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Cluster:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            # The cluster's own process stops its workers; signalling them all at once
            # makes the sentinel wait for workers that are already gone.
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL the whole process group at once: the cluster, its workers, pusher and monitor."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def default_broker() -> str:
    """CI runs the cluster tests with REDIS_URL set: then the Redis broker, else the ORM's."""
    return "redis" if os.environ.get("REDIS_URL") else "orm"


@pytest.fixture
def start_cluster(transactional_db, monkeypatch, tmp_path) -> Callable[..., Cluster]:
    """Starts qcluster subprocesses on one queue; tasks enqueued by the test go through the
    real broker (`broker` "orm" or "redis"). Each call starts one more process on the same
    queue, as another machine would; `env` overrides settings of that process."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    # The test process enqueues for real instead of running tasks inline.
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    monkeypatch.setattr(Conf, "PREFIX", name)
    started: list[Cluster] = []
    brokers: set[str] = set()

    def start(broker: str | None = None, **env: str) -> Cluster:
        broker = broker or default_broker()
        if broker == "redis":
            if not redis_reachable():
                if os.environ.get("CI"):
                    pytest.fail(f"no Redis server at {REDIS_URL}: CI starts one")
                pytest.skip(f"no Redis server at {REDIS_URL}")
            monkeypatch.setattr(Conf, "ORM", None)
            monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
            monkeypatch.setattr(Conf, "BROKER_CLASS", None)  # settings chose the ORM's (no REDIS_URL)
        else:
            monkeypatch.setattr(Conf, "ORM", "default")
        brokers.add(broker)
        base = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        cluster = Cluster(
            {
                **base,
                "DJANGO_SETTINGS_MODULE": "studio.settings",
                "DEBUG": "1",
                "SECRET_KEY": settings.SECRET_KEY,  # tasks are signed with it
                "DATABASE_URL": database_url(),
                "Q_CLUSTER_NAME": name,
                "Q_WORKERS": "2",
                "Q_POLL": "0.05",
                "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1,localhost",
                **({"REDIS_URL": REDIS_URL} if broker == "redis" else {}),
                **env,
            },
            tmp_path / f"qcluster-{len(started) + 1}.log",
        )
        cluster.start()
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()
    if "redis" in brokers:
        import redis

        redis.Redis.from_url(REDIS_URL).delete(f"django_q:{name}:q")


@pytest.fixture
def cluster(start_cluster) -> Cluster:
    """One qcluster process on the broker CI chose (Redis when REDIS_URL is set)."""
    return start_cluster()


def wait_for(
    condition: Callable[[], bool], timeout: float = 30.0, what: str | Callable[[], str] = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
