"""A local HTTP server that records every request a flow's api_call sends it.

Threaded, so a request held open (to kill a worker while it waits) does not block others.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    idempotency_key: str
    headers: dict
    body: bytes


class Receiver:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.hold_first: set[str] = set()  # paths whose first request waits for release()
        self._held: set[str] = set()
        self._release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            do_GET = do_PUT = do_POST

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        path = request.path
        with self._lock:
            self.calls.append(
                Call(
                    request.command,
                    path,
                    request.headers.get("Idempotency-Key", ""),
                    dict(request.headers),
                    body,
                )
            )
            hold = path in self.hold_first and path not in self._held
            self._held.add(path) if hold else None
        if hold:
            self._release.wait(60)
        payload = json.dumps({"ok": True}).encode()
        try:
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(payload)))
            request.end_headers()
            request.wfile.write(payload)
        except OSError:
            pass  # the caller is gone (killed while it waited)

    def release(self) -> None:
        self._release.set()

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
