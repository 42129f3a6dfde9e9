"""Dry runs: a test run's nodes with effects outside the run say what they would do.

A node type that is not pure (it calls, sends, writes rows, creates tickets or waits) is not
executed in a dry run; its `preview` renders what it would have sent (templates errors fail
the run as they would for real) and it leaves by its success port, or by the port the user
picked for that node. Pure nodes (start, condition, set_variable, database find, end) run.
"""

from __future__ import annotations

from typing import Any

from flows.nodes.base import Context, NodeError, NodeType, Outcome

SUCCESS_PORTS = ("success", "next", "sent", "ticket_closed", "answered")


def success_port(node_type: NodeType) -> str | None:
    if node_type.success_port:
        return node_type.success_port
    return next(
        (p for p in SUCCESS_PORTS if p in node_type.ports), node_type.ports[0] if node_type.ports else None
    )


def outcome(ctx: Context, node_type: NodeType, config: dict[str, Any], port: str | None) -> Outcome:
    preview = node_type.preview(ctx, config) if node_type.preview is not None else Outcome()
    chosen = port or preview.port or success_port(node_type)
    if chosen is not None and chosen not in node_type.ports:
        raise NodeError(f"the dry run's port {chosen!r} is not one of {', '.join(node_type.ports)}")
    # What the node would have saved stands in only on its success path: a picked failure
    # port leaves vars as a failure would (mostly untouched).
    saved = preview.vars if chosen == success_port(node_type) else {}
    return Outcome(port=chosen, vars=saved, outputs={"dry_run": True, **preview.outputs})


def port_problems(node_types: dict[str, str], ports: Any) -> list[str]:
    """`dry_run_ports` of a test request against the graph's nodes (key -> type name)."""
    from flows import nodes

    if not isinstance(ports, dict):
        return ["dry_run_ports must be an object: node key -> port"]
    problems = []
    for key, port in ports.items():
        node_type = nodes.get(node_types.get(key, ""))
        if node_type is None:
            problems.append(f"dry_run_ports: the flow has no node {key!r}")
        elif not isinstance(port, str) or port not in node_type.ports:
            problems.append(
                f"dry_run_ports: node {key!r} has no port {port!r}; its ports are {', '.join(node_type.ports)}"
            )
    return problems
