"""Response headers and access rules that hold on every page.

Content-Security-Policy: scripts only from our own files (no inline script, no eval), so an
injected `<script>` or `onclick=` does nothing even if some escaping were missed. Styles
allow inline attributes: the admin and Mermaid's SVG use them, and a style cannot run code.
Written by this middleware on Django 5.2 and 6.x alike (6.0's own CSP middleware is not
needed); a view that sets its own header keeps it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class LoggedInUnlessDebug(BasePermission):
    """The API schema is public while developing (DEBUG), and needs a login in production."""

    def has_permission(self, request, view) -> bool:
        return settings.DEBUG or bool(request.user and request.user.is_authenticated)


def login_unless_debug(view):
    """The same for an HTML page (the API docs): anonymous visitors go to the login page."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.DEBUG and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped
