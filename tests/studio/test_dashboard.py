from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flows.models import FlowRun
from home.dashboard import dashboard
from inbox import services as inbox
from inbox.models import CSATResponse
from tests.conftest import open_ticket
from tests.inbox.test_resolve import event_flow

pytestmark = pytest.mark.django_db


def finished_run(flow, status, *, ago, error=""):
    return FlowRun.objects.create(
        flow=flow, trigger="manual", status=status, error=error, finished_at=timezone.now() - ago
    )


def test_it_counts_open_tickets_csat_and_runs(admin_user, agent, bot, csat_bot, other_bot):
    open_ticket(bot)
    taken = open_ticket(bot)
    inbox.assign_ticket(taken, agent)
    rated, pending, old = open_ticket(csat_bot), open_ticket(csat_bot), open_ticket(csat_bot)
    for t in (rated, pending, old):
        inbox.resolve_ticket(t, agent)
    inbox.submit_csat(rated, 4)
    inbox.submit_csat(old, 1)
    CSATResponse.objects.filter(ticket=old).update(submitted_at=timezone.now() - timedelta(days=8))
    flow = event_flow(bot)
    finished_run(flow, "succeeded", ago=timedelta(hours=1))
    failed = finished_run(flow, "failed", ago=timedelta(minutes=5), error="CRM said 500")
    finished_run(flow, "failed", ago=timedelta(hours=30), error="old")

    figures = dashboard(admin_user)
    assert (figures.open_tickets, figures.unassigned_tickets, figures.pending_csat) == (2, 1, 1)
    assert (figures.csat_average, figures.csat_percent, figures.csat_count) == (4, 80, 1)
    assert (figures.runs_succeeded, figures.runs_failed) == (1, 1)
    assert [r.error for r in figures.last_failures] == ["CRM said 500", "old"]
    assert figures.last_failures[0] == failed


def test_it_shows_an_agent_only_their_bots(agent, other_agent, bot, other_bot):
    open_ticket(bot)
    finished_run(event_flow(bot), "failed", ago=timedelta(minutes=1))
    figures = dashboard(other_agent)
    assert (figures.open_tickets, figures.runs_failed, figures.last_failures) == (0, 0, [])
    assert dashboard(agent).open_tickets == 1


def test_with_nothing_yet_the_csat_average_is_empty(db):
    figures = dashboard(None)
    assert figures.csat_average is None and figures.csat_count == 0


def test_the_admin_home_page_shows_the_dashboard(client, admin_user, bot):
    open_ticket(bot)
    finished_run(event_flow(bot), "failed", ago=timedelta(minutes=1), error="Timeout calling CRM")
    client.force_login(admin_user)
    body = client.get("/admin/").content.decode()
    assert 'id="dashboard"' in body and 'id="dash-open">1<' in body and 'id="dash-failed">1<' in body
    assert "Timeout calling CRM" in body and "/admin/flows/flowrun/" in body
