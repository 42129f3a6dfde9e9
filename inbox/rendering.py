"""How the inbox renders templates (canned responses) without importing flows.

The inbox sits below flows, and the Jinja sandbox lives in flows.templating. Flows installs
its sandbox here when the app registry is ready (flows.apps), so canned responses render in
the very sandbox flows use, with its limits, while the inbox never imports flows. Until one
is installed (the inbox alone), templates are refused rather than rendered unsandboxed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.errors import InvalidInput

Render = Callable[[str, dict[str, Any]], str]
Check = Callable[[str], list[str]]

_render: Render | None = None
_check: Check | None = None


def install(render: Render, check: Check) -> None:
    """Called once by the layer that owns the sandbox (flows)."""
    global _render, _check
    _render, _check = render, check


def render(source: str, data: dict[str, Any]) -> str:
    if _render is None:
        raise InvalidInput("No template sandbox is installed.", field="text")
    try:
        return _render(source, data)
    except Exception as exc:  # the sandbox's refusal (TemplateFailed), shown to the agent
        raise InvalidInput(f"The template cannot be rendered: {exc}", field="text") from exc


def problems(source: str) -> list[str]:
    return _check(source) if _check is not None else []
