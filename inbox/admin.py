from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
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
from studio.access import is_studio_admin
from studio.errors import InvalidInput, ServiceError
from studio.numbers import whole_number


class BotScopedAdmin(admin.ModelAdmin):
    """Agents see only the rows of their bots; studio admins see all."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


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
    # The assignee and the status belong to the services (assign, resolve): the page offers
    # them as actions, never as editable fields.
    readonly_fields = [
        "bot",
        "conversation",
        "status",
        "assignee",
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

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == Ticket.Status.CLOSED:
            return False  # a closed ticket is history: viewable, not editable
        return super().has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        if ticket is not None:
            extra_context = {**(extra_context or {}), "assignable_agents": services.agents_of(ticket.bot)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        resolve = self.admin_site.admin_view(require_POST(self.resolve_view))
        assign = self.admin_site.admin_view(require_POST(self.assign_view))
        return [
            path("<int:pk>/resolve/", resolve, name="inbox_ticket_resolve"),
            path("<int:pk>/assign/", assign, name="inbox_ticket_assign"),
            *super().get_urls(),
        ]

    def assign_view(self, request: HttpRequest, pk: int):
        ticket = get_object_or_404(self.get_queryset(request), pk=pk)
        agent_pk = whole_number(request.POST.get("agent", ""))
        agent = User.objects.filter(pk=agent_pk).first() if agent_pk is not None else None
        try:
            if agent is None:
                raise InvalidInput("Choose an agent of this ticket's bot.")
            services.assign_ticket(ticket, agent, by=request.user)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request, f"Ticket {ticket.pk} assigned to {agent.get_username()}.", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:inbox_ticket_change", args=[pk]))

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
    list_display = ["ticket", "agent", "rating", "scale", "comment", "submitted_at"]
    list_filter = ["rating"]
    list_select_related = ["ticket", "agent"]
    readonly_fields = ["ticket", "agent", "rating", "scale", "comment", "submitted_at"]

    def has_add_permission(self, request):
        return False


class AgentForm(forms.ModelForm):
    """What create_agent / update_agent take; the user account is made by the service."""

    username = forms.CharField(max_length=150)
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="Leave empty to keep it."
    )
    name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    groups = forms.CharField(required=False, help_text="Skill groups, comma separated, e.g. billing, returns")

    class Meta:
        model = AgentProfile
        fields = ["bots", "status", "max_concurrent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            user = self.instance.user
            self.fields["username"].disabled = True
            self.initial.update(
                username=user.get_username(),
                name=user.get_full_name(),
                email=user.email,
                groups=", ".join(self.instance.skill_groups or []),
            )
        else:
            self.fields["password"].required = True
            self.fields["password"].help_text = ""

    def clean(self):
        data = super().clean()
        data["groups"] = [g.strip() for g in (data.get("groups") or "").split(",") if g.strip()]
        username = data.get("username")
        if not self.instance.pk and username and User.objects.filter(username=username).exists():
            self.add_error("username", f"The username {username!r} is taken.")
        return data


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    """Agents are created and changed through the inbox services (account, role, profile)."""

    form = AgentForm
    list_display = ["user", "status", "max_concurrent", "skill_groups", "last_assigned_at"]
    list_filter = ["status"]
    filter_horizontal = ["bots"]
    fields = ["username", "password", "name", "email", "bots", "groups", "status", "max_concurrent"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "email": data["email"],
            "bots": data["bots"],
            "groups": data["groups"],
            "status": data["status"],
            "max_concurrent": data["max_concurrent"],
        }
        try:
            if change:
                user = services.update_agent(obj.user, password=data["password"], **values)
            else:
                user = services.create_agent(username=data["username"], password=data["password"], **values)
        except ServiceError as exc:  # the form checked what it could; a race is shown, not raised
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk, obj.user = user.agent_profile.pk, user

    def save_related(self, request, form, formsets, change):
        pass  # the service has set the bots


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
