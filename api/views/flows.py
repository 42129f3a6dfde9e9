from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.filters import FlowFilter
from api.permissions import IsStudioAdmin
from api.serializers.common import ERRORS, WITH_CONFLICT, RunStartedSerializer
from api.serializers.flows import FlowSerializer, NodeTypeSerializer, RunFlowSerializer
from api.views.base import AdminViewSet
from flows import graph, nodes
from flows import services as flow_services
from flows.models import Flow


@extend_schema_view(
    list=extend_schema(summary="List flows", responses={200: FlowSerializer(many=True), **ERRORS}),
    create=extend_schema(summary="Create a flow, whole", responses={201: FlowSerializer, **ERRORS}),
    retrieve=extend_schema(summary="Get a flow", responses={200: FlowSerializer, **ERRORS}),
    update=extend_schema(summary="Replace a flow, whole", responses={200: FlowSerializer, **ERRORS}),
    partial_update=extend_schema(
        summary="Change some fields of a flow",
        description="The fields sent replace the flow's own (nodes and edges as whole lists); "
        "the result is validated and saved whole.",
        responses={200: FlowSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="Delete a flow and its runs", responses={204: None, **ERRORS}),
)
class FlowViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AdminViewSet,
):
    queryset = Flow.objects.prefetch_related("nodes", "edges")
    serializer_class = FlowSerializer
    filterset_class = FlowFilter

    def partial_update(self, request, *args, **kwargs):
        flow = self.get_object()
        data = request.data
        if isinstance(data, dict):
            data = {**graph.flow_to_dict(flow), **data}
        serializer = self.get_serializer(flow, data=data)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(serializer.data)

    @extend_schema(
        summary="Start a manual run",
        request=RunFlowSerializer,
        responses={202: RunStartedSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        flow = self.get_object()
        serializer = RunFlowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = flow_services.start_manual_run(flow, serializer.validated_data["context"])
        return Response({"run": run.pk}, status=status.HTTP_202_ACCEPTED)


def _node_type(node) -> dict:
    return {
        "name": node.name,
        "label": node.label,
        "description": node.description,
        "ports": list(node.ports),
        "config_schema": node.config_schema,
    }


@extend_schema_view(
    list=extend_schema(
        summary="List node types with their ports and config schema",
        responses={200: NodeTypeSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="Get a node type", responses={200: NodeTypeSerializer, **ERRORS}),
)
class NodeTypeViewSet(viewsets.ViewSet):
    permission_classes = [IsStudioAdmin]
    serializer_class = NodeTypeSerializer
    lookup_field = "name"
    lookup_value_regex = r"[a-z0-9_]+"
    pagination_class = AdminViewSet.pagination_class

    def list(self, request):
        items = [_node_type(n) for n in nodes.registry().values()]
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(page)

    def retrieve(self, request, name=None):
        node = nodes.get(name)
        if node is None:
            raise NotFound(f"There is no node type {name!r}.")
        return Response(_node_type(node))
