from __future__ import annotations

from rest_framework import serializers

from api.fields import AnyJSONField, JSONObjectField
from flows.models import FlowRun, RunStep


class RunStepSerializer(serializers.ModelSerializer):
    node = serializers.CharField(source="node_key")
    type = serializers.CharField(source="node_type")
    output = AnyJSONField()

    class Meta:
        model = RunStep
        fields = ["seq", "node", "type", "port", "started_at", "duration_ms", "output", "error"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    steps = RunStepSerializer(many=True, read_only=True)
    version = serializers.SerializerMethodField(
        help_text="The published version the run executes (null: a test run of the draft)."
    )
    context = JSONObjectField(read_only=True)
    vars = JSONObjectField(read_only=True)

    class Meta:
        model = FlowRun
        fields = [
            "id",
            "flow",
            "status",
            "trigger",
            "version",
            "dry_run",
            "occurrence",
            "ticket",
            "conversation",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "current_node",
            "waiting_for",
            "context",
            "vars",
            "steps",
        ]
        read_only_fields = fields

    def get_version(self, run: FlowRun) -> int | None:
        if hasattr(run, "version_number"):  # annotated by the list and detail views
            return run.version_number
        return run.version.number if run.version_id else None
