"""The customer's chat page. No login: the conversation's unguessable token is the key.

/chat/<bot_id>/ offers to start a chat; starting it (POST) creates the conversation and
redirects to /chat/c/<token>/, the only address that shows it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inbox import queries, services
from inbox.console import wants_json
from studio import ratelimit
from studio.errors import Conflict, RateLimited, ServiceError
from studio.models import Bot
from studio.numbers import whole_number

MAX_NAME = 120


@require_http_methods(["GET", "POST"])
def start_view(request: HttpRequest, bot_id: int) -> HttpResponse:
    bot = get_object_or_404(Bot, pk=bot_id)
    if request.method == "GET":
        return render(request, "inbox/chat_start.html", {"bot": bot})
    address = ratelimit.client_address(request)
    if not ratelimit.allow(f"chat-start:{address}", settings.CHAT_STARTS_PER_MINUTE):
        return render(
            request,
            "inbox/chat_start.html",
            {
                "bot": bot,
                "error": "You have started many chats in a short time. Please wait a minute and try again.",
            },
            status=429,
        )
    customer = {
        "name": request.POST.get("name", "").strip()[:MAX_NAME],
        "email": request.POST.get("email", "").strip()[:254],
    }
    try:
        conversation = services.start_conversation(bot, customer=customer, channel="web")
        if text := request.POST.get("text", "").strip():
            services.post_customer_message(conversation, text)
    except ServiceError as exc:
        return render(request, "inbox/chat_start.html", {"bot": bot, "error": exc.message}, status=400)
    return redirect(reverse("chat:conversation", args=[conversation.access_token]))


def _chat_url(conversation) -> str:
    return reverse("chat:conversation", args=[conversation.access_token])


@never_cache
@require_GET
def conversation_view(request: HttpRequest, token: str) -> HttpResponse:
    return _chat_page(request, queries.conversation_by_token(token))


def _chat_page(request: HttpRequest, conversation, status: int = 200) -> HttpResponse:
    transcript = queries.messages_after(conversation, for_customer=True)
    bot = conversation.bot
    return render(
        request,
        "inbox/chat.html",
        {
            "conversation": conversation,
            "bot": bot,
            "transcript": transcript,
            "last_message_id": transcript[-1]["id"] if transcript else 0,
            "state": queries.chat_state(conversation),
            "ratings": range(1, bot.csat_scale + 1),
        },
        status=status,
    )


@never_cache
@require_GET
def state_view(request: HttpRequest, token: str) -> JsonResponse:
    conversation = queries.conversation_by_token(token)
    try:
        after = max(int(request.GET.get("after", 0)), 0)
    except ValueError:
        after = 0
    return JsonResponse(
        {
            **queries.chat_state(conversation),
            "messages": queries.messages_after(conversation, after, for_customer=True),
        }
    )


def _answer(request: HttpRequest, conversation, error: ServiceError | None, done: str) -> HttpResponse:
    if wants_json(request):
        if error is not None:
            return JsonResponse({"detail": error.message}, status=error.status_code)
        return JsonResponse({"detail": done, **queries.chat_state(conversation)})
    if isinstance(error, RateLimited):
        messages.error(request, error.message)
        return _chat_page(request, conversation, status=error.status_code)
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(_chat_url(conversation))


def _check_message_rate(request: HttpRequest, conversation) -> None:
    address = ratelimit.client_address(request)
    if not (
        ratelimit.allow(f"chat-message:{address}", settings.CHAT_MESSAGES_PER_MINUTE)
        and ratelimit.allow(
            f"chat-message:c{conversation.pk}", settings.CHAT_MESSAGES_PER_CONVERSATION_PER_MINUTE
        )
    ):
        raise RateLimited("You are sending messages faster than we can read them. Please wait a moment.")


@require_POST
def message_view(request: HttpRequest, token: str) -> HttpResponse:
    conversation = queries.conversation_by_token(token)
    try:
        _check_message_rate(request, conversation)
        services.post_customer_message(conversation, request.POST.get("text", ""))
    except ServiceError as exc:
        return _answer(request, conversation, exc, "")
    return _answer(request, conversation, None, "Message sent.")


@require_POST
def csat_view(request: HttpRequest, token: str) -> HttpResponse:
    conversation = queries.conversation_by_token(token)
    ticket = queries.latest_ticket(conversation)
    try:
        if ticket is None:
            raise Conflict("There is nothing to rate in this conversation.")
        rating = request.POST.get("rating", "")
        number = whole_number(rating, max_digits=3)
        services.submit_csat(
            ticket, rating if number is None else number, comment=request.POST.get("comment", "")
        )
    except ServiceError as exc:
        return _answer(request, conversation, exc, "")
    return _answer(request, conversation, None, "Thank you for your rating.")
