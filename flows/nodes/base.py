"""What every node type declares, and what executing one returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Context:
    """What a node sees while it executes: its run, and the data its templates read."""

    run: Any  # flows.models.FlowRun (with flow, bot, ticket and conversation loaded)
    node_key: str
    seq: int  # the step number this execution will be recorded as
    data: dict[str, Any]  # event, ticket, customer, conversation, vars

    @property
    def bot(self):
        return self.run.flow.bot

    @property
    def vars(self) -> dict[str, Any]:
        return self.data["vars"]

    @property
    def step_id(self) -> str:
        """Stable for this step across retries and a crashed worker's redo (not across replays)."""
        return f"run-{self.run.pk}-{self.node_key}-{self.seq}"

    def render(self, value: Any) -> Any:
        from flows.templating import render_value

        return render_value(value, self.data)

    def text(self, source: str) -> str:
        from flows.templating import render_text

        return render_text(source, self.data)

    def evaluate(self, expression: str) -> Any:
        from flows.templating import evaluate

        return evaluate(expression, self.data)


@dataclass(frozen=True)
class NodeType:
    name: str
    label: str
    ports: tuple[str, ...]
    config_schema: dict[str, Any]
    execute: Callable[..., Outcome]
    description: str = ""
    # The builder's palette groups types by family: messages, prompts, actions or logic.
    family: str = "actions"
    # Extra checks beyond the schema (e.g. template syntax); returns messages.
    check: Callable[[dict[str, Any]], list[str]] | None = None
    # Leaving a waiting node when the run resumes by `port` (e.g. a question saving the
    # reply); None means: leave by that port with nothing else to do.
    resume: Callable[..., Outcome] | None = None
    # True when executing the node has no effect outside the run (no row written, no
    # message, no call, no task): the engine may then buffer its step and write it with the
    # next checkpoint, because a crashed worker redoing it changes nothing. A callable
    # decides per config (a database `find` is pure, an `insert` is not). Default: not pure,
    # so a new node type is checkpointed until it says otherwise.
    pure: bool | Callable[[dict[str, Any]], bool] = False
    # True when the node's only effects are writes to the studio's own database (no call,
    # message, task or on_commit hook): the engine then runs it inside the transaction that
    # records its step, so the rows and the step commit together or not at all.
    atomic: bool | Callable[[dict[str, Any]], bool] = False
    # In a dry (test) run, instead of `execute` for a node that is not pure: renders what the
    # node would send or do, without doing it (Outcome.outputs; Outcome.vars stand in for
    # what it would have saved). Its port is `success_port` unless the user picked another.
    preview: Callable[..., Outcome] | None = None
    # The port a dry run leaves by; None: the first of success, next, sent, ticket_closed,
    # answered that the type has.
    success_port: str | None = None

    def is_pure(self, config: dict[str, Any]) -> bool:
        return self.pure(config) if callable(self.pure) else bool(self.pure)

    def is_atomic(self, config: dict[str, Any]) -> bool:
        return self.atomic(config) if callable(self.atomic) else bool(self.atomic)

    def validate(self, config: Any) -> list[str]:
        return [f"{path}: {message}" if path else message for path, message in self.problems(config)]

    def problems(self, config: Any) -> list[tuple[str, str]]:
        """(path, message) per problem; the path's first part is the config field, so the
        builder can show the problem next to it ("" when it is about the whole config)."""
        if not isinstance(config, dict):
            return [("", "config must be an object")]
        if shape_error := _shape_error(config):
            return [tuple(shape_error.split(": ", 1))]  # before anything recursive walks it
        validator = jsonschema.Draft202012Validator(self.config_schema)
        problems = [
            (".".join(str(p) for p in e.absolute_path) or "config", e.message)
            for e in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
        ]
        if not problems and self.check is not None:
            problems.extend(
                tuple(m.split(": ", 1)) if ": " in m else ("config", m) for m in self.check(config)
            )
        return problems


def template_check(*fields: str, expressions: tuple[str, ...] = ()) -> Callable[[dict[str, Any]], list[str]]:
    """A `check` that compiles the templates in `fields` (and `expressions`) at save time."""

    def check(config: dict[str, Any]) -> list[str]:
        from flows.templating import syntax_errors

        errors = [f"{f}: {m}" for f in fields if f in config for m in syntax_errors(config[f])]
        errors += [
            f"{f}: {m}" for f in expressions if f in config for m in syntax_errors(config[f], expression=True)
        ]
        return errors

    return check


MAX_CONFIG_DEPTH = 20  # as deep as templating renders a value (templating.MAX_DEPTH)
MAX_CONFIG_ITEMS = 10_000


def _shape_error(config: dict[str, Any]) -> str | None:
    """Refuse configs nested too deep or too big for the recursive checks (a JSON value 5,000
    levels deep made the schema and template checks hit Python's recursion limit)."""
    pending = [(value, 2, str(key)) for key, value in config.items()]
    items = len(pending)
    while pending:
        value, depth, field = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        if children and depth >= MAX_CONFIG_DEPTH:
            return f"{field}: nests deeper than {MAX_CONFIG_DEPTH} levels"
        for child in children:
            items += 1
            if items > MAX_CONFIG_ITEMS:
                return f"{field}: more than {MAX_CONFIG_ITEMS} values"
            pending.append((child, depth + 1, field))
    return None
