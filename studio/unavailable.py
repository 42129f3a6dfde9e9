"""A database that cannot be reached answers 503 with Retry-After, never a 500.

During a restart or failover every query fails with OperationalError/InterfaceError. That is
not a bug of the page asked for: clients should try again in a few seconds. The middleware
catches it when a view raises it (the API included: DRF re-raises what it does not handle);
`server_error`, the 500 handler, catches it anywhere else (a middleware, a template) when
DEBUG is off. Broken connections are closed, so the next request opens a fresh one.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error as default_server_error

RETRY_AFTER_SECONDS = 5
MESSAGE = (
    "The service is briefly unavailable (its database cannot be reached). Please try again in a few seconds."
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def unavailable_response(request: HttpRequest) -> HttpResponse:
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Unavailable</title><h1>Back in a moment</h1><p>{MESSAGE}</p>",
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request) if is_database_unavailable(exception) else None


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() has it."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return default_server_error(request, *args, **kwargs)
