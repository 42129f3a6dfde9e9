from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from api.filters import FlowFilter
from api.permissions import IsStudioAdmin
from api.serializers.common import ERRORS, WITH_CONFLICT, RunStartedSerializer
from api.serializers.flows import FlowSerializer, NodeTypeSerializer, RunFlowSerializer
from api.serializers.versions import (
    DiffSerializer,
    DraftInvalidSerializer,
    DraftSerializer,
    FlowStatsSerializer,
    PublishSerializer,
    SampleEventSerializer,
    TestRunSerializer,
    VersionGraphSerializer,
    VersionPageSerializer,
    VersionSerializer,
)
from api.views.base import AdminViewSet
from events import services as events
from flows import dry_run, graph, nodes, stats, tryit, versions
from flows import services as flow_services
from flows.models import Flow
from studio.numbers import whole_number

NUMBER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The version number."
)
PUBLISH_ERRORS = {**WITH_CONFLICT, 400: DraftInvalidSerializer}


def _draft_body(flow: Flow, problems) -> dict:
    draft = versions.draft_of(flow)
    return {
        "trigger": draft.get("trigger"),
        "nodes": draft.get("nodes", []),
        "edges": draft.get("edges", []),
        "problems": [p.as_dict() for p in problems],
    }


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
    queryset = Flow.objects.select_related("published_version")
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
        run = flow_services.start_manual_run(flow, self.validated(RunFlowSerializer)["context"])
        return Response({"run": run.pk}, status=status.HTTP_202_ACCEPTED)

    # --- Drafts and versions ------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="Get the draft (the working copy) with its problems",
        responses={200: DraftSerializer, **ERRORS},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Save the draft",
        description="Saved as it is, however incomplete (200); the problems that would stop publishing are listed.",
        request=DraftSerializer,
        responses={200: DraftSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "put"])
    def draft(self, request, pk=None):
        flow = self.get_object()
        if request.method == "PUT":
            problems = versions.save_draft(flow, dict(self.validated(DraftSerializer)))
        else:
            problems = versions.problems_of(flow)
        return Response(_draft_body(flow, problems))

    @extend_schema(
        summary="Publish the draft as the next version",
        description="Validates the draft; 400 lists its problems. Only published versions run.",
        request=PublishSerializer,
        responses={201: VersionSerializer, **PUBLISH_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        flow = self.get_object()
        version = versions.publish(flow, user=request.user, note=self.validated(PublishSerializer)["note"])
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List the published versions, newest first",
        operation_id="flows_versions_list",
        responses={200: VersionPageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="versions")
    def version_list(self, request, pk=None):
        flow = self.get_object()
        queryset = flow.versions.select_related("published_by").defer("graph").order_by("-number")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(VersionSerializer(page, many=True).data)

    @extend_schema(
        summary="Get a published version with its graph",
        parameters=[NUMBER],
        responses={200: VersionGraphSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]{1,9})")
    def version_detail(self, request, pk=None, number=None):
        version = self._version(number)
        return Response(VersionGraphSerializer(version).data)

    @extend_schema(
        summary="Copy a published version into the draft",
        description="The draft is replaced; publish it to make it run again.",
        parameters=[NUMBER],
        request=None,
        responses={200: DraftSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]{1,9})/restore")
    def restore(self, request, pk=None, number=None):
        flow = self._version(number).flow
        versions.restore(flow, int(number))
        return Response(_draft_body(flow, versions.problems_of(flow)))

    @extend_schema(
        summary="What changed between two versions (or a version and the draft)",
        parameters=[
            NUMBER,
            OpenApiParameter(
                "against",
                OpenApiTypes.STR,
                description='A version number or "draft"; default: the version before.',
            ),
        ],
        responses={200: DiffSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]{1,9})/diff")
    def diff(self, request, pk=None, number=None):
        version = self._version(number)
        against = request.query_params.get("against", str(version.number - 1))
        if against == "draft":
            old, new = version.graph, versions.draft_of(version.flow)
        elif whole_number(against, max_digits=9) is not None:
            old, new = self._version(against).graph, version.graph
        else:
            raise ValidationError({"against": ['A version number or "draft".']})
        return Response({"version": version.number, "against": against, **versions.diff(old, new)})

    def _version(self, number):
        flow = self.get_object()
        version = flow.versions.select_related("published_by", "flow").filter(number=int(number)).first()
        if version is None:
            raise NotFound(f"Flow {flow.name!r} has no version {number}.")
        return version

    # --- Test runs, samples, figures -------------------------------------------------------

    @extend_schema(
        summary="Start a test run of the draft (or the published version)",
        description="The run has trigger `test`: no run-failed, not in the figures. A dry run (default) "
        "executes before the response; nodes with effects outside the run record what they would do.",
        request=TestRunSerializer,
        responses={202: RunStartedSerializer, **PUBLISH_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        flow = self.get_object()
        run = tryit.start_test_run(flow, **self.validated(TestRunSerializer))
        return Response({"run": run.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="A payload to try the flow with",
        description="For the draft's event trigger: the event's latest occurrence, else its documented example.",
        responses={200: SampleEventSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="sample-event")
    def sample_event(self, request, pk=None):
        flow = self.get_object()
        trigger = versions.draft_of(flow).get("trigger")
        key = trigger.get("event") if isinstance(trigger, dict) and trigger.get("type") == "event" else None
        if not isinstance(key, str) or not key:
            return Response({"event": None, "source": "none", "occurrence": None, "payload": {}})
        return Response(events.sample_payload(flow.bot, key))

    @extend_schema(
        summary="Runs per day by outcome and duration percentiles (test runs left out)",
        parameters=[
            OpenApiParameter("days", OpenApiTypes.INT, description=f"1 to {stats.MAX_DAYS}; default 14.")
        ],
        responses={200: FlowStatsSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        flow = self.get_object()
        days = whole_number(request.query_params.get("days", "14"))
        if days is None or not 1 <= days <= stats.MAX_DAYS:
            raise ValidationError({"days": [f"A whole number of days from 1 to {stats.MAX_DAYS}."]})
        return Response(FlowStatsSerializer(stats.flow_stats(flow, days=days)).data)


def _node_type(node) -> dict:
    return {
        "name": node.name,
        "label": node.label,
        "description": node.description,
        "family": node.family,
        "ports": list(node.ports),
        "success_port": dry_run.success_port(node),
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
