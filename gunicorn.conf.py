"""gunicorn settings for the studio (`gunicorn studio.wsgi` reads this file from the
working directory). Measured choices: docs/performance.md.

WEB_WORKERS (processes) and WEB_THREADS (threads per process) override the defaults.
"""

from __future__ import annotations

import os

cores = os.cpu_count() or 1
# gthread keeps client connections alive (the sync worker closes each after one request,
# so an API client pays a new TCP connection per call); a few threads per process overlap
# one request's database waits with another's Python work.
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_WORKERS", cores))
threads = int(os.environ.get("WEB_THREADS", 4))
keepalive = 5
