from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from events import services
from events.models import Event, EventOccurrence
from flows.models import Flow


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The event hub: every bot's catalogue, by category, with its Active state."""

    list_display = ["category", "key", "name", "state", "flows_started", "bot"]
    list_display_links = ["key"]
    list_filter = ["category", "is_active", "bot"]
    search_fields = ["key", "name"]
    ordering = ["bot", "category", "key"]
    actions = ["activate", "deactivate"]
    readonly_fields = ["is_active"]

    def get_queryset(self, request):
        flows = (
            Flow.objects.filter(
                bot=OuterRef("bot"),
                trigger_type=Flow.Trigger.EVENT,
                trigger_event=OuterRef("key"),
                is_active=True,
            )
            .values("bot")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("bot")
            .annotate(flow_count=Coalesce(Subquery(flows), 0))
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.category != Event.Category.CUSTOM:
            return ["bot", "key", "category", "is_active"]
        return ["is_active"]

    @admin.display(description="State", ordering="is_active")
    def state(self, obj: Event) -> str:
        if obj.is_active:
            return format_html('<strong style="color:{}">● {}</strong>', "#117a3d", "Active")
        return format_html('<span style="color:{}">○ {}</span>', "#666", "Inactive")

    @admin.display(description="Flows it starts", ordering="flow_count")
    def flows_started(self, obj: Event) -> int:
        return obj.flow_count

    @admin.action(description="Activate selected events")
    def activate(self, request, queryset):
        count = services.set_active_many(queryset, True)
        self.message_user(request, f"Activated {count} event(s).", messages.SUCCESS)

    @admin.action(description="Deactivate selected events")
    def deactivate(self, request, queryset):
        count = services.set_active_many(queryset, False)
        self.message_user(request, f"Deactivated {count} event(s).", messages.SUCCESS)

    def get_urls(self):
        toggle = self.admin_site.admin_view(require_POST(self.toggle_view))
        return [path("<int:pk>/toggle/", toggle, name="events_event_toggle"), *super().get_urls()]

    def toggle_view(self, request: HttpRequest, pk: int):
        event = get_object_or_404(Event, pk=pk)
        if not self.has_change_permission(request, event):
            return HttpResponseRedirect(reverse("admin:index"))
        services.set_active(event, not event.is_active)
        state = "activated" if event.is_active else "deactivated"
        self.message_user(request, f"{event.key} {state}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:events_event_change", args=[pk]))


@admin.register(EventOccurrence)
class EventOccurrenceAdmin(admin.ModelAdmin):
    list_display = ["id", "key", "bot", "status", "occurred_at", "run_count"]
    list_filter = ["status", "key", "bot"]
    readonly_fields = ["event", "bot", "key", "status", "dedupe_key", "payload", "occurred_at"]
    list_select_related = ["bot"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_runs=Count("runs"))

    @admin.display(description="Runs started")
    def run_count(self, obj) -> int:
        return obj.n_runs

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
