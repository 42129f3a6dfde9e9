"""A local HTTP receiver for benchmarks: answers 200 to every POST and counts what it saw.

GET /stats -> {"requests": n, "distinct_keys": k, "duplicates": d}
GET /arrivals -> {"<n>": [first arrival (epoch seconds), times seen]} for bodies {"n": <n>, ...}
(bench.events: the time each event's call arrived, and whether any arrived twice).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SEEN: dict[str, int] = {}
COUNT = [0]
ARRIVALS: dict[str, list] = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (~20-40 ms per request on loopback), which measured the receiver,
    # not the studio.
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # quiet
        pass

    def _reply(self, body: bytes, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        now = time.time()
        n = None
        if body.startswith(b'{"n"'):
            try:
                n = str(json.loads(body)["n"])
            except (ValueError, KeyError, TypeError):
                n = None
        key = self.headers.get("Idempotency-Key") or f"anon-{COUNT[0]}"
        with LOCK:
            COUNT[0] += 1
            SEEN[key] = SEEN.get(key, 0) + 1
            if n is not None:
                seen = ARRIVALS.setdefault(n, [now, 0])
                seen[1] += 1
        self._reply(b'{"ok": true}')

    def do_GET(self) -> None:
        if self.path.startswith("/arrivals"):
            with LOCK:
                body = json.dumps(ARRIVALS).encode()
            self._reply(body)
            return
        with LOCK:
            stats = {
                "requests": COUNT[0],
                "distinct_keys": len(SEEN),
                "duplicates": sum(n - 1 for n in SEEN.values() if n > 1),
            }
        self._reply(json.dumps(stats).encode())

    def do_DELETE(self) -> None:
        with LOCK:
            SEEN.clear()
            ARRIVALS.clear()
            COUNT[0] = 0
        self._reply(b"{}")


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
