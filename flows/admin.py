import json

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from flows import diagram, services
from flows.models import Edge, Flow, FlowRun, Node
from studio.errors import ServiceError

RECENT_RUNS = 10


class NodeInline(admin.TabularInline):
    model = Node
    extra = 0
    fields = ["key", "type", "config", "position_x", "position_y"]


class EdgeInline(admin.TabularInline):
    model = Edge
    extra = 0
    fields = ["source", "port", "target"]
    fk_name = "flow"


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["name", "bot", "trigger_type", "trigger_event", "is_active", "updated_at"]
    list_filter = ["bot", "trigger_type", "is_active"]
    search_fields = ["name"]
    inlines = [NodeInline, EdgeInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        flow = self.get_object(request, object_id)
        if flow is not None:
            extra_context = {
                **(extra_context or {}),
                "flow_diagram": diagram.mermaid_flowchart(flow),
                "flow_edges": diagram.edge_descriptions(flow),
                "recent_runs": flow.runs.order_by("-created_at", "-id")[:RECENT_RUNS],
            }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(FlowRun)
class FlowRunAdmin(admin.ModelAdmin):
    """A run's page shows its steps as a timeline (the change_form template) and Replay."""

    list_display = ["id", "flow", "status", "trigger", "ticket", "created_at", "finished_at"]
    list_filter = ["status", "trigger", "flow__bot", "flow"]
    list_select_related = ["flow"]
    readonly_fields = [f.name for f in FlowRun._meta.fields]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            steps = list(run.steps.order_by("seq"))
            for step in steps:
                step.output_json = json.dumps(step.output, indent=2, ensure_ascii=False, default=str)
            extra_context = {**(extra_context or {}), "steps": steps}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        replay = self.admin_site.admin_view(require_POST(self.replay_view))
        return [path("<int:pk>/replay/", replay, name="flows_flowrun_replay"), *super().get_urls()]

    def replay_view(self, request: HttpRequest, pk: int):
        run = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, run):
            return HttpResponseRedirect(reverse("admin:index"))
        try:
            services.replay_run(run)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Run {run.pk} queued again.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:flows_flowrun_change", args=[pk]))

    @admin.action(description="Replay selected failed runs")
    def replay(self, request, queryset):
        for run in queryset:
            try:
                services.replay_run(run)
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"Run {run.pk} queued again.", messages.SUCCESS)
