from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import TicketFilter
from api.permissions import IsStudioAdmin, studio_admin
from api.serializers.common import ERRORS, WITH_CONFLICT, Representer
from api.serializers.inbox import (
    AssignSerializer,
    CannedResponseSerializer,
    MessageSerializer,
    NoteSerializer,
    RatingResultSerializer,
    RatingSerializer,
    ReplySerializer,
    ResolveSerializer,
    TagsSerializer,
    TicketSerializer,
    TransferSerializer,
)
from api.views.base import AdminViewSet, InboxViewSet
from inbox import queries
from inbox import services as inbox
from inbox.models import CannedResponse, InternalNote, Ticket

# What the actions answer with: a ticket as TicketSerializer shows it (whose output reads no
# request), from one serializer built once.
ticket_answer = Representer(TicketSerializer)


@extend_schema_view(
    list=extend_schema(summary="List tickets", responses={200: TicketSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(summary="Get a ticket", responses={200: TicketSerializer, **ERRORS}),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, InboxViewSet):
    queryset = Ticket.objects.select_related("csat_response")
    serializer_class = TicketSerializer
    filterset_class = TicketFilter

    def get_queryset(self):
        return super().get_queryset().with_queue_position()

    def get_object(self):
        if self.action != "resolve":
            return super().get_object()
        # resolve reads its ticket with the bot (its CSAT settings), the conversation and the
        # customer (its events name them) in one statement written once per process, under
        # the scoped queryset's access rule; it answers with the row its UPDATE returned, so
        # no queue position or CSAT response here.
        ticket = queries.ticket_with_parties(
            self.request.user, int(self.kwargs["pk"]), admin=studio_admin(self.request)
        )
        if ticket is None:
            raise Http404(f"No {Ticket._meta.object_name} matches the given query.")  # as get_object's
        self.check_object_permissions(self.request, ticket)
        return ticket

    def _ticket(self, ticket, code=status.HTTP_200_OK) -> Response:
        # The ticket was found through the scoped queryset (get_object) or a scoped field
        # already; this re-read only picks up the change and the CSAT response.
        ticket = Ticket.objects.select_related("csat_response").get(pk=ticket.pk)
        return Response(ticket_answer(ticket), status=code)

    @extend_schema(summary="Raise a ticket on a conversation", responses={201: TicketSerializer, **ERRORS})
    def create(self, request):
        data = self.validated(TicketSerializer)
        ticket = inbox.raise_ticket(
            data["conversation"],
            subject=data["subject"],
            category=data["category"],
            priority=data["priority"],
            group=data["group"],
        )
        if data.get("tags"):
            ticket = inbox.set_tags(ticket, request.user, data["tags"])
        return self._ticket(ticket, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Assign the ticket to an agent of its bot",
        request=AssignSerializer,
        responses={200: TicketSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        ticket = self.get_object()
        data = self.validated(AssignSerializer)
        return self._ticket(inbox.assign_ticket(ticket, data["agent"], by=request.user, force=data["force"]))

    @extend_schema(
        summary="Transfer the ticket to an agent or a group, with a note",
        description="The receiving agent's capacity applies unless a studio admin sets `force`. "
        "A group transfer queues the ticket there (assigned at once when one of its agents is free).",
        request=TransferSerializer,
        responses={200: TicketSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        ticket = self.get_object()
        data = self.validated(TransferSerializer)
        moved = inbox.transfer_ticket(
            ticket,
            request.user,
            agent=data.get("agent"),
            group=data.get("group"),
            note=data["note"],
            force=data["force"],
        )
        return self._ticket(moved)

    @extend_schema(
        summary="Replace the ticket's tags",
        request=TagsSerializer,
        responses={200: TicketSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def tags(self, request, pk=None):
        ticket = self.get_object()
        data = self.validated(TagsSerializer)
        return self._ticket(inbox.set_tags(ticket, request.user, data["tags"]))

    @extend_schema(
        methods=["GET"],
        summary="The ticket's internal notes",
        responses={200: NoteSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add an internal note (never shown to the customer)",
        request=NoteSerializer,
        responses={201: NoteSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def notes(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "GET":
            notes = (
                InternalNote.objects.filter(ticket=ticket)
                .select_related("author")
                .order_by("created_at", "id")
            )
            page = self.paginate_queryset(notes)
            return self.get_paginated_response(NoteSerializer(page, many=True).data)
        data = self.validated(NoteSerializer)
        note = inbox.add_note(ticket, request.user, data["text"])
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reply to the customer as the agent",
        request=ReplySerializer,
        responses={201: MessageSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        ticket = self.get_object()
        data = self.validated(ReplySerializer)
        message = inbox.reply_to_ticket(ticket, request.user, data["text"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Resolve the ticket",
        description="Closes it, or moves it to pending_csat when the bot's CSAT is on. "
        "A ticket already pending_csat or closed gives 409 and nothing runs again.",
        request=ResolveSerializer,
        responses={200: TicketSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        ticket = self.get_object()
        data = self.validated(ResolveSerializer)
        # resolve_ticket answers with the row its closing UPDATE wrote (RETURNING), in its
        # transaction: that is what committed, so no second read here.
        resolved = inbox.resolve_ticket(ticket, request.user, note=data["note"])
        return Response(ticket_answer(resolved))

    @extend_schema(
        summary="Record the customer's CSAT rating (closes a pending_csat ticket)",
        description="Studio admins only (integrations); agents get 403. Customers rate in their chat.",
        request=RatingSerializer,
        responses={201: RatingResultSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsStudioAdmin])
    def csat(self, request, pk=None):
        # The customer's rating comes from the customer (the chat page and its token) or a
        # trusted integration (a studio admin's token), never from the agent being rated.
        ticket = self.get_object()
        data = self.validated(RatingSerializer)
        response = inbox.submit_csat(ticket, data["rating"], comment=data["comment"])
        return Response(RatingResultSerializer(response).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List canned responses", responses={200: CannedResponseSerializer(many=True)}),
    create=extend_schema(
        summary="Create a canned response", responses={201: CannedResponseSerializer, **ERRORS}
    ),
    retrieve=extend_schema(
        summary="Get a canned response", responses={200: CannedResponseSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change a canned response", responses={200: CannedResponseSerializer}
    ),
    destroy=extend_schema(summary="Delete a canned response", responses={204: None, **ERRORS}),
)
class CannedResponseViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AdminViewSet,
):
    """Per-bot saved replies; the text is a template over customer, agent and ticket."""

    queryset = CannedResponse.objects.all()
    serializer_class = CannedResponseSerializer
    filterset_fields = ["bot"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = inbox.save_canned_response(
            data["bot"], shortcut=data["shortcut"], text=data["text"]
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = inbox.save_canned_response(
            serializer.instance.bot,
            shortcut=data.get("shortcut", serializer.instance.shortcut),
            text=data.get("text", serializer.instance.text),
            canned=serializer.instance,
        )

    def perform_destroy(self, instance):
        inbox.delete_canned_response(instance)
