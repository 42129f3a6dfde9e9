"""The agent console: the queue of my bots' tickets and a ticket's page.

Views validate, authorize through inbox.queries.ticket_for and call inbox.services. Every
action answers JSON to the page's fetch() (Accept: application/json) and redirects with a
message otherwise, so the forms also work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from inbox import queries, services
from inbox.models import Ticket
from studio.access import is_studio_admin
from studio.errors import InvalidInput, ServiceError
from studio.numbers import whole_number


def agent_required(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not queries.can_use_console(request.user):
            raise PermissionDenied("The console is for agents and studio admins.")
        return view(request, *args, **kwargs)

    return wrapper


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _after(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("after", 0)), 0)
    except ValueError:
        return 0


def _queue_context(request: HttpRequest) -> dict:
    tab = request.GET.get("tab", "open")
    if tab not in queries.QUEUE_TABS:
        tab = "open"
    tag = request.GET.get("tag", "").strip()[:40]
    return {
        "tab": tab,
        "tag": tag,
        "tabs": queries.QUEUE_TABS,
        "tab_label": queries.QUEUE_TABS[tab],
        "tickets": queries.queue(request.user, tab, tag),
    }


@require_GET
@agent_required
def queue_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inbox/queue.html", _queue_context(request))


@require_GET
@agent_required
def queue_rows_view(request: HttpRequest) -> HttpResponse:
    """The queue's table alone; the queue page swaps it in every few seconds (live tabs)."""
    return render(request, "inbox/_queue_table.html", _queue_context(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/inbox/") and not target.startswith("//") else reverse("inbox:queue")


@require_POST
@agent_required
def status_view(request: HttpRequest) -> HttpResponse:
    """The agent sets their own routing status from the console header."""
    try:
        profile = services.set_agent_status(request.user, request.POST.get("status", ""))
    except ServiceError as exc:
        if wants_json(request):
            return JsonResponse({"detail": exc.message}, status=exc.status_code)
        messages.error(request, exc.message)
        return redirect(_back(request))
    done = f"You are {profile.get_status_display().lower()}."
    if wants_json(request):
        return JsonResponse({"detail": done, "status": profile.status})
    messages.success(request, done)
    return redirect(_back(request))


@require_GET
@agent_required
def supervisor_view(request: HttpRequest) -> HttpResponse:
    if not is_studio_admin(request.user):
        raise PermissionDenied("The agents view is for studio admins.")
    return render(request, "inbox/agents.html", {"rows": queries.supervisor_rows(request.user)})


@require_GET
@agent_required
def supervisor_state_view(request: HttpRequest) -> JsonResponse:
    if not is_studio_admin(request.user):
        raise PermissionDenied("The agents view is for studio admins.")
    return JsonResponse({"agents": queries.supervisor_rows(request.user)})


@require_GET
@agent_required
def ticket_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = queries.ticket_for(request.user, pk)
    transcript = queries.messages_after(ticket.conversation)
    return render(
        request,
        "inbox/ticket.html",
        {
            "ticket": ticket,
            "customer": ticket.conversation.customer,
            "transcript": transcript,
            "last_message_id": transcript[-1]["id"] if transcript else 0,
            "state": queries.ticket_state(ticket, request.user),
            "targets": queries.transfer_targets(ticket, request.user),
            "is_admin": is_studio_admin(request.user),
        },
    )


@require_GET
@agent_required
def canned_view(request: HttpRequest, pk: int) -> JsonResponse:
    """The bot's canned responses, rendered for this ticket and agent (the # picker)."""
    ticket = queries.ticket_for(request.user, pk)
    return JsonResponse({"canned": services.canned_offers(ticket, request.user)})


@require_GET
@agent_required
def ticket_state_view(request: HttpRequest, pk: int) -> JsonResponse:
    ticket = queries.ticket_for(request.user, pk)
    return JsonResponse(
        {
            "ticket": queries.ticket_state(ticket, request.user),
            "messages": queries.messages_after(ticket.conversation, _after(request)),
        }
    )


def _act(request: HttpRequest, ticket: Ticket, action: Callable[[], str]) -> HttpResponse:
    """Run a service call; answer its refusal's message, or the ticket's new state."""
    try:
        done = action()
    except ServiceError as exc:
        if wants_json(request):
            return JsonResponse({"detail": exc.message}, status=exc.status_code)
        messages.error(request, exc.message)
    else:
        if wants_json(request):
            return JsonResponse({"detail": done, "ticket": queries.ticket_state(ticket, request.user)})
        messages.success(request, done)
    return redirect(reverse("inbox:ticket", args=[ticket.pk]))


@require_POST
@agent_required
def take_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = queries.ticket_for(request.user, pk)

    def take() -> str:
        services.assign_ticket(ticket, request.user, by=request.user)
        return f"Ticket {ticket.pk} is yours."

    return _act(request, ticket, take)


@require_POST
@agent_required
def reply_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = queries.ticket_for(request.user, pk)

    def reply() -> str:
        services.reply_to_ticket(ticket, request.user, request.POST.get("text", ""))
        return "Reply sent."

    return _act(request, ticket, reply)


@require_POST
@agent_required
def resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = queries.ticket_for(request.user, pk)

    def resolve() -> str:
        resolved = services.resolve_ticket(ticket, request.user, note=request.POST.get("note", ""))
        if resolved.status == Ticket.Status.PENDING_CSAT:
            return f"Ticket {ticket.pk} is resolved and waits for the customer's rating."
        return f"Ticket {ticket.pk} is closed."

    return _act(request, ticket, resolve)


@require_POST
@agent_required
def transfer_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = queries.ticket_for(request.user, pk)

    def transfer() -> str:
        agent_id, group = request.POST.get("agent", ""), request.POST.get("group", "").strip()
        agent = None
        if agent_id:
            agent = User.objects.filter(pk=whole_number(agent_id) or 0).first()
            if agent is None:
                raise InvalidInput("No such agent.", field="agent")
        moved = services.transfer_ticket(
            ticket,
            request.user,
            agent=agent,
            group=group or None if agent is None else None,
            note=request.POST.get("note", ""),
            force=request.POST.get("force") == "on",
        )
        return f"Ticket {ticket.pk} is transferred ({moved.get_status_display().lower()})."

    return _act(request, ticket, transfer)


@require_POST
@agent_required
def note_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = queries.ticket_for(request.user, pk)

    def note() -> str:
        services.add_note(ticket, request.user, request.POST.get("text", ""))
        return "Note added."

    return _act(request, ticket, note)


@require_POST
@agent_required
def tags_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = queries.ticket_for(request.user, pk)

    def tags() -> str:
        words = [t for t in request.POST.get("tags", "").replace(",", " ").split() if t]
        services.set_tags(ticket, request.user, words)
        return "Tags saved."

    return _act(request, ticket, tags)
