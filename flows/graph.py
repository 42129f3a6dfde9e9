"""A flow as a whole: validated, saved all-or-nothing, and exported in the shape of API.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from flows import nodes
from flows.models import Edge, Flow, Node
from studio.errors import InvalidInput

MAX_NODES = 500
TRIGGER_TYPES = {"event", "conversation", "manual"}


class FlowInvalid(InvalidInput):
    def __init__(self, errors: dict[str, list[str]], problems: list[dict[str, Any]] | None = None) -> None:
        first = next(iter(errors.values()))[0]
        super().__init__(f"The flow is not valid: {first}", errors=errors)
        self.problems = problems or []


@dataclass
class Problem:
    """One reason a graph cannot be published, placed where the builder can show it."""

    section: str  # name, trigger, nodes or edges: the key of FlowInvalid.errors
    text: str  # the full sentence, as FlowInvalid.errors lists it
    node: str | None = None  # the node key it belongs to
    field: str | None = None  # the config field (or "key", "type", "position", "trigger")
    message: str | None = None  # the sentence without the node's name, for the node's panel
    edge: int | None = None  # the index of the edge it belongs to

    def as_dict(self) -> dict[str, Any]:
        data = {"node": self.node, "field": self.field, "message": self.message or self.text}
        if self.edge is not None:
            data["edge"] = self.edge
        return data


REQUIRED = re.compile(r"^'([^']+)' is a required property$")


def _trigger_errors(trigger: Any) -> list[str]:
    if (
        not isinstance(trigger, dict)
        or not isinstance(trigger.get("type"), str)
        or trigger["type"] not in TRIGGER_TYPES
    ):
        return ["trigger.type must be one of event, conversation, manual"]
    if trigger["type"] == "event":
        event = trigger.get("event")
        if not isinstance(event, str) or not event.strip() or len(event) > 80:
            return ["trigger.event must name an event key, e.g. ticket-closed"]
    if trigger["type"] == "conversation":
        keywords = trigger.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            return ["trigger.keywords must be a list of strings"]
    return []


def _config_problem(key: str, path: str, message: str) -> Problem:
    field = path.split(".")[0] if path and path != "config" else None
    if field is None and (required := REQUIRED.match(message)):
        field = required.group(1)
    shown = f"{path}: {message}" if path else message
    return Problem("nodes", f"node {key!r}: config.{shown}", node=key, field=field, message=message)


def _node_problems(items: Any) -> tuple[list[Problem], dict[str, Any]]:
    if not isinstance(items, list):
        return [Problem("nodes", "nodes must be a list")], {}
    if len(items) > MAX_NODES:
        return [Problem("nodes", f"a flow has at most {MAX_NODES} nodes")], {}
    problems: list[Problem] = []
    by_key: dict[str, Any] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(Problem("nodes", f"nodes[{index}] must be an object"))
            continue
        key = item.get("key")
        if (
            not isinstance(key, str)
            or not key
            or len(key) > 80
            or not key.replace("-", "").replace("_", "").isalnum()
        ):
            text = f"nodes[{index}].key must be letters, digits, - or _ (at most 80)"
            node = key if isinstance(key, str) and key else None
            problems.append(Problem("nodes", text, node=node, field="key", message=text.split(".", 1)[1]))
            continue
        if key in by_key:
            problems.append(Problem("nodes", f"node {key!r}: the key is used twice", node=key, field="key"))
            continue
        node_type = nodes.get(item.get("type")) if isinstance(item.get("type"), str) else None
        if node_type is None:
            text = f"node {key!r}: unknown type {item.get('type')!r}"
            problems.append(Problem("nodes", text, node=key, field="type", message=text.split(": ", 1)[1]))
            continue
        problems += [_config_problem(key, path, m) for path, m in node_type.problems(item.get("config", {}))]
        position = item.get("position", {})
        if not isinstance(position, dict) or not all(
            isinstance(position.get(axis, 0), (int, float))
            and not isinstance(position.get(axis, 0), bool)
            and abs(position.get(axis, 0)) < 1e9
            for axis in ("x", "y")
        ):
            text = f'node {key!r}: position must be {{"x": number, "y": number}}'
            problems.append(
                Problem("nodes", text, node=key, field="position", message=text.split(": ", 1)[1])
            )
        by_key[key] = node_type
    starts = [k for k, t in by_key.items() if t.name == "start"]
    if not problems and len(starts) != 1:
        problems.append(Problem("nodes", f"a flow needs exactly one start node, it has {len(starts)}"))
    return problems, by_key


def _edge_problems(items: Any, by_key: dict[str, Any]) -> list[Problem]:
    if not isinstance(items, list):
        return [Problem("edges", "edges must be a list")]
    problems: list[Problem] = []
    used: set[tuple[str, str]] = set()
    for index, edge in enumerate(items):
        if not isinstance(edge, dict) or not all(
            isinstance(edge.get(f), str) for f in ("source", "port", "target")
        ):
            problems.append(
                Problem("edges", f"edges[{index}] needs source, port and target as strings", edge=index)
            )
            continue
        source, port, target = edge["source"], edge["port"], edge["target"]
        node = source if source in by_key else None

        def add(text: str, field: str, node: str | None = node) -> None:
            problems.append(
                Problem("edges", f"edges[{index}]: {text}", node=node, field=field, message=text, edge=index)
            )

        if source not in by_key:
            add(f"source node {source!r} does not exist", "source")
        elif port not in by_key[source].ports:
            add(
                f"node {source!r} ({by_key[source].name}) has no port {port!r};"
                f" its ports are {', '.join(by_key[source].ports) or 'none'}",
                "port",
            )
        elif (source, port) in used:
            add(f"port {source}.{port} already has an edge", "port")
        if target not in by_key:
            add(f"target node {target!r} does not exist", "target")
        used.add((source, port))
    return problems


def graph_problems(data: Any, *, name: Any = "flow") -> list[Problem]:
    """Every problem of a graph ({"trigger", "nodes", "edges"}) and of the flow's `name`."""
    if not isinstance(data, dict):
        return [Problem("flow", "a flow must be a JSON object")]
    problems: list[Problem] = []
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        problems.append(Problem("name", "a name of 1 to 120 characters is required", field="name"))
    for text in _trigger_errors(data.get("trigger", {"type": "manual"})):
        problems.append(Problem("trigger", text, field="trigger"))
    node_problems, by_key = _node_problems(data.get("nodes", []))
    problems += node_problems or _edge_problems(data.get("edges", []), by_key)
    return problems


