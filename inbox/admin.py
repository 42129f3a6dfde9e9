from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from inbox import services
from inbox.models import (
    AgentProfile,
    CannedResponse,
    Conversation,
    CSATResponse,
    Customer,
    InboxSettings,
    Message,
    Ticket,
)
from inbox.services import routing
from inbox.services.agents import bot_ids_for
from studio.errors import ServiceError


class BotScopedAdmin(admin.ModelAdmin):
    """Agents see only the rows of their bots; studio admins see all."""

    bot_path = "bot"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        bot_ids = bot_ids_for(request.user)
        return qs if bot_ids is None else qs.filter(**{f"{self.bot_path}__in": bot_ids})


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "sender", "author", "text"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(BotScopedAdmin):
    list_display = ["id", "subject", "bot", "status", "priority", "category", "assignee", "created_at"]
    list_filter = ["status", "priority", "bot", "category"]
    search_fields = ["subject", "conversation__customer__name", "conversation__customer__email"]
    list_select_related = ["bot", "assignee"]
    readonly_fields = [
        "bot",
        "conversation",
        "status",
        "resolved_by",
        "created_at",
        "assigned_at",
        "resolved_at",
        "closed_at",
        "csat_expires_at",
        "csat",
    ]
    fields = [
        "bot",
        "conversation",
        "subject",
        "category",
        "priority",
        "group",
        "status",
        "assignee",
        "resolution_note",
        "custom_fields",
        "resolved_by",
        "created_at",
        "assigned_at",
        "resolved_at",
        "closed_at",
        "csat_expires_at",
        "csat",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="CSAT")
    def csat(self, obj: Ticket) -> str:
        response = getattr(obj, "csat_response", None)
        if response is None:
            return "—"
        return f"{response.rating}/{response.scale} {response.comment}".strip()

    def get_urls(self):
        resolve = self.admin_site.admin_view(require_POST(self.resolve_view))
        return [path("<int:pk>/resolve/", resolve, name="inbox_ticket_resolve"), *super().get_urls()]

    def resolve_view(self, request: HttpRequest, pk: int):
        ticket = get_object_or_404(self.get_queryset(request), pk=pk)
        try:
            ticket = services.resolve_ticket(ticket, request.user, note=request.POST.get("note", ""))
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            text = (
                "is waiting for the customer's rating"
                if ticket.status == Ticket.Status.PENDING_CSAT
                else "is closed"
            )
            self.message_user(request, f"Ticket {ticket.pk} {text}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:inbox_ticket_change", args=[pk]))


@admin.register(Conversation)
class ConversationAdmin(BotScopedAdmin):
    list_display = ["id", "customer", "bot", "channel", "status", "started_at"]
    list_filter = ["status", "bot", "channel"]
    list_select_related = ["customer", "bot"]
    readonly_fields = ["bot", "customer", "channel", "status", "access_token", "started_at"]
    inlines = [MessageInline]


@admin.register(Customer)
class CustomerAdmin(BotScopedAdmin):
    list_display = ["id", "name", "email", "external_id", "bot"]
    search_fields = ["name", "email", "external_id"]
    list_select_related = ["bot"]


@admin.register(CSATResponse)
class CSATResponseAdmin(BotScopedAdmin):
    bot_path = "ticket__bot"
    list_display = ["ticket", "agent", "rating", "scale", "comment", "submitted_at"]
    list_filter = ["rating"]
    list_select_related = ["ticket", "agent"]
    readonly_fields = ["ticket", "agent", "rating", "scale", "comment", "submitted_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "max_concurrent", "skill_groups", "last_assigned_at"]
    list_filter = ["status"]
    filter_horizontal = ["bots"]


@admin.register(CannedResponse)
class CannedResponseAdmin(BotScopedAdmin):
    list_display = ["shortcut", "bot", "text"]
    list_filter = ["bot"]
    search_fields = ["shortcut", "text"]

    def save_model(self, request, obj, form, change):
        try:
            services.save_canned_response(obj.bot, shortcut=obj.shortcut, text=obj.text, canned=obj)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(InboxSettings)
class InboxSettingsAdmin(BotScopedAdmin):
    list_display = ["bot", "queue_enabled", "queue_limit", "offline_queueing", "default_max_concurrent"]

    def save_model(self, request, obj, form, change):
        values = {name: getattr(obj, name) for name in routing.SETTINGS_FIELDS}
        try:
            routing.update_settings(obj.bot, values)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
