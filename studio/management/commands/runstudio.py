"""Run the web server and a django-q2 cluster together; Ctrl-C stops both."""

from __future__ import annotations

import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the development web server and the task cluster together."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options) -> None:
        # A SIGTERM (a service manager, `timeout`, `kill`) stops both like Ctrl-C does, instead of
        # ending this process at once and leaving the cluster running without its parent.
        signal.signal(signal.SIGTERM, _interrupt)
        manage = [sys.executable, "manage.py"]
        procs = [
            subprocess.Popen([*manage, "qcluster"]),
            subprocess.Popen([*manage, "runserver", f"127.0.0.1:{options['port']}", "--noreload"]),
        ]
        try:
            while all(p.poll() is None for p in procs):
                try:
                    procs[0].wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