def raise_problems(problems: list[Problem]) -> None:
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.section, []).append(problem.text)
        raise FlowInvalid(errors, [p.as_dict() for p in problems])


def validate(data: dict[str, Any]) -> None:
    """Raise FlowInvalid naming every problem; return quietly when the flow can be saved."""
    if not isinstance(data, dict):
        raise FlowInvalid({"flow": ["a flow must be a JSON object"]})
    raise_problems(graph_problems(data, name=data.get("name")))


def _position(value: Any) -> Any:
    # Whole pixels, as the Node rows hold them; anything else is left for validation to name.
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e9:
        return int(value)
    return value


def normalize(data: Any) -> Any:
    """The graph part of a flow, {"trigger", "nodes", "edges"}, in the one shape versions and
    drafts are stored and compared in. Unknown keys are dropped; wrong types are kept for
    validation to name."""
    if not isinstance(data, dict):
        return data
    nodes_in, edges_in = data.get("nodes", []), data.get("edges", [])
    nodes_out: Any = nodes_in
    if isinstance(nodes_in, list):
        nodes_out = []
        for n in nodes_in:
            if isinstance(n, dict):
                position = n.get("position") if n.get("position") is not None else {}
                if isinstance(position, dict):
                    position = {axis: _position(position.get(axis, 0)) for axis in ("x", "y")}
                n = {
                    "key": n.get("key"),
                    "type": n.get("type"),
                    "config": n.get("config", {}),
                    "position": position,
                }
            nodes_out.append(n)
    edges_out: Any = edges_in
    if isinstance(edges_in, list):
        edges_out = [
            {f: e.get(f) for f in ("source", "port", "target")} if isinstance(e, dict) else e
            for e in edges_in
        ]
    trigger = data.get("trigger") if data.get("trigger") is not None else {"type": "manual"}
    return {"trigger": _trigger(trigger), "nodes": nodes_out, "edges": edges_out}


