from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api.views.agents import AgentViewSet
from api.views.auth import ObtainTokenView
from api.views.bots import BotViewSet
from api.views.conversations import ConversationViewSet
from api.views.events import EventOccurrenceViewSet, EventViewSet
from api.views.flows import FlowViewSet, NodeTypeViewSet
from api.views.runs import RunViewSet
from api.views.tickets import CannedResponseViewSet, TicketViewSet
from studio.security import LoggedInUnlessDebug, login_unless_debug

router = DefaultRouter()
router.include_root_view = False
router.register("bots", BotViewSet, basename="bot")
router.register("agents", AgentViewSet, basename="agent")
router.register("events", EventViewSet, basename="event")
router.register("event-occurrences", EventOccurrenceViewSet, basename="event-occurrence")
router.register("flows", FlowViewSet, basename="flow")
router.register("node-types", NodeTypeViewSet, basename="node-type")
router.register("runs", RunViewSet, basename="run")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("canned-responses", CannedResponseViewSet, basename="canned-response")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    # Public while developing; a login in production (DEBUG off).
    path("schema/", SpectacularAPIView.as_view(permission_classes=[LoggedInUnlessDebug]), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path(
        "docs/",
        login_unless_debug(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", permission_classes=[LoggedInUnlessDebug]
            )
        ),
        name="api-docs",
    ),
    *router.urls,
]
