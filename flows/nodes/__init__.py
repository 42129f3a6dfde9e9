"""The registry of node types: one module per type in this package, each exposing NODE."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from flows.nodes.base import Context, NodeError, NodeType, Outcome

__all__ = ["Context", "NodeError", "NodeType", "Outcome", "get", "registry"]


@cache
def registry() -> dict[str, NodeType]:
    types: dict[str, NodeType] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base" or module.name.startswith("_"):
            continue
        node = getattr(importlib.import_module(f"{__name__}.{module.name}"), "NODE", None)
        if isinstance(node, NodeType):
            types[node.name] = node
    return dict(sorted(types.items()))


def get(name: str) -> NodeType | None:
    return registry().get(name)