def _trigger(trigger: Any) -> Any:
    """The trigger as Flow.trigger shows it: only its type's fields (keywords default [])."""
    if not isinstance(trigger, dict) or _trigger_errors(trigger):
        return trigger
    if trigger["type"] == "event":
        return {"type": "event", "event": trigger["event"]}
    if trigger["type"] == "conversation":
        return {"type": "conversation", "keywords": list(trigger.get("keywords", []))}
    return {"type": "manual"}


@transaction.atomic
def save_flow(*, bot, data: dict[str, Any], flow: Flow | None = None, user=None, note: str = "") -> Flow:
    """Create or replace a flow whole and publish it: its fields, and its graph as the draft
    and a new version (when the graph differs from the published one), or nothing at all."""
    from flows import versions

    validate(data)
    if flow is None:
        flow = Flow(bot=bot)
    flow.name = data["name"].strip()
    flow.description = data.get("description", flow.description or "") or ""
    flow.is_active = bool(data.get("is_active", True))
    flow.save()
    new_graph = normalize(data)
    if flow.published_version_id is None or versions.published_graph(flow) != new_graph:
        versions.publish_graph(flow, new_graph, user=user, note=note, set_draft=True)
    return flow


def write_tables(flow: Flow, data: dict[str, Any], *, also: tuple[str, ...] = ()) -> None:
    """Copy a valid graph into the flow's trigger columns and Node and Edge rows (saving the
    flow's fields named in `also` with them)."""
    trigger = data.get("trigger", {"type": "manual"})
    flow.trigger_type = trigger["type"]
    flow.trigger_event = trigger.get("event", "") if trigger["type"] == "event" else ""
    flow.trigger_keywords = trigger.get("keywords", []) if trigger["type"] == "conversation" else []
    flow.save(update_fields=["trigger_type", "trigger_event", "trigger_keywords", "updated_at", *also])
    flow.edges.all().delete()
    flow.nodes.all().delete()
    created = Node.objects.bulk_create(
        [
            Node(
                flow=flow,
                key=n["key"],
                type=n["type"],
                config=n.get("config", {}),
                position_x=int(n.get("position", {}).get("x", 0)),
                position_y=int(n.get("position", {}).get("y", 0)),
            )
            for n in data.get("nodes", [])
        ]
    )
    if any(node.pk is None for node in created):  # backends that do not return ids
        created = list(flow.nodes.all())
    ids = {node.key: node.pk for node in created}
    Edge.objects.bulk_create(
        [
            Edge(flow=flow, source_id=ids[e["source"]], port=e["port"], target_id=ids[e["target"]])
            for e in data.get("edges", [])
        ]
    )


def tables_graph(flow: Flow) -> dict[str, Any]:
    """The graph held by the flow's trigger columns and Node and Edge rows."""
    node_list = list(flow.nodes.all())
    keys = {n.pk: n.key for n in node_list}
    return {
        "trigger": flow.trigger,
        "nodes": [
            {
                "key": n.key,
                "type": n.type,
                "config": n.config,
                "position": {"x": n.position_x, "y": n.position_y},
            }
            for n in node_list
        ],
        "edges": [
            {"source": keys[e.source_id], "port": e.port, "target": keys[e.target_id]}
            for e in flow.edges.all()
            if e.source_id in keys and e.target_id in keys
        ],
    }


def flow_to_dict(flow: Flow) -> dict[str, Any]:
    """The flow in the shape of API.md, with its published graph (its draft until it has one)."""
    from flows import versions

    graph = versions.published_graph(flow) or versions.draft_of(flow)
    return {
        "id": flow.pk,
        "bot": flow.bot_id,
        "name": flow.name,
        "description": flow.description,
        "is_active": flow.is_active,
        "trigger": graph["trigger"],
        "nodes": graph["nodes"],
        "edges": graph["edges"],
    }
