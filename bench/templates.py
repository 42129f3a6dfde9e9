"""What a worker holds while rendering hostile templates: CPU per rendering and peak RSS.

    python -m bench.templates           # the table in docs/reliability.md
    python -m bench.templates --json    # the same figures for a test to read

Each template of tests/flows/test_template_limits.py is rendered in this fresh process (a
worker), one after another, for three rounds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

ROUNDS = 3


def peak_mb() -> int:
    """VmHWM: this process's peak RSS (ru_maxrss would carry a parent's peak across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


def measure() -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings_test")
    import django

    django.setup()
    from flows.templating import TemplateFailed, render_value
    from tests.flows.test_template_limits import CPU_BOMB, HOSTILE, MEMORY_BOMB

    baseline = peak_mb()
    results: dict[str, dict[str, Any]] = {}
    for _ in range(ROUNDS):
        for template in [t for t, _ in HOSTILE] + [MEMORY_BOMB, CPU_BOMB]:
            started = time.process_time()
            try:
                render_value(template, {"event": {}, "vars": {}})
                outcome = "rendered"
            except TemplateFailed as exc:
                outcome = str(exc)
            result = results.setdefault(template, {"outcome": outcome, "cpu": 0.0})
            result["cpu"] = max(result["cpu"], time.process_time() - started)
            result["rss_mb"] = peak_mb()
    return {"baseline_mb": baseline, "peak_mb": peak_mb(), "results": results}


def main() -> None:
    report = measure()
    if "--json" in sys.argv:
        print(json.dumps(report))
        return
    print(f"baseline peak RSS: {report['baseline_mb']} MB; after {ROUNDS} rounds: {report['peak_mb']} MB")
    print("| template | outcome | CPU s (max of 3) | peak RSS after, MB |")
    print("|---|---|---|---|")
    for template, result in report["results"].items():
        shown = (template if len(template) < 70 else template[:67] + "...").replace("|", "\\|")
        print(f"| `{shown}` | {result['outcome'][:60]} | {result['cpu']:.3f} | {result['rss_mb']} |")


if __name__ == "__main__":
    main()
