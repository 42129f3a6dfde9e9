"""A server that drips its answer cannot hold a worker: every try of an api_call has one
deadline for connecting, the headers and the body, and FLOW_HTTP_MAX_TOTAL_SECONDS bounds
the node."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


class DrippingServer:
    """Answers every request one byte at a time, `every` seconds apart (headers or body)."""

    def __init__(self, *, drip_headers: bool, every: float = 0.25, total: int = 400) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.drip_headers, self.every, self.total = drip_headers, every, total
        self.connections = 0
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        body = b"x" * self.total
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
        with conn:
            conn.recv(65536)
            try:
                if not self.drip_headers:
                    conn.sendall(head)
                for i in range(len(head) + len(body) if self.drip_headers else len(body)):
                    if self.stopped.is_set():
                        return
                    data = (head + body) if self.drip_headers else body
                    conn.sendall(data[i : i + 1])
                    time.sleep(self.every)
            except OSError:
                return  # the client gave up

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def dripping(request):
    servers = []

    def make(**kwargs) -> DrippingServer:
        server = DrippingServer(**kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def call_flow(bot, url, **config):
    return build_flow(
        bot,
        [
            ("call", "api_call", {"url": url, **config}),
            ("ko", "set_variable", {"name": "outcome", "value": "failure"}),
        ],
        edges=[("start", "next", "call"), ("call", "failure", "ko")],
    )


@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "headers"])
def test_a_dripping_server_is_cut_off_at_the_tries_deadline(bot, run_flow, dripping, settings, drip_headers):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0
    server = dripping(drip_headers=drip_headers)
    # Every byte arrives well within the 1 s timeout; the whole answer would take 100 s.
    run = run_flow(call_flow(bot, f"http://127.0.0.1:{server.port}/drip", timeout_seconds=1, retries=1))
    assert (run.status, run.vars["outcome"]) == ("succeeded", "failure")
    step = run.steps.get(node_key="call")
    assert [a["error"].split(":")[0] for a in step.output["attempts"]] == ["ReadTimeout", "ReadTimeout"]
    assert server.connections == 2


def test_the_node_ends_within_flow_http_max_total_seconds(bot, run_flow, dripping, settings):
    settings.FLOW_HTTP_BACKOFF_SECONDS = 0
    settings.FLOW_HTTP_MAX_TOTAL_SECONDS = 2
    server = dripping(drip_headers=False)
    # 5 retries of 1.5 s would be 9 s: the second try is cut at the node's 2 s, and no third starts.
    run = run_flow(call_flow(bot, f"http://127.0.0.1:{server.port}/drip", timeout_seconds=1.5, retries=5))
    step = run.steps.get(node_key="call")
    assert [a["error"].split(":")[0] for a in step.output["attempts"]] == ["ReadTimeout", "ReadTimeout"]
    assert step.port == "failure" and server.connections == 2
