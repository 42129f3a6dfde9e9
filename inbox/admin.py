from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from inbox import services
from inbox.models import AgentProfile, Conversation, CSATResponse, Customer, Message, Ticket
from inbox.services.agents import bot_ids_for, is_studio_admin
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

    def get_fields(self, request, obj=None):
        # The chat token lets its holder speak and rate as the customer: agents never see it.
        fields = super().get_fields(request, obj)
        if not is_studio_admin(request.user):
            fields = [f for f in fields if f != "access_token"]
        return fields


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
    list_display = ["user", "is_available", "skill_groups"]
    filter_horizontal = ["bots"]
