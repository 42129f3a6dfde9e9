"""A flow travels whole: trigger, nodes and edges nested as in API.md.

The serializer checks shapes and types; flows.graph checks the graph (node types, their
configs, ports, the start node) and saves it all or nothing.
"""

from __future__ import annotations

from rest_framework import serializers

from api.fields import (
    JSONObjectField,
    StrictBooleanField,
    StrictCharField,
    StrictNumberField,
    StrictPrimaryKeyField,
)
from flows import graph, versions
from flows.models import Flow
from studio.models import Bot


class TriggerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Flow.Trigger.choices)
    event = StrictCharField(required=False, max_length=80, help_text="Event key, for type event.")
    keywords = serializers.ListField(
        child=StrictCharField(max_length=200),
        required=False,
        max_length=100,
        help_text="For type conversation.",
    )


class PositionSerializer(serializers.Serializer):
    x = StrictNumberField(required=False, default=0)
    y = StrictNumberField(required=False, default=0)


class NodeSerializer(serializers.Serializer):
    key = StrictCharField(max_length=80)
    type = StrictCharField(max_length=40, help_text="A name from GET /api/node-types/.")
    config = JSONObjectField(required=False, default=dict)
    position = PositionSerializer(required=False)


class EdgeSerializer(serializers.Serializer):
    source = StrictCharField(max_length=80, help_text="Node key.")
    port = StrictCharField(max_length=40)
    target = StrictCharField(max_length=80, help_text="Node key.")


def _node_label(raw, index: int) -> str:
    item = raw[index] if isinstance(raw, list) and index < len(raw) else None
    key = item.get("key") if isinstance(item, dict) else None
    return f"node {key!r}" if isinstance(key, str) and key else f"nodes[{index}]"


def _flatten(prefix: str, detail) -> list[str]:
    """Nested serializer errors as readable lines: "node 'call': config: Expected a JSON object."."""
    if isinstance(detail, dict):
        lines = []
        for field, sub in detail.items():
            lines += _flatten(f"{prefix}: {field}" if field != "non_field_errors" else prefix, sub)
        return lines
    if isinstance(detail, list):
        lines = []
        for sub in detail:
            lines += _flatten(prefix, sub)
        return lines
    return [f"{prefix}: {detail}"]


class FlowSerializer(serializers.Serializer):
    """A flow with its published graph (its draft's until it is published). Saving one
    through the API saves the graph as the draft and publishes it at once."""

    id = serializers.IntegerField(read_only=True)
    bot = StrictPrimaryKeyField(queryset=Bot.objects.all())
    name = StrictCharField(max_length=120)
    description = StrictCharField(required=False, allow_blank=True, max_length=5000, default="")
    is_active = StrictBooleanField(required=False, default=True)
    trigger = TriggerSerializer(required=False, help_text='Defaults to {"type": "manual"}.')
    nodes = NodeSerializer(many=True, required=False, max_length=graph.MAX_NODES)
    edges = EdgeSerializer(many=True, required=False, max_length=graph.MAX_NODES * 10)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    published_version = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The number of the version that runs (null: never published).",
    )
    has_unpublished_changes = serializers.BooleanField(
        read_only=True, help_text="The draft differs from the published version."
    )

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(self._readable(exc.detail, data)) from exc

    def _readable(self, detail, data):
        if not isinstance(detail, dict):
            return detail
        detail = dict(detail)
        for name in ("nodes", "edges"):
            errors = detail.get(name)
            if isinstance(errors, list) and any(isinstance(e, dict) for e in errors):
                raw = data.get(name) if isinstance(data, dict) else None
                lines = []
                for index, error in enumerate(errors):
                    label = _node_label(raw, index) if name == "nodes" else f"edges[{index}]"
                    lines += _flatten(label, error) if error else []
                detail[name] = lines
            elif isinstance(errors, dict):  # {index: errors} from a ListSerializer
                raw = data.get(name) if isinstance(data, dict) else None
                detail[name] = [
                    line
                    for index, error in errors.items()
                    if isinstance(index, int)
                    for line in _flatten(
                        _node_label(raw, index) if name == "nodes" else f"{name}[{index}]", error
                    )
                ] or _flatten(name, errors)
        return detail

    def validate_bot(self, bot):
        if self.instance is not None and bot.pk != self.instance.bot_id:
            raise serializers.ValidationError("A flow cannot move to another bot.")
        return bot

    def to_representation(self, flow):
        data = graph.flow_to_dict(flow)
        data["created_at"] = serializers.DateTimeField().to_representation(flow.created_at)
        data["updated_at"] = serializers.DateTimeField().to_representation(flow.updated_at)
        data["published_version"] = flow.published_version.number if flow.published_version_id else None
        data["has_unpublished_changes"] = versions.has_unpublished_changes(flow)
        return data

    def _save(self, validated, flow=None):
        bot = validated.pop("bot")
        data = _plain(validated)
        request = self.context.get("request")
        return graph.save_flow(bot=bot, data=data, flow=flow, user=getattr(request, "user", None))

    def create(self, validated):
        return self._save(validated)

    def update(self, flow, validated):
        return self._save(validated, flow=flow)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class RunFlowSerializer(serializers.Serializer):
    context = JSONObjectField(required=False, default=dict, help_text="Read by templates as-is.")


class NodeTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    family = serializers.ChoiceField(
        choices=["messages", "prompts", "actions", "logic"], help_text="The builder's palette group."
    )
    ports = serializers.ListField(child=serializers.CharField())
    success_port = serializers.CharField(
        allow_null=True, help_text="The port a dry run leaves by unless another is picked."
    )
    config_schema = JSONObjectField()
