"""Each benchmark still runs, at a tiny size. Figures are printed by the benchmarks and
never asserted here (they depend on the machine and on its load)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PREFIX = f"bench_smoke_{os.getpid()}_"

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module", autouse=True)
def _clean_up():
    yield
    for path in (ROOT / "var" / "bench").glob(f"{PREFIX}*"):
        path.unlink(missing_ok=True)


def bench(*args: str, timeout: int = 120) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**env, "BENCH_DB_PREFIX": PREFIX},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_fanout_benchmark_runs_a_real_cluster():
    out = bench("bench.fanout", "--backend", "sqlite", "--closures", "5", "--flows", "2", "--workers", "1")
    assert "closures/s" in out
    # every run called the receiver once, and no call was made twice
    assert "'requests': 10, 'distinct_keys': 10, 'duplicates': 0" in out


def test_the_events_benchmark_runs_web_and_cluster_end_to_end():
    out = bench(
        "bench.events",
        "--backend",
        "sqlite",
        "--events",
        "12",
        "--concurrency",
        "3",
        "--warmup",
        "2",
        "--web-workers",
        "1",
        "--workers",
        "1",
    )
    assert "executions/s" in out and "CPU ms per event" in out
    # every event's flow called the receiver once: none lost, none twice
    assert "calls: 12 of 12 events, lost 0, duplicates 0, emit errors 0" in out


def test_the_hotpath_benchmark_measures_a_fanout_closures_tasks_in_process():
    out = bench("bench.hotpath", "--backend", "sqlite", "--fanout", "--flows", "2", "--events", "3")
    assert "one closure's tasks (2 runs)" in out and "ms CPU per run" in out
    assert "run statuses: ['succeeded']" in out


def test_the_engine_benchmark_runs():
    out = bench("bench.engine", "--runs", "3", "--backend", "sqlite")
    assert "run statuses: ['succeeded']" in out
    assert "per node, overhead" in out


@pytest.mark.skipif(
    not shutil.which("wrk") and not os.environ.get("CI"), reason="wrk is not installed (apt-get install wrk)"
)
def test_the_api_benchmark_runs_its_query_counts_and_a_short_load():
    out = bench(
        "bench.api",
        "--backend",
        "sqlite",
        "--tickets",
        "40",
        "--connections",
        "2",
        "--threads",
        "1",
        "--duration",
        "1",
        "--gunicorn-workers",
        "1",
    )
    assert "queries per request" in out
    assert "resolve" in out and "list" in out


@pytest.mark.browser
@pytest.mark.skipif(
    not Path(os.environ.get("CHROMIUM", "/usr/bin/chromium")).exists() and not os.environ.get("CI"),
    reason="no chromium (apt-get install chromium)",
)
def test_the_builder_benchmark_opens_and_saves_a_flow_in_the_browser():
    out = bench("bench.builder", "--nodes", "12", "--repeat", "1")
    assert "flow: 12 nodes" in out
    assert "open  median" in out and "save  median" in out
