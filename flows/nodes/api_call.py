"""Calls an HTTP API: success (2xx) or failure ports, response saved under vars[save_as].

Every try has a deadline, `timeout_seconds`, for all of it: connecting, sending, the headers
and the body. httpx's own timeouts apply to each network operation, so a server dripping a
byte every two seconds would never trip a 3 s read timeout; here every socket operation waits
at most until the try's deadline (a network backend that clamps each timeout, below). The
tries and the backoff between them stay within FLOW_HTTP_MAX_TOTAL_SECONDS.
Connection errors, 429 and 5xx are retried with exponential backoff.
The Idempotency-Key (and, when signing, the webhook-id) is derived from the run, the node and
the step number, so it is the same on every retry and when a crashed worker redoes the step:
the receiver can tell a retry from a new call. A call that still fails leaves by `failure`
with the error in the step; the flow handles it through that port's edge (with no edge the
engine fails the run).
"""

from __future__ import annotations

import contextvars
import json
import os
import re
import ssl
import time
from collections import OrderedDict
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

import httpcore
import httpx
from django.conf import settings
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from flows.nodes.base import Context, NodeType, Outcome, template_check
from flows.outbound import OutboundRefused, check

MAX_RESPONSE_BYTES = 1024 * 1024
PREVIEW_CHARS = 2000
SECRET_NAME = re.compile(r"auth|token|secret|key|signature|cookie|password|session", re.I)
NOT_SECRET = {"idempotency-key", "webhook-id", "webhook-timestamp"}
RETRY_STATUSES = {429, 500, 502, 503, 504}


