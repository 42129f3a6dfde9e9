"""The mission in a real browser: the admin activates ticket-closed, an agent resolves,
the customer rates, the agent sees the rating without a reload, the admin sees the run."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from events.models import Event
from flows import graph
from flows.models import FlowRun
from inbox import services as inbox
from inbox.models import Ticket
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ticket_closed_flow(bot):
    """Billing tickets go to the CRM table; every customer gets a promotional message."""
    return graph.save_flow(
        bot=bot,
        data={
            "name": "Billing to CRM and promo",
            "trigger": {"type": "event", "event": "ticket-closed"},
            "nodes": [
                {"key": "start", "type": "start", "config": {}},
                {
                    "key": "is_billing",
                    "type": "condition",
                    "config": {"expression": "event.ticket.category == 'billing'"},
                },
                {
                    "key": "crm",
                    "type": "database",
                    "config": {
                        "table": "crm",
                        "operation": "upsert",
                        "key": {"ticket": "{{ event.ticket.id }}"},
                        "values": {
                            "rating": "{{ event.csat.rating }}",
                            "subject": "{{ event.ticket.subject }}",
                        },
                    },
                },
                {
                    "key": "promo",
                    "type": "send_message",
                    "config": {
                        "text": "Thanks {{ event.customer.name }}! Here is 20% off your next order: SAVE20"
                    },
                },
                {"key": "done", "type": "end", "config": {}},
            ],
            "edges": [
                {"source": "start", "port": "next", "target": "is_billing"},
                {"source": "is_billing", "port": "true", "target": "crm"},
                {"source": "is_billing", "port": "false", "target": "promo"},
                {"source": "crm", "port": "success", "target": "promo"},
                {"source": "promo", "port": "next", "target": "done"},
            ],
        },
    )


def customer_ticket(bot, *, name="Dana Customer", subject="I was charged twice"):
    conversation = inbox.start_conversation(bot, customer={"name": name, "email": "dana@example.com"})
    inbox.post_customer_message(conversation, "Hello, my card was charged twice for order A-17.")
    return inbox.raise_ticket(
        conversation, subject=subject, category="billing", priority="high", custom_fields={"order": "A-17"}
    )


def log_in(page, base, username, *, admin=False):
    page.goto(f"{base}/admin/login/" if admin else f"{base}/inbox/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_resolve_rate_and_the_ticket_closed_flow_runs(
    live_server, new_page, admin_user, agent, csat_bot, bot
):
    base = live_server.url
    flow = ticket_closed_flow(csat_bot)
    ticket = customer_ticket(csat_bot)
    customer_ticket(bot, name="Eli Customer", subject="The app crashes on login")

    # The admin activates ticket-closed in the event hub.
    admin = new_page()
    admin.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    log_in(admin, base, "admin", admin=True)
    hub = f"{base}/admin/events/event/?bot__id__exact={csat_bot.pk}"
    admin.goto(hub)
    admin.get_by_role("link", name="ticket-closed", exact=True).click()
    admin.get_by_role("button", name="Activate").click()
    expect(admin.locator("#toggle-event")).to_have_text(re.compile("Deactivate"))
    assert Event.objects.get(bot=csat_bot, key="ticket-closed").is_active
    admin.goto(hub)
    expect(admin.locator("tr", has_text="ticket-closed")).to_contain_text("Active")
    screenshot(admin, "event-hub.png")

    # The agent logs in, takes the ticket from the queue, replies and resolves.
    desk = new_page()
    log_in(desk, base, "alice")
    expect(desk).to_have_url(f"{base}/inbox/")
    expect(desk.get_by_role("link", name=f"#{ticket.pk} I was charged twice")).to_be_visible()
    screenshot(desk, "agent-console.png")
    desk.get_by_role("button", name=f"Take ticket #{ticket.pk}").click()
    expect(desk).to_have_url(f"{base}/inbox/tickets/{ticket.pk}/")
    expect(desk.locator("#notice")).to_contain_text("is yours")
    desk.evaluate("window.__sameDocument = true")
    desk.get_by_label("Reply to Dana Customer").fill("Sorry about that, the refund is on its way.")
    desk.get_by_role("button", name="Send reply").click()
    expect(desk.locator("#transcript .msg-agent")).to_contain_text("the refund is on its way")
    desk.get_by_label("Resolution note (optional)").fill("Refunded the duplicate charge")
    desk.get_by_role("button", name="Resolve").click()
    expect(desk.locator("#ticket-status")).to_have_text("Pending CSAT")
    expect(desk.locator("#csat-result")).to_contain_text("Waiting for the customer's rating")
    expect(desk.get_by_role("button", name="Resolve")).to_have_count(0)

    # The customer sees the question on the chat page and rates 5.
    chat = new_page()
    chat.goto(f"{base}/chat/c/{ticket.conversation.access_token}/")
    expect(chat.locator("#transcript")).to_contain_text("the refund is on its way")
    expect(chat.locator("#csat-question")).to_have_text(csat_bot.csat_question)
    screenshot(chat, "chat.png")
    chat.get_by_label("Comment (optional)").fill("Quick and friendly")
    chat.get_by_role("button", name="Rate 5 out of 5").click()
    expect(chat.locator("#csat-thanks")).to_contain_text("5/5")
    expect(chat.locator("#csat")).to_be_hidden()

    # The agent's page shows the rating without a reload.
    expect(desk.locator("#csat-rating")).to_have_text("5/5", timeout=8_000)
    expect(desk.locator("#csat-comment")).to_have_text("Quick and friendly")
    expect(desk.locator("#ticket-status")).to_have_text("Closed")
    assert desk.evaluate("window.__sameDocument") is True
    screenshot(desk, "ticket.png")
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"

    # The ticket-closed flow ran; the admin sees it on the canvas, the run and the dashboard.
    run = FlowRun.objects.get(flow=flow)
    assert (run.status, run.trigger, run.ticket_id) == ("succeeded", "event", ticket.pk)
    # The flow's promotional message reaches the customer's open chat page.
    expect(chat.locator("#transcript")).to_contain_text("20% off your next order", timeout=8_000)
    admin.goto(f"{base}/admin/flows/flow/{flow.pk}/change/")
    expect(admin.locator("#flow-builder")).to_have_attribute("data-ready", "true")
    expect(admin.locator('#fb-canvas .drawflow-node[data-key="is_billing"]')).to_be_visible()
    admin.get_by_role("link", name=f"Run {run.pk}").click()
    expect(admin.locator("#run-status")).to_have_text("Succeeded")
    timeline = admin.locator("#run-timeline > li")
    expect(timeline).to_have_count(5)
    expect(timeline.nth(1)).to_contain_text("is_billing")
    expect(timeline.nth(1)).to_contain_text("true")
    expect(timeline.nth(2)).to_contain_text("crm")
    screenshot(admin, "run.png")
    admin.goto(f"{base}/admin/")
    expect(admin.locator("#dash-succeeded")).to_have_text("1")
    expect(admin.locator("#dash-csat")).to_have_text("5.0")
    screenshot(admin, "dashboard.png")


def test_a_refused_action_shows_the_servers_message(live_server, new_page, agent, bot):
    base = live_server.url
    ticket = customer_ticket(bot)
    page = new_page()
    log_in(page, base, "alice")
    # Hold the page's refresh so it still offers Resolve after another agent closed the ticket.
    page.route(re.compile(r".*/state/.*"), lambda route: route.abort())
    page.goto(f"{base}/inbox/tickets/{ticket.pk}/")
    inbox.resolve_ticket(ticket, agent, note="closed elsewhere")
    page.get_by_role("button", name="Resolve").focus()
    page.keyboard.press("Enter")
    notice = page.get_by_role("status")
    expect(notice).to_have_text(f"Ticket {ticket.pk} is closed; it cannot be resolved again.")
    page.unroute(re.compile(r".*/state/.*"))
    expect(page.locator("#ticket-status")).to_have_text("Closed", timeout=8_000)
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
