from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.serializers.common import ERRORS
from api.serializers.inbox import ConversationSerializer, MessageSerializer
from api.views.base import InboxViewSet
from inbox import services as inbox
from inbox.models import Conversation


@extend_schema_view(
    list=extend_schema(
        summary="List conversations", responses={200: ConversationSerializer(many=True), **ERRORS}
    ),
    retrieve=extend_schema(summary="Get a conversation", responses={200: ConversationSerializer, **ERRORS}),
)
class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, InboxViewSet):
    queryset = Conversation.objects.select_related("customer")
    serializer_class = ConversationSerializer

    @extend_schema(
        summary="Start a conversation (and the bot's conversation flow, if any)",
        responses={201: ConversationSerializer, **ERRORS},
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        conversation = inbox.start_conversation(
            data["bot"], customer=dict(data.get("customer") or {}), channel=data["channel"]
        )
        return Response(self.get_serializer(conversation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="List a conversation's messages",
        request=None,
        responses={200: MessageSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        summary="Post a message as the customer",
        request=MessageSerializer,
        responses={201: MessageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=MessageSerializer)
    def messages(self, request, pk=None):
        conversation = self.get_object()
        if request.method == "POST":
            message = inbox.post_customer_message(conversation, self.validated(MessageSerializer)["text"])
            return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(conversation.messages.all())
        return self.get_paginated_response(MessageSerializer(page, many=True).data)