class _Retryable(Exception):
    def __init__(self, message: str, response: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.response = response


def redact(headers: dict[str, str]) -> dict[str, str]:
    """Header values that may be credentials never reach a step (the run page shows steps)."""
    return {
        k: ("[redacted]" if SECRET_NAME.search(k) and k.lower() not in NOT_SECRET else v)
        for k, v in headers.items()
    }


@lru_cache(maxsize=1024)  # a flow calls the same few URLs: parsing one is most of this
def redact_url(url: str) -> str:
    """Query parameters named like credentials (`?api_key=...`) are shown as [redacted]."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return url
    params = [(k, "[redacted]" if SECRET_NAME.search(k) else v) for k, v in parsed.params.multi_items()]
    return str(parsed.copy_with(params=params)) if params else url


def _encode(body: Any) -> tuple[bytes | None, str | None]:
    if body is None:
        return None, None
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), "application/json"


def _has(headers: dict[str, str], name: str) -> bool:
    return any(k.lower() == name.lower() for k in headers)


def _signature_headers(secret: str, msg_id: str, content: bytes | None) -> dict[str, str]:
    from standardwebhooks import Webhook

    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, now, (content or b"").decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def _read(response: httpx.Response) -> dict[str, Any]:
    raw, truncated = b"", False
    for chunk in response.iter_bytes():
        raw += chunk
        if len(raw) > MAX_RESPONSE_BYTES:  # keep memory bounded whatever the server sends
            raw, truncated = raw[:MAX_RESPONSE_BYTES], True
            break
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    try:
        body: Any = json.loads(text) if text and not truncated else (text or None)
    except ValueError:
        body = text
    return {"status": response.status_code, "headers": dict(response.headers), "body": body}


# The monotonic time the current try must end by; None outside a try.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("api_call_deadline", default=None)


def _clamp(timeout: float | None) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("the try's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the try's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._backend.connect_tcp(host, port, _clamp(timeout), local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(path, _clamp(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=_ssl_context(), trust_env=False)
    # httpx does not take a network backend; its pool is rebuilt with ours (same settings).
    transport._pool = httpcore.ConnectionPool(ssl_context=_ssl_context(), network_backend=_DeadlineBackend())
    return transport


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing. A client serves every run, flow and bot that calls its host,
    so a cookie one call received would ride along with the next (another bot's session);
    and parsing Set-Cookie through http.cookiejar cost ~0.1 ms a call. A flow that needs a
    cookie sends it as a header."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _Client(httpx.Client):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _NoCookies()  # httpx's own jar, replaced before any request


CLIENTS_PER_PROCESS = 64
_clients: OrderedDict[tuple[str, str], httpx.Client] = OrderedDict()
_clients_pid = [0]


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~30 ms: once per process, not once per call.
    return httpx.create_ssl_context()


def client_for(target) -> httpx.Client:
    """A keep-alive client per process and host name (LRU, closed when evicted).

    The URL carries the checked address, so the pool (keyed by address and port) only ever
    connects where the SSRF guard said. One client per *name* keeps a TLS connection
    verified for one name (SNI) from carrying a request for another name on the same address.
    """
    if _clients_pid[0] != os.getpid():  # never share connections across a fork
        _clients.clear()
        _clients_pid[0] = os.getpid()
    key = (target.url.scheme, target.host_header.lower())
    client = _clients.get(key)
    if client is not None:
        _clients.move_to_end(key)
        return client
    client = _clients[key] = _Client(transport=_transport(), follow_redirects=False, trust_env=False)
    while len(_clients) > CLIENTS_PER_PROCESS:
        _clients.popitem(last=False)[1].close()
    return client


def _try(
    ctx: Context, request: dict[str, Any], attempts: list[dict[str, Any]], node_deadline: float
) -> dict[str, Any]:
    if node_deadline - time.monotonic() <= 0:
        raise _Retryable(
            f"no time left within FLOW_HTTP_MAX_TOTAL_SECONDS ({settings.FLOW_HTTP_MAX_TOTAL_SECONDS} s)"
        )
    target = check(request["url"])  # resolved again on every try: DNS answers change
    headers = {**request["headers"], "Host": target.host_header}
    if request["sign"]:
        headers.update(_signature_headers(ctx.bot.webhook_secret, ctx.step_id, request["content"]))
    started = time.perf_counter()
    record: dict[str, Any] = {"attempt": len(attempts) + 1}
    attempts.append(record)
    token = _deadline.set(min(time.monotonic() + request["timeout"], node_deadline))
    try:
        with client_for(target).stream(
            request["method"],
            target.url,
            headers=headers,
            content=request["content"],
            timeout=request["timeout"],
            extensions=target.extensions,
        ) as response:
            result = _read(response)
    except httpx.HTTPError as exc:
        record.update(error=f"{type(exc).__name__}: {exc}", duration_ms=_ms(started))
        raise _Retryable(record["error"]) from exc
    finally:
        _deadline.reset(token)
    record.update(status=result["status"], duration_ms=_ms(started))
    if result["status"] in RETRY_STATUSES:
        raise _Retryable(f"HTTP {result['status']}", result)
    return result


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _send(ctx: Context, request: dict[str, Any], retries: int, attempts: list) -> dict[str, Any]:
    """All tries and the waits between them end by FLOW_HTTP_MAX_TOTAL_SECONDS."""
    node_deadline = time.monotonic() + settings.FLOW_HTTP_MAX_TOTAL_SECONDS
    backoff = wait_exponential(multiplier=settings.FLOW_HTTP_BACKOFF_SECONDS, max=10)

    def wait(retry_state) -> float:
        return max(0.0, min(backoff(retry_state), node_deadline - time.monotonic()))

    def out_of_time(retry_state) -> bool:
        return time.monotonic() >= node_deadline

    retrying = Retrying(
        stop=stop_after_attempt(retries + 1) | out_of_time,
        wait=wait,
        retry=retry_if_exception_type(_Retryable),
        reraise=True,
    )
    return retrying(_try, ctx, request, attempts, node_deadline)


def _preview(result: dict[str, Any]) -> dict[str, Any]:
    body = result["body"]
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    return {"status": result["status"], "headers": redact(result["headers"]), "body": text[:PREVIEW_CHARS]}


def execute(ctx: Context, config: dict) -> Outcome:
    headers = {str(k): ctx.text(v) for k, v in (config.get("headers") or {}).items()}
    content, content_type = _encode(ctx.render(config["body"]) if "body" in config else None)
    if content_type and not _has(headers, "Content-Type"):
        headers["Content-Type"] = content_type
    if not _has(headers, "Idempotency-Key"):
        headers["Idempotency-Key"] = ctx.step_id
    request = {
        "method": config.get("method", "GET").upper(),
        "url": ctx.text(config["url"]).strip(),
        "headers": headers,
        "content": content,
        "timeout": float(config.get("timeout_seconds", 10)),
        "sign": bool(config.get("sign")),
    }
    outputs: dict[str, Any] = {
        "request": {
            "method": request["method"],
            "url": redact_url(request["url"]),
            "headers": redact(headers),
        },
        "attempts": [],
    }
    save_as = config.get("save_as")
    try:
        result = _send(ctx, request, int(config.get("retries", 2)), outputs["attempts"])
    except OutboundRefused as exc:
        return Outcome(port="failure", outputs={**outputs, "error": f"refused: {exc}"})
    except _Retryable as exc:
        saved = {save_as: exc.response} if save_as and exc.response else {}
        return Outcome(port="failure", vars=saved, outputs={**outputs, "error": f"gave up: {exc}"})
    outputs["response"] = _preview(result)
    port = "success" if 200 <= result["status"] < 300 else "failure"
    if port == "failure":
        outputs["error"] = f"HTTP {result['status']}"
    return Outcome(port=port, vars={save_as: result} if save_as else {}, outputs=outputs)


def preview(ctx: Context, config: dict) -> Outcome:
    headers = {str(k): ctx.text(v) for k, v in (config.get("headers") or {}).items()}
    body = ctx.render(config["body"]) if "body" in config else None
    request = {
        "method": config.get("method", "GET").upper(),
        "url": redact_url(ctx.text(config["url"]).strip()),
        "headers": redact(headers),
        "body": body,
        "sign": bool(config.get("sign")),
    }
    save_as = config.get("save_as")
    stand_in = {"status": 200, "headers": {}, "body": None}
    return Outcome(outputs={"request": request}, vars={save_as: stand_in} if save_as else {})


NODE = NodeType(
    name="api_call",
    label="API call",
    family="actions",
    ports=("success", "failure"),
    config_schema={
        "type": "object",
        "properties": {
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]},
            "url": {"type": "string", "minLength": 1, "maxLength": 2000},
            "headers": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 4000}},
            "body": {},
            "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
            "retries": {"type": "integer", "minimum": 0, "maximum": 5},
            "save_as": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
            "sign": {"type": "boolean"},
        },
        "required": ["url"],
        "additionalProperties": False,
    },
    execute=execute,
    preview=preview,
    check=template_check("url", "headers", "body"),
    description="Calls an HTTP API with a timeout and retries; saves the response.",
)
