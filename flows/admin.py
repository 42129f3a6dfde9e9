from __future__ import annotations

import json

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from flows import graph, services, versions
from flows.admin_forms import ImportFlowForm
from flows.models import Flow, FlowRun, TestRun
from studio.errors import ServiceError

RECENT_RUNS = 10


def _builder_config(flow: Flow) -> dict:
    """What the builder's script needs, passed with json_script (no inline script)."""
    api = f"/api/flows/{flow.pk}/"
    return {
        "flow": flow.pk,
        "bot": flow.bot_id,
        "name": flow.name,
        "urls": {
            "flow": api,
            "draft": f"{api}draft/",
            "publish": f"{api}publish/",
            "versions": f"{api}versions/",
            "test": f"{api}test/",
            "sample_event": f"{api}sample-event/",
            "stats": f"{api}stats/?days=14",
            "node_types": "/api/node-types/?page_size=1000",
            "events": f"/api/events/?bot={flow.bot_id}&page_size=1000",
            "occurrences": "/api/event-occurrences/",
            "runs": "/api/runs/",
            "run_page": reverse("admin:flows_flowrun_change", args=[0]).replace("/0/", "/{id}/"),
            "test_run_page": reverse("admin:flows_testrun_change", args=[0]).replace("/0/", "/{id}/"),
            "export": reverse("admin:flows_flow_export", args=[flow.pk]),
        },
    }


