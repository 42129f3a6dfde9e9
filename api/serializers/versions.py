"""Drafts, published versions and test runs of a flow (API.md "Flow versions", "Test runs")."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import JSONObjectField, StrictBooleanField, StrictCharField
from flows import graph
from flows.models import FlowVersion
from flows.tryit import SOURCES
from flows.versions import MAX_NOTE


class ProblemSerializer(serializers.Serializer):
    node = serializers.CharField(allow_null=True, help_text="The node key the problem belongs to, if any.")
    field = serializers.CharField(
        allow_null=True,
        help_text="The node's config field (or key, type, position, trigger, source, port, target).",
    )
    message = serializers.CharField()
    edge = serializers.IntegerField(required=False, help_text="The index of the edge, for an edge's problem.")


class DraftSerializer(serializers.Serializer):
    """The working copy. Shapes are checked here (objects and lists); everything else,
    however incomplete, is saved and listed in `problems`."""

    trigger = JSONObjectField(required=False, help_text='Defaults to {"type": "manual"}.')
    nodes = serializers.ListField(
        child=JSONObjectField(), required=False, default=list, max_length=graph.MAX_NODES
    )
    edges = serializers.ListField(
        child=JSONObjectField(), required=False, default=list, max_length=graph.MAX_NODES * 10
    )
    problems = ProblemSerializer(many=True, read_only=True)


class DraftInvalidSerializer(serializers.Serializer):
    """400 of publish and test: the draft does not validate."""

    detail = serializers.CharField()
    problems = ProblemSerializer(many=True)


class PublishSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=MAX_NOTE, default="")


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class VersionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number")
    published_by = serializers.SerializerMethodField()

    class Meta:
        model = FlowVersion
        fields = ["version", "published_at", "published_by", "note"]
        read_only_fields = fields

    @extend_schema_field(UserRefSerializer(allow_null=True))
    def get_published_by(self, version: FlowVersion):
        user = version.published_by
        return {"id": user.pk, "username": user.get_username()} if user is not None else None


class VersionPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = VersionSerializer(many=True)


class VersionGraphSerializer(VersionSerializer):
    trigger = serializers.SerializerMethodField()
    nodes = serializers.SerializerMethodField()
    edges = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "trigger", "nodes", "edges"]
        read_only_fields = fields

    @extend_schema_field(JSONObjectField())
    def get_trigger(self, version: FlowVersion):
        return version.graph.get("trigger")

    @extend_schema_field(serializers.ListField(child=JSONObjectField()))
    def get_nodes(self, version: FlowVersion):
        return version.graph.get("nodes", [])

    @extend_schema_field(serializers.ListField(child=JSONObjectField()))
    def get_edges(self, version: FlowVersion):
        return version.graph.get("edges", [])


class NodeChangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField(), help_text="type, config and/or position")
    before = JSONObjectField()
    after = JSONObjectField()


class NodesDiffSerializer(serializers.Serializer):
    added = serializers.ListField(child=JSONObjectField())
    removed = serializers.ListField(child=JSONObjectField())
    changed = NodeChangeSerializer(many=True)


class EdgesDiffSerializer(serializers.Serializer):
    added = serializers.ListField(child=JSONObjectField())
    removed = serializers.ListField(child=JSONObjectField())


class TriggerChangeSerializer(serializers.Serializer):
    before = JSONObjectField()
    after = JSONObjectField()


class DiffSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    against = serializers.CharField(help_text='A version number, or "draft".')
    trigger = TriggerChangeSerializer(allow_null=True, help_text="null when unchanged.")
    nodes = NodesDiffSerializer()
    edges = EdgesDiffSerializer()


class TestRunSerializer(serializers.Serializer):
    event = JSONObjectField(
        required=False, default=dict, help_text="The sample event payload the run starts on."
    )
    dry_run = StrictBooleanField(required=False, default=True)
    source = serializers.ChoiceField(choices=SOURCES, required=False, default="draft")
    dry_run_ports = serializers.DictField(
        child=StrictCharField(max_length=40),
        required=False,
        default=dict,
        help_text='Node key -> the port a dry run leaves it by, e.g. {"api_call_2": "failure"}.',
    )


class SampleEventSerializer(serializers.Serializer):
    event = serializers.CharField(
        allow_null=True, help_text="The trigger's event key (null for other triggers)."
    )
    source = serializers.ChoiceField(
        choices=["occurrence", "example", "none"],
        help_text="Where the payload comes from: the event's latest occurrence, its documented example, or nothing.",
    )
    occurrence = serializers.IntegerField(allow_null=True)
    payload = JSONObjectField()


class DayStatsSerializer(serializers.Serializer):
    date = serializers.DateField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    waiting = serializers.IntegerField()
    p50_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True)


class FlowStatsSerializer(serializers.Serializer):
    days = DayStatsSerializer(many=True)
    recent_failures = serializers.ListField(child=serializers.IntegerField())
