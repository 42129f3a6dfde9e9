"""Drafts and published versions of a flow.

The builder edits the draft (`Flow.draft`), saved as the user works and possibly invalid.
Publishing validates it and makes it the next numbered, immutable `FlowVersion`; the flow's
trigger columns and Node/Edge rows are then rewritten as a copy of that version (event
dispatch queries the columns, the admin shows the rows). Runs record the version they
started on and execute its graph to their end.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.utils import timezone

from flows import graph as graphs
from flows.models import Flow, FlowVersion
from studio.errors import Conflict, InvalidInput

MAX_NOTE = 500


class DraftInvalid(InvalidInput):
    """Publishing (or test-running) a draft that does not validate: 400 with its problems."""

    def __init__(self, problems: list[graphs.Problem]) -> None:
        super().__init__(f"The draft cannot be published: {problems[0].text}")
        self.problems = [p.as_dict() for p in problems]

    def as_dict(self) -> dict:
        return {"detail": self.message, "problems": self.problems}


def published_graph(flow: Flow) -> dict[str, Any] | None:
    version = flow.published_version if flow.published_version_id else None
    return version.graph if version is not None else None


def draft_of(flow: Flow) -> dict[str, Any]:
    """The working copy: the saved draft, else the published graph, else an empty graph."""
    if flow.draft:
        return flow.draft
    return published_graph(flow) or {"trigger": flow.trigger, "nodes": [], "edges": []}


def has_unpublished_changes(flow: Flow) -> bool:
    published = published_graph(flow)
    return published is None or draft_of(flow) != published


def problems_of(flow: Flow, draft: dict[str, Any] | None = None) -> list[graphs.Problem]:
    return graphs.graph_problems(draft if draft is not None else draft_of(flow), name=flow.name)


def save_draft(flow: Flow, draft: dict[str, Any]) -> list[graphs.Problem]:
    """Store the working copy as it is (a draft may be incomplete); return its problems."""
    if not isinstance(draft, dict):
        raise InvalidInput("A draft is an object with trigger, nodes and edges.")
    draft = graphs.normalize(draft)
    Flow.objects.filter(pk=flow.pk).update(draft=draft, updated_at=timezone.now())
    flow.draft = draft
    return problems_of(flow, draft)


@transaction.atomic
def publish(flow: Flow, *, user=None, note: str = "") -> FlowVersion:
    """Validate the saved draft and make it the next version, the one that runs from now on."""
    flow = Flow.objects.select_related("published_version").get(pk=flow.pk)
    draft = draft_of(flow)
    if problems := problems_of(flow, draft):
        raise DraftInvalid(problems)
    return publish_graph(flow, draft, user=user, note=note)


def publish_graph(
    flow: Flow, graph: dict[str, Any], *, user=None, note: str = "", set_draft=False
) -> FlowVersion:
    """Make `graph` (valid, normalized) the flow's next version; the caller holds a transaction."""
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"A note is at most {MAX_NOTE} characters.", field="note")
    number = flow.version_count + 1
    # Two publishes at once: the row count decides, the second is told to try again.
    if not Flow.objects.filter(pk=flow.pk, version_count=flow.version_count).update(version_count=number):
        raise Conflict("The flow was published by someone else meanwhile; reload it and publish again.")
    version = FlowVersion.objects.create(
        flow=flow,
        number=number,
        graph=copy.deepcopy(graph),
        published_at=timezone.now(),
        published_by=user if user is not None and user.is_authenticated else None,
        note=note,
    )
    flow.version_count, flow.published_version = number, version
    also = ("published_version", "version_count")
    if set_draft:
        flow.draft = copy.deepcopy(graph)
        also += ("draft",)
    graphs.write_tables(flow, graph, also=also)
    return version


def get_version(flow: Flow, number: int) -> FlowVersion:
    version = FlowVersion.objects.filter(flow=flow, number=number).select_related("published_by").first()
    if version is None:
        raise InvalidInput(f"Flow {flow.name!r} has no version {number}.", field="version")
    return version


def restore(flow: Flow, number: int) -> dict[str, Any]:
    """Copy a version into the draft (publishing it again is the user's next step)."""
    version = get_version(flow, number)
    save_draft(flow, version.graph)
    return flow.draft


@transaction.atomic
def publish_tables(flow: Flow, *, user=None, note: str = "") -> FlowVersion | None:
    """The admin's inline editors changed the Node and Edge rows: publish them when valid
    and different from the published version; otherwise they only become the draft."""
    flow = Flow.objects.select_related("published_version").get(pk=flow.pk)
    graph = graphs.tables_graph(flow)
    if published_graph(flow) == graph:
        return None
    if graphs.graph_problems(graph, name=flow.name):
        save_draft(flow, graph)
        return None
    return publish_graph(flow, graph, user=user, note=note, set_draft=True)


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from `old` to `new`: the trigger, nodes (by key) and edges (by port)."""

    def nodes(g):
        return {
            n["key"]: n for n in g.get("nodes", []) if isinstance(n, dict) and isinstance(n.get("key"), str)
        }

    def edges(g):
        return {
            (e.get("source"), e.get("port")): e
            for e in g.get("edges", [])
            if isinstance(e, dict) and isinstance(e.get("source"), str) and isinstance(e.get("port"), str)
        }

    old_nodes, new_nodes = nodes(old), nodes(new)
    old_edges, new_edges = edges(old), edges(new)
    changed = []
    for key in old_nodes.keys() & new_nodes.keys():
        fields = [f for f in ("type", "config", "position") if old_nodes[key].get(f) != new_nodes[key].get(f)]
        if fields:
            changed.append({"key": key, "fields": fields, "before": old_nodes[key], "after": new_nodes[key]})
    return {
        "trigger": None
        if old.get("trigger") == new.get("trigger")
        else {"before": old.get("trigger"), "after": new.get("trigger")},
        "nodes": {
            "added": [new_nodes[k] for k in new_nodes if k not in old_nodes],
            "removed": [old_nodes[k] for k in old_nodes if k not in new_nodes],
            "changed": sorted(changed, key=lambda c: c["key"]),
        },
        "edges": {
            "added": [e for k, e in new_edges.items() if old_edges.get(k) != e],
            "removed": [e for k, e in old_edges.items() if new_edges.get(k) != e],
        },
    }
