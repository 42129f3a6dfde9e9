"""A flow as a whole: validated, saved all-or-nothing, and exported in the shape of API.md."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from flows import nodes
from flows.models import Edge, Flow, Node
from studio.errors import InvalidInput

MAX_NODES = 500
TRIGGER_TYPES = {"event", "conversation", "manual"}


class FlowInvalid(InvalidInput):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        first = next(iter(errors.values()))[0]
        super().__init__(f"The flow is not valid: {first}", errors=errors)


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


def _node_errors(items: Any) -> tuple[list[str], dict[str, Any]]:
    if not isinstance(items, list):
        return ["nodes must be a list"], {}
    if len(items) > MAX_NODES:
        return [f"a flow has at most {MAX_NODES} nodes"], {}
    errors: list[str] = []
    by_key: dict[str, Any] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(f"nodes[{index}] must be an object")
            continue
        key = item.get("key")
        if (
            not isinstance(key, str)
            or not key
            or len(key) > 80
            or not key.replace("-", "").replace("_", "").isalnum()
        ):
            errors.append(f"nodes[{index}].key must be letters, digits, - or _ (at most 80)")
            continue
        if key in by_key:
            errors.append(f"node {key!r}: the key is used twice")
            continue
        node_type = nodes.get(item.get("type")) if isinstance(item.get("type"), str) else None
        if node_type is None:
            errors.append(f"node {key!r}: unknown type {item.get('type')!r}")
            continue
        errors += [f"node {key!r}: config.{m}" for m in node_type.validate(item.get("config", {}))]
        position = item.get("position", {})
        if not isinstance(position, dict) or not all(
            isinstance(position.get(axis, 0), (int, float))
            and not isinstance(position.get(axis, 0), bool)
            and abs(position.get(axis, 0)) < 1e9
            for axis in ("x", "y")
        ):
            errors.append(f'node {key!r}: position must be {{"x": number, "y": number}}')
        by_key[key] = node_type
    starts = [k for k, t in by_key.items() if t.name == "start"]
    if not errors and len(starts) != 1:
        errors.append(f"a flow needs exactly one start node, it has {len(starts)}")
    return errors, by_key


def _edge_errors(items: Any, by_key: dict[str, Any]) -> list[str]:
    if not isinstance(items, list):
        return ["edges must be a list"]
    errors: list[str] = []
    used: set[tuple[str, str]] = set()
    for index, edge in enumerate(items):
        if not isinstance(edge, dict) or not all(
            isinstance(edge.get(f), str) for f in ("source", "port", "target")
        ):
            errors.append(f"edges[{index}] needs source, port and target as strings")
            continue
        source, port, target = edge["source"], edge["port"], edge["target"]
        if source not in by_key:
            errors.append(f"edges[{index}]: source node {source!r} does not exist")
        elif port not in by_key[source].ports:
            errors.append(
                f"edges[{index}]: node {source!r} ({by_key[source].name}) has no port {port!r};"
                f" its ports are {', '.join(by_key[source].ports) or 'none'}"
            )
        elif (source, port) in used:
            errors.append(f"edges[{index}]: port {source}.{port} already has an edge")
        if target not in by_key:
            errors.append(f"edges[{index}]: target node {target!r} does not exist")
        used.add((source, port))
    return errors


def validate(data: dict[str, Any]) -> None:
    """Raise FlowInvalid naming every problem; return quietly when the flow can be saved."""
    if not isinstance(data, dict):
        raise FlowInvalid({"flow": ["a flow must be a JSON object"]})
    errors: dict[str, list[str]] = {}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        errors["name"] = ["a name of 1 to 120 characters is required"]
    if trigger_errors := _trigger_errors(data.get("trigger", {"type": "manual"})):
        errors["trigger"] = trigger_errors
    node_errors, by_key = _node_errors(data.get("nodes", []))
    if node_errors:
        errors["nodes"] = node_errors
    elif edge_errors := _edge_errors(data.get("edges", []), by_key):
        errors["edges"] = edge_errors
    if errors:
        raise FlowInvalid(errors)


@transaction.atomic
def save_flow(*, bot, data: dict[str, Any], flow: Flow | None = None) -> Flow:
    """Create or replace a flow whole: its fields, nodes and edges, or nothing at all."""
    validate(data)
    trigger = data.get("trigger", {"type": "manual"})
    if flow is None:
        flow = Flow(bot=bot)
    flow.name = data["name"].strip()
    flow.description = data.get("description", flow.description or "") or ""
    flow.is_active = bool(data.get("is_active", True))
    flow.trigger_type = trigger["type"]
    flow.trigger_event = trigger.get("event", "") if trigger["type"] == "event" else ""
    flow.trigger_keywords = trigger.get("keywords", []) if trigger["type"] == "conversation" else []
    flow.save()
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
    return flow


def flow_to_dict(flow: Flow) -> dict[str, Any]:
    node_list = list(flow.nodes.all())
    keys = {n.pk: n.key for n in node_list}
    return {
        "id": flow.pk,
        "bot": flow.bot_id,
        "name": flow.name,
        "description": flow.description,
        "is_active": flow.is_active,
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
        ],
    }
