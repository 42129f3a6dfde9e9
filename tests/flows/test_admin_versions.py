"""The flow's admin page: version history with Restore; the form under the builder; test runs apart."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flows import versions
from flows.models import Flow, FlowRun
from tests.flows.conftest import build_flow

pytestmark = pytest.mark.django_db


def test_the_history_lists_versions_and_restore_copies_one_into_the_draft(staff, bot, admin_user):
    flow = build_flow(bot, [("say", "send_message", {"text": "v1"})])
    flow.draft = {**flow.draft, "nodes": flow.draft["nodes"][:1], "edges": []}
    flow.save()
    versions.publish(flow, user=admin_user, note="Only start")
    url = reverse("admin:flows_flow_change", args=[flow.pk])
    page = staff.get(url).content.decode()
    assert 'id="version-history"' in page and "Only start" in page and "Restore into draft" in page
    restore = reverse("admin:flows_flow_restore", args=[flow.pk, 1])
    assert staff.get(restore).status_code == 405  # a change: POST only
    response = staff.post(restore)
    assert response.status_code == 302 and response["Location"] == url
    flow = Flow.objects.get(pk=flow.pk)
    assert [n["key"] for n in flow.draft["nodes"]] == ["start", "say"]
    assert (flow.published_version.number, versions.has_unpublished_changes(flow)) == (2, True)
    assert staff.post(reverse("admin:flows_flow_restore", args=[flow.pk, 9])).status_code == 302
    assert [n["key"] for n in Flow.objects.get(pk=flow.pk).draft["nodes"]] == ["start", "say"]


def test_the_form_under_the_builder_leaves_versions_and_draft_alone(staff, bot):
    flow = build_flow(bot, [("say", "send_message", {"text": "Hi"})])
    flow.draft = {**flow.draft, "nodes": flow.draft["nodes"][:1], "edges": []}
    flow.save()
    response = staff.post(
        reverse("admin:flows_flow_change", args=[flow.pk]),
        {"name": "Renamed", "description": "", "is_active": "on"},
    )
    assert response.status_code == 302
    flow = Flow.objects.get(pk=flow.pk)
    assert (flow.name, flow.published_version.number, flow.versions.count()) == ("Renamed", 1, 1)
    assert [n["key"] for n in flow.draft["nodes"]] == ["start"] and versions.has_unpublished_changes(flow)


def test_test_runs_are_listed_apart(staff, bot):
    flow = build_flow(bot, [])
    real = FlowRun.objects.create(flow=flow, version=flow.published_version, trigger="manual")
    test = FlowRun.objects.create(flow=flow, graph=flow.draft, trigger="test", dry_run=True)
    runs = staff.get(reverse("admin:flows_flowrun_changelist")).content.decode()
    tests = staff.get(reverse("admin:flows_testrun_changelist")).content.decode()
    assert f"/flowrun/{real.pk}/change/" in runs and f"/flowrun/{test.pk}/change/" not in runs
    assert f"/testrun/{test.pk}/change/" in tests and f"/testrun/{real.pk}/change/" not in tests
    assert staff.get(reverse("admin:flows_testrun_change", args=[test.pk])).status_code == 200
