"""What every node type declares, and what executing one returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import jsonschema


@dataclass(frozen=True)
class Outcome:
    """The result of executing a node.

    `port`: the output port to leave by (its edge leads to the next node, none ends the run).
    `wait`: instead of a port, the run pauses until something resumes it (FlowRun.Waiting),
    and continues from this node's `resume_port`.
    """

    port: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)  # merged into the run's vars
    wait: str | None = None
    wait_until: Any = None  # datetime, for wait == "delay"
    links: dict[str, Any] = field(default_factory=dict)  # e.g. {"ticket_id": 7}


class NodeError(Exception):
    """A node failed; the run fails with this message (naming the node)."""


@dataclass(frozen=True)
class NodeType:
    name: str
    label: str
    ports: tuple[str, ...]
    config_schema: dict[str, Any]
    execute: Callable[..., Outcome]
    description: str = ""
    # Extra checks beyond the schema (e.g. template syntax); returns messages.
    check: Callable[[dict[str, Any]], list[str]] | None = None

    def validate(self, config: Any) -> list[str]:
        if not isinstance(config, dict):
            return ["config must be an object"]
        validator = jsonschema.Draft202012Validator(self.config_schema)
        errors = [
            f"{'.'.join(str(p) for p in e.absolute_path) or 'config'}: {e.message}"
            for e in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
        ]
        if not errors and self.check is not None:
            errors.extend(self.check(config))
        return errors
