"""A flow's graph as a mermaid `flowchart` definition, drawn in the admin by mermaid.js.

Every label is reduced to letters, digits and spaces; anything else becomes a mermaid
entity code (`#34;`), so a node's text can neither break the definition's syntax nor
smuggle markup into the drawing.
"""

from __future__ import annotations

from typing import Any

from flows.models import Flow

# What a node's label shows besides its key and type: the first of these config fields.
SUMMARY_FIELDS = ("text", "subject", "expression", "url", "table", "event", "message")
SUMMARY_LENGTH = 40
SHAPES = {"start": ('(["', '"])'), "end": ('(["', '"])'), "condition": ('{"', '"}')}
STYLES = {
    "start": "fill:#e3f4e9,stroke:#137a3f",
    "end": "fill:#eef0f3,stroke:#5b6775",
    "raise_ticket": "fill:#fff1cc,stroke:#8a5a00",
    "condition": "fill:#fdf6e3,stroke:#8a6d00",
    "api_call": "fill:#e3efff,stroke:#0b4a8f",
}


def escape(text: Any) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"#{ord(c)};" for c in str(text))


def summary(config: Any) -> str:
    if not isinstance(config, dict):
        return ""
    for field in SUMMARY_FIELDS:
        value = config.get(field)
        if isinstance(value, str) and value.strip():
            value = " ".join(value.split())
            return value if len(value) <= SUMMARY_LENGTH else value[: SUMMARY_LENGTH - 1] + "…"
    return ""


def node_label(node) -> str:
    lines = [f"<b>{escape(node.key)}</b>", escape(node.type)]
    if text := summary(node.config):
        lines.append(f"<i>{escape(text)}</i>")
    return "<br/>".join(lines)


def mermaid_flowchart(flow: Flow) -> str:
    nodes = list(flow.nodes.all())
    ids = {node.pk: f"n{index}" for index, node in enumerate(nodes)}
    lines = ["flowchart TD"]
    for node in nodes:
        opening, closing = SHAPES.get(node.type, ('["', '"]'))
        lines.append(f"    {ids[node.pk]}{opening}{node_label(node)}{closing}")
        if node.type in STYLES:
            lines.append(f"    class {ids[node.pk]} type_{node.type}")
    for edge in flow.edges.all():
        if edge.source_id in ids and edge.target_id in ids:
            lines.append(f'    {ids[edge.source_id]} -->|"{escape(edge.port)}"| {ids[edge.target_id]}')
    for node_type in sorted({node.type for node in nodes} & STYLES.keys()):
        lines.append(f"    classDef type_{node_type} {STYLES[node_type]}")
    return "\n".join(lines)


def edge_descriptions(flow: Flow) -> list[str]:
    """The same graph in words, for screen readers and for when scripts are off."""
    keys = {node.pk: node.key for node in flow.nodes.all()}
    return [f"{keys.get(e.source_id, '?')} —{e.port}→ {keys.get(e.target_id, '?')}" for e in flow.edges.all()]
