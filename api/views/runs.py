from __future__ import annotations

from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import RunFilter
from api.serializers.common import ERRORS, WITH_CONFLICT
from api.serializers.runs import RunSerializer
from api.views.base import AdminViewSet
from flows import services as flow_services
from flows.models import FlowRun


@extend_schema_view(
    list=extend_schema(summary="List flow runs", responses={200: RunSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(summary="Get a run with its steps", responses={200: RunSerializer, **ERRORS}),
)
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AdminViewSet):
    queryset = FlowRun.objects.prefetch_related("steps").annotate(version_number=F("version__number"))
    serializer_class = RunSerializer
    filterset_class = RunFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("trigger") != FlowRun.Trigger.TEST:
            # Test runs are listed apart: ?trigger=test lists them.
            queryset = queryset.exclude(trigger=FlowRun.Trigger.TEST)
        return queryset

    @extend_schema(
        summary="Replay a failed run from the step that failed",
        request=None,
        responses={202: RunSerializer, **WITH_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        run = flow_services.replay_run(self.get_object())
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
