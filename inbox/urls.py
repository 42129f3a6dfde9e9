from django.urls import path

from inbox import chat, console

app_name = "inbox"

urlpatterns = [
    path("", console.queue_view, name="queue"),
    path("rows/", console.queue_rows_view, name="queue_rows"),
    path("status/", console.status_view, name="status"),
    path("agents/", console.supervisor_view, name="agents"),
    path("agents/state/", console.supervisor_state_view, name="agents_state"),
    path("tickets/<int:pk>/transfer/", console.transfer_view, name="transfer"),
    path("tickets/<int:pk>/notes/", console.note_view, name="note"),
    path("tickets/<int:pk>/tags/", console.tags_view, name="tags"),
    path("tickets/<int:pk>/canned/", console.canned_view, name="canned"),
    path("tickets/<int:pk>/", console.ticket_view, name="ticket"),
    path("tickets/<int:pk>/state/", console.ticket_state_view, name="ticket_state"),
    path("tickets/<int:pk>/take/", console.take_view, name="take"),
    path("tickets/<int:pk>/reply/", console.reply_view, name="reply"),
    path("tickets/<int:pk>/resolve/", console.resolve_view, name="resolve"),
]

# Included at /chat/ under the namespace "chat".
chat_patterns = (
    [
        path("<int:bot_id>/", chat.start_view, name="start"),
        path("c/<str:token>/", chat.conversation_view, name="conversation"),
        path("c/<str:token>/state/", chat.state_view, name="state"),
        path("c/<str:token>/messages/", chat.message_view, name="message"),
        path("c/<str:token>/csat/", chat.csat_view, name="csat"),
    ],
    "chat",
)
