"""What a worker holds while rendering hostile templates: CPU per rendering and peak RSS.

    python -m bench.templates

Each template of tests/flows/test_template_limits.py is rendered in one fresh process (a
worker), one after another, three rounds; printed as the table in docs/reliability.md.
"""

from __future__ import annotations

import os
import sys
import time


def _peak_mb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings_test")
    import django

    django.setup()
    from flows.templating import TemplateFailed, render_value
    from tests.flows.test_template_limits import CPU_BOMB, HOSTILE, MEMORY_BOMB

    templates = [t for t, _ in HOSTILE] + [MEMORY_BOMB, CPU_BOMB]
    print(f"baseline peak RSS: {_peak_mb()} MB")
    print("| template | outcome | CPU s (max of 3) | peak RSS after, MB |")
    print("|---|---|---|---|")
    for template in templates:
        cpu = 0.0
        for _ in range(3):
            started = time.process_time()
            try:
                render_value(template, {"event": {}, "vars": {}})
                outcome = "rendered"
            except TemplateFailed as exc:
                outcome = str(exc)
            cpu = max(cpu, time.process_time() - started)
        shown = (template if len(template) < 70 else template[:67] + "...").replace("|", "\\|")
        print(f"| `{shown}` | {outcome[:60]} | {cpu:.3f} | {_peak_mb()} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