def _json_download(data, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    """A flow's page is the visual builder (flows/static/flows/builder/): the graph, the
    trigger, test runs, versions and figures are edited through the REST API; the form
    below it keeps only the flow's name, description and on/off switch. JSON import and
    export stay."""

    list_display = [
        "name",
        "bot",
        "trigger_type",
        "trigger_event",
        "is_active",
        "live_version",
        "updated_at",
        "builder_link",
    ]
    list_filter = ["bot", "trigger_type", "is_active"]
    list_select_related = ["bot", "published_version"]
    search_fields = ["name"]
    actions = ["export_json"]
    change_list_template = "admin/flows/flow/change_list.html"

    readonly_fields = ["live_version", "unpublished_changes", "version_history"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["bot", "name", "description"]
        return ["name", "description", "is_active", "live_version", "unpublished_changes", "version_history"]

    @admin.display(description="Builder")
    def builder_link(self, flow: Flow) -> str:
        url = reverse("admin:flows_flow_change", args=[flow.pk])
        return format_html('<a href="{}" class="open-builder">Open builder</a>', url)

    def response_add(self, request, obj, post_url_continue=None):
        # A new flow is built on its canvas: go there whichever save button was pressed.
        self.message_user(
            request, f"Flow {obj.name!r} created: add its nodes on the canvas.", messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:flows_flow_change", args=[obj.pk]))

    @admin.display(description="published version")
    def live_version(self, flow: Flow):
        return flow.published_version.number if flow.published_version_id else "—"

    @admin.display(description="unpublished changes in the draft", boolean=True)
    def unpublished_changes(self, flow: Flow) -> bool:
        return versions.has_unpublished_changes(flow) if flow.pk else False

    @admin.display(description="version history")
    def version_history(self, flow: Flow) -> str:
        """Published versions, newest first: who, when, note, and a Restore button (a read-only
        field rather than an inline, so saving the flow posts no formset for them)."""
        if not flow.pk:
            return "—"
        rows = [
            format_html(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                '<td><button type="submit" class="button" formaction="{}" formmethod="post"'
                ' formnovalidate aria-label="Restore version {} into the draft">Restore into draft</button>'
                "</td></tr>",
                version.number,
                date_format(timezone.localtime(version.published_at), "DATETIME_FORMAT"),
                version.published_by or "—",
                version.note or "",
                len(version.graph.get("nodes", [])),
                reverse("admin:flows_flow_restore", args=[flow.pk, version.number]),
                version.number,
            )
            for version in flow.versions.select_related("published_by").order_by("-number")
        ]
        if not rows:
            return "Not published yet."
        return format_html(
            '<table id="version-history"><thead><tr><th scope="col">Version</th><th scope="col">Published</th>'
            '<th scope="col">By</th><th scope="col">Note</th><th scope="col">Nodes</th><th scope="col"></th></tr>'
            "</thead><tbody>{}</tbody></table>",
            format_html_join("", "{}", ((row,) for row in rows)),
        )

    def restore_view(self, request: HttpRequest, pk: int, number: int):
        flow = get_object_or_404(Flow, pk=pk)
        if not self.has_change_permission(request, flow):
            return HttpResponse(status=403)
        try:
            versions.restore(flow, number)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(
                request,
                f"Version {number} copied into the draft; publish it to make it run.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:flows_flow_change", args=[pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        flow = self.get_object(request, object_id)
        if flow is not None:
            extra_context = {
                **(extra_context or {}),
                "builder": _builder_config(flow),
                "recent_runs": flow.runs.exclude(trigger=FlowRun.Trigger.TEST).order_by("-created_at", "-id")[
                    :RECENT_RUNS
                ],
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import-json/", view(self.import_view), name="flows_flow_import"),
            path("<int:pk>/export-json/", view(self.export_view), name="flows_flow_export"),
            path(
                "<int:pk>/versions/<int:number>/restore/",
                view(require_POST(self.restore_view)),
                name="flows_flow_restore",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest):
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = ImportFlowForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and form.save() is not None:
            self.message_user(request, f"Flow {form.flow.name!r} imported.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:flows_flow_change", args=[form.flow.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Import a flow from JSON",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/flows/flow/import.html", context)

    def export_view(self, request: HttpRequest, pk: int):
        flow = get_object_or_404(Flow, pk=pk)
        if not self.has_view_permission(request, flow):
            return HttpResponse(status=403)
        return _json_download(graph.flow_to_dict(flow), f"flow-{flow.pk}.json")

    @admin.action(description="Export selected flows as JSON")
    def export_json(self, request, queryset):
        flows = [graph.flow_to_dict(flow) for flow in queryset.select_related("published_version")]
        return _json_download(flows[0] if len(flows) == 1 else flows, "flows.json")


@admin.register(FlowRun)
class FlowRunAdmin(admin.ModelAdmin):
    """A run's page shows its steps as a timeline (the change_form template) and Replay."""

    list_display = ["id", "flow", "status", "trigger", "ticket", "created_at", "finished_at"]
    list_filter = ["status", "trigger", "flow__bot", "flow"]
    list_select_related = ["flow"]
    readonly_fields = [f.name for f in FlowRun._meta.fields]
    actions = ["replay", "cancel"]
    change_form_template = "admin/flows/flowrun/change_form.html"

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        # Test runs are listed apart (TestRunAdmin).
        return super().get_queryset(request).exclude(trigger=FlowRun.Trigger.TEST)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            steps = list(run.steps.order_by("seq"))
            for step in steps:
                step.output_json = json.dumps(step.output, indent=2, ensure_ascii=False, default=str)
            extra_context = {**(extra_context or {}), "steps": steps}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        replay = self.admin_site.admin_view(require_POST(self.replay_view))
        cancel = self.admin_site.admin_view(require_POST(self.cancel_view))
        return [
            path("<int:pk>/replay/", replay, name="flows_flowrun_replay"),
            path("<int:pk>/cancel/", cancel, name="flows_flowrun_cancel"),
            *super().get_urls(),
        ]

    def cancel_view(self, request: HttpRequest, pk: int):
        run = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, run):
            return HttpResponse(status=403)
        self._cancel_one(request, run)
        return HttpResponseRedirect(reverse("admin:flows_flowrun_change", args=[pk]))

    def _cancel_one(self, request, run: FlowRun) -> None:
        try:
            services.cancel_run(run)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Run {run.pk} cancelled.", messages.SUCCESS)

    @admin.action(description="Cancel selected queued, running or waiting runs")
    def cancel(self, request, queryset):
        for run in queryset:
            self._cancel_one(request, run)

    def replay_view(self, request: HttpRequest, pk: int):
        run = get_object_or_404(FlowRun, pk=pk)  # a test run's page posts here too
        if not self.has_change_permission(request, run):
            return HttpResponse(status=403)
        self._replay_one(request, run)
        return HttpResponseRedirect(reverse("admin:flows_flowrun_change", args=[pk]))

    def _replay_one(self, request, run: FlowRun) -> None:
        try:
            services.replay_run(run)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Run {run.pk} queued again.", messages.SUCCESS)

    @admin.action(description="Replay selected failed runs")
    def replay(self, request, queryset):
        for run in queryset:
            self._replay_one(request, run)


@admin.register(TestRun)
class TestRunAdmin(FlowRunAdmin):
    """Runs started by the builder's "Try it": apart from the runs that count."""

    list_display = ["id", "flow", "status", "dry_run", "version", "created_at", "finished_at"]
    list_filter = ["status", "dry_run", "flow__bot", "flow"]
    actions = []

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request).filter(trigger=FlowRun.Trigger.TEST)

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)  # replaying goes through the runs' own URL
