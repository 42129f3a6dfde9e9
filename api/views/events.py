from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.filters import EventFilter, EventOccurrenceFilter
from api.serializers.common import ERRORS
from api.serializers.events import (
    CustomEventSerializer,
    EmitSerializer,
    EmittedSerializer,
    EventOccurrenceSerializer,
    EventSerializer,
)
from api.views.base import AdminViewSet
from events import services as events
from events.models import Event, EventOccurrence
from studio.numbers import whole_number


@extend_schema_view(
    list=extend_schema(
        summary="List events (the catalogue of each bot and custom events)",
        responses={200: EventSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="Get an event", responses={200: EventSerializer, **ERRORS}),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AdminViewSet):
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter

    @extend_schema(
        summary="Create a custom event",
        request=CustomEventSerializer,
        responses={201: EventSerializer, **ERRORS},
    )
    def create(self, request):
        data = self.validated(CustomEventSerializer)
        event = events.create_custom_event(**data)
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Activate: the event starts the flows it triggers",
        request=None,
        responses={200: EventSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return Response(EventSerializer(events.set_active(self.get_object(), True)).data)

    @extend_schema(
        summary="Deactivate: the event is recorded as skipped and starts nothing",
        request=None,
        responses={200: EventSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return Response(EventSerializer(events.set_active(self.get_object(), False)).data)

    @extend_schema(
        summary="Emit the event with a payload",
        request=EmitSerializer,
        responses={202: EmittedSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def emit(self, request, pk=None):
        # Emitting is for studio admins, who see every bot (an AdminViewSet's queryset is not
        # scoped): the event is found by its id alone, in the statement that records the
        # occurrence and starts the runs, instead of a get_object() query before it.
        event_id = whole_number(pk)
        data = self.validated(EmitSerializer)
        occurrence = events.emit_event_id(event_id, data["payload"]) if event_id is not None else None
        if occurrence is None:
            raise NotFound()
        return Response(
            {"occurrence": occurrence.pk, "runs": sorted(occurrence.run_ids)}, status=status.HTTP_202_ACCEPTED
        )


@extend_schema_view(
    list=extend_schema(
        summary="List event occurrences (what each emission carried and started)",
        responses={200: EventOccurrenceSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get an event occurrence", responses={200: EventOccurrenceSerializer, **ERRORS}
    ),
)
class EventOccurrenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AdminViewSet):
    queryset = EventOccurrence.objects.prefetch_related("runs")
    serializer_class = EventOccurrenceSerializer
    filterset_class = EventOccurrenceFilter
