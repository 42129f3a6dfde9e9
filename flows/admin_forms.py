"""Forms of the flows admin: JSON import, and the whole-graph check of inline edits."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from flows import graph
from flows.models import Flow
from studio.models import Bot


class ImportFlowForm(forms.Form):
    bot = forms.ModelChoiceField(queryset=Bot.objects.all())
    data = forms.CharField(
        label="Flow JSON",
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100}),
        help_text='The shape of GET /api/flows/{id}/: {"name", "trigger", "nodes", "edges"}.',
    )
    replace = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Replace flow",
        help_text="Leave empty to create a new flow.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replace"].queryset = Flow.objects.select_related("bot")
        self.flow = None

    def clean_data(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["data"])
        except ValueError as exc:
            raise ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise ValidationError("The JSON must be an object with name, trigger, nodes and edges.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        bot, replace = cleaned.get("bot"), cleaned.get("replace")
        if replace is not None and bot is not None and replace.bot_id != bot.pk:
            self.add_error("replace", "That flow belongs to another bot.")
        return cleaned

    def save(self):
        """graph.save_flow, with its refusals turned into form errors."""
        try:
            self.flow = graph.save_flow(
                bot=self.cleaned_data["bot"],
                data=self.cleaned_data["data"],
                flow=self.cleaned_data.get("replace"),
            )
        except graph.FlowInvalid as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    self.add_error("data", f"{field}: {message}")
            return None
        return self.flow


class EdgeFormSet(BaseInlineFormSet):
    """Checks the graph as it would be saved (nodes and edges of this submission) with
    graph.validate, so the admin cannot save what the API would refuse."""

    node_formset = None  # set by FlowAdmin once both formsets exist
    flow = None

    def clean(self) -> None:
        super().clean()
        nodes = self.node_formset
        if nodes is None or self.flow is None or not nodes.is_valid() or any(self.errors):
            return
        try:
            graph.validate(_graph_data(self.flow, nodes, self))
        except graph.FlowInvalid as exc:
            raise ValidationError([f"{field}: {m}" for field, ms in exc.errors.items() for m in ms]) from exc


def _live(formset) -> list[dict[str, Any]]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def _graph_data(flow, node_formset, edge_formset) -> dict[str, Any]:
    nodes = _live(node_formset)
    # Edges point at saved nodes; a node renamed or deleted in this submission is followed.
    keys = {n["id"].pk: n["key"] for n in nodes if n.get("id") is not None}

    def key_of(node) -> str:
        return keys.get(node.pk, f"{node.key} (deleted)")

    return {
        "name": flow.name,
        "trigger": flow.trigger,
        "nodes": [
            {
                "key": n["key"],
                "type": n["type"],
                "config": n.get("config") or {},
                "position": {"x": n.get("position_x") or 0, "y": n.get("position_y") or 0},
            }
            for n in nodes
        ],
        "edges": [
            {"source": key_of(e["source"]), "port": e["port"], "target": key_of(e["target"])}
            for e in _live(edge_formset)
            if e.get("source") and e.get("target")
        ],
    }
