from django.contrib import admin, messages

from flows import services
from flows.models import Edge, Flow, FlowRun, Node, RunStep
from studio.errors import ServiceError


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


class RunStepInline(admin.TabularInline):
    model = RunStep
    extra = 0
    fields = ["seq", "node_key", "node_type", "port", "started_at", "duration_ms", "output", "error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FlowRun)
class FlowRunAdmin(admin.ModelAdmin):
    list_display = ["id", "flow", "status", "trigger", "ticket", "created_at", "finished_at"]
    list_filter = ["status", "trigger", "flow__bot", "flow"]
    list_select_related = ["flow"]
    readonly_fields = [f.name for f in FlowRun._meta.fields]
    inlines = [RunStepInline]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Replay selected failed runs")
    def replay(self, request, queryset):
        for run in queryset:
            try:
                services.replay_run(run)
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, f"Run {run.pk} queued again.", messages.SUCCESS)
