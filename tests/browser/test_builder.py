"""The flow builder in a real browser: a flow built from an empty canvas with the mouse,
its validation shown on the node and the field, a dry run painted on the canvas, publishing,
and the published flow calling a local receiver when a billing ticket is resolved."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from events.models import Event
from flows.models import Flow
from inbox import services as inbox
from tests.browser.conftest import screenshot
from tests.browser.test_mission import customer_ticket, log_in, ticket_closed_flow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _has_drafts() -> bool:
    try:
        reverse("flow-draft", args=[1])
    except NoReverseMatch:
        return False
    return True


# Drafts, publishing and test runs are served by the API; until they are, only the parts of
# the builder that need no draft are tried.
needs_drafts = pytest.mark.skipif(not _has_drafts(), reason="the API has no flow drafts yet")


def node(page, key):
    return page.locator(f'#fb-canvas .drawflow-node[data-key="{key}"]')


def drop(page, type_name, x, y):
    """Drag a palette item onto the canvas at (x, y) of the canvas."""
    item = page.locator(f'.fb-palette-item[data-type="{type_name}"]')
    # hover() waits until the item stands still, then puts the pointer on it: the press lands on
    # this item, not on whatever a late layout change moved under old coordinates.
    item.hover(position={"x": 20, "y": 10})
    canvas = page.locator("#fb-canvas").bounding_box()
    page.mouse.down()
    page.mouse.move(canvas["x"] + x, canvas["y"] + y, steps=6)
    page.mouse.up()


def connect(page, source, port_index, target):
    """Drag from a node's output port to another node's input, as a user does."""
    out = node(page, source).locator(f".outputs .output_{port_index}").bounding_box()
    into = node(page, target).locator(".inputs .input_1").bounding_box()
    page.mouse.move(out["x"] + out["width"] / 2, out["y"] + out["height"] / 2)
    page.mouse.down()
    page.mouse.move(into["x"] + 2, into["y"] + 2, steps=8)
    page.mouse.move(into["x"] + into["width"] / 2, into["y"] + into["height"] / 2, steps=2)
    page.mouse.up()


def saved(page):
    expect(page.locator("#fb-save-state")).to_have_attribute("data-state", re.compile("saved|invalid"))


def open_new_flow(page, base, bot, name):
    log_in(page, base, "admin", admin=True)
    page.goto(f"{base}/admin/flows/flow/add/")
    page.get_by_label("Bot").select_option(str(bot.pk))
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Save", exact=True).click()
    flow = Flow.objects.get(name=name)
    expect(page).to_have_url(f"{base}/admin/flows/flow/{flow.pk}/change/")
    expect(page.locator("#flow-builder")).to_have_attribute("data-ready", "true")
    return flow


def build_billing_flow(page, receiver_url):
    """Start on ticket-closed -> condition on the category -> api_call, with the mouse."""
    expect(page.locator("#fb-canvas .drawflow-node")).to_have_count(0)
    page.get_by_role("tab", name="Trigger").click()
    page.get_by_label("An event").check()
    page.get_by_label("Event", exact=True).select_option("ticket-closed")
    expect(page.locator("#fb-event-status")).to_contain_text("Inactive")
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#fb-event-status")).to_contain_text("Active")

    drop(page, "start", 60, 200)
    drop(page, "condition", 300, 200)
    drop(page, "api_call", 560, 140)
    for key in ("start", "condition_1", "api_call_1"):
        expect(node(page, key)).to_be_visible()
    expect(node(page, "condition_1").locator(".output_1")).to_have_attribute("data-port", "true")
    expect(node(page, "api_call_1").locator(".output_2")).to_have_attribute("data-port", "failure")

    connect(page, "start", 1, "condition_1")
    connect(page, "condition_1", 1, "api_call_1")
    expect(page.locator("#fb-canvas .connection")).to_have_count(2)
    # One edge per port: a second edge drawn from `next` replaces the first.
    drop(page, "end", 300, 380)
    connect(page, "start", 1, "end_1")
    expect(page.locator("#fb-canvas .connection")).to_have_count(2)
    expect(
        page.locator("#fb-canvas .connection.node_out_" + node(page, "start").get_attribute("id"))
    ).to_have_count(1)
    connect(page, "start", 1, "condition_1")
    # An edge is removed with a click and the Delete key, a node with Delete.
    connect(page, "condition_1", 2, "end_1")
    expect(page.locator("#fb-canvas .connection")).to_have_count(3)
    page.locator("#fb-canvas .connection.output_2 .main-path").click()
    page.keyboard.press("Delete")
    expect(page.locator("#fb-canvas .connection")).to_have_count(2)
    node(page, "end_1").click()
    page.keyboard.press("Delete")
    expect(node(page, "end_1")).to_have_count(0)

    # The condition's settings: a labelled, required expression field.
    node(page, "condition_1").click()
    page.get_by_label("Node key").fill("is_billing")
    page.get_by_label("Node key").press("Enter")
    expect(node(page, "is_billing")).to_be_visible()
    page.get_by_label("Expression", exact=True).fill("event.ticket.category == 'billing'")

    # The API call without its URL: the server's problem shows on the node and the field.
    node(page, "api_call_1").click()
    page.get_by_label("Node key").fill("crm")
    page.get_by_label("Node key").press("Enter")
    page.get_by_label("Method", exact=True).select_option("POST")
    page.get_by_role("button", name="Save now").click()
    expect(node(page, "crm").locator(".fb-node-problem")).to_have_text("1 problem")
    expect(page.locator('.fb-field[data-field="url"] .fb-field-error')).to_have_text(
        "Required: fill this in."
    )
    expect(page.locator("#fb-problems")).to_contain_text("crm · url")
    expect(page.get_by_label("URL", exact=True)).to_have_attribute("aria-invalid", "true")
    screenshot(page, "builder-problem.png")

    page.get_by_label("URL", exact=True).fill(receiver_url)
    page.get_by_label("Body", exact=True).fill(
        '{"ticket": "{{ event.ticket.id }}", "subject": "{{ event.ticket.subject }}"}'
    )
    page.get_by_role("button", name="Save now").click()
    expect(page.locator("#fb-save-state")).to_have_attribute("data-state", "saved")
    expect(node(page, "crm").locator(".fb-node-problem")).to_be_hidden()


@needs_drafts
def test_build_validate_try_publish_and_run_a_flow_with_the_mouse(
    live_server, new_page, admin_user, agent, bot, httpserver
):
    base = live_server.url
    httpserver.expect_request("/crm", method="POST").respond_with_json({"ok": True})
    page = new_page()
    page.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    flow = open_new_flow(page, base, bot, "Billing tickets to the CRM")
    build_billing_flow(page, httpserver.url_for("/crm"))

    # The draft on the server is the graph drawn.
    draft = page.evaluate("fetch('/api/flows/%d/draft/').then(r => r.json())" % flow.pk)
    assert draft["trigger"] == {"type": "event", "event": "ticket-closed"}
    assert sorted((e["source"], e["port"], e["target"]) for e in draft["edges"]) == [
        ("is_billing", "true", "crm"),
        ("start", "next", "is_billing"),
    ]
    assert Event.objects.get(bot=bot, key="ticket-closed").is_active

    # Try it: a dry run with a sample payload, painted on the canvas; nothing is sent.
    page.get_by_role("tab", name="Try it").click()
    page.get_by_label("Sample event payload (JSON)").fill(
        json.dumps({"ticket": {"id": 1, "category": "billing", "subject": "Charged twice"}})
    )
    expect(page.get_by_label("Dry run", exact=True)).to_be_checked()
    page.get_by_role("button", name="Run test").click()
    expect(page.locator("#fb-test-status")).to_have_attribute("data-status", "succeeded")
    for key in ("start", "is_billing", "crm"):
        expect(node(page, key)).to_have_class(re.compile("fb-visited"))
    expect(node(page, "crm")).to_have_class(re.compile("fb-outcome-dry"))
    expect(page.locator("#fb-canvas .connection.fb-taken")).to_have_count(2)
    page.get_by_role("button", name="Fit to screen").click()
    page.evaluate("window.scrollTo(0, 0); document.querySelector('.fb-palette').scrollTop = 0")
    expect(page.locator("#fb-test-steps li")).to_have_count(3)
    screenshot(page, "builder.png")
    node(page, "crm").click()
    expect(page.locator(".fb-step-details")).to_be_visible()
    expect(page.locator(".fb-step-details")).to_contain_text('"dry_run": true')
    assert len(httpserver.log) == 0

    # Publish, then a billing ticket resolved for real reaches the receiver once.
    page.get_by_label("Note").fill("First version")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#fb-publish-status")).to_contain_text("Published version 1")
    ticket = customer_ticket(bot)
    inbox.resolve_ticket(ticket, agent, note="refunded")
    deadline = time.monotonic() + 10
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(httpserver.log) == 1
    request = httpserver.log[0][0]
    assert request.get_json() == {"ticket": ticket.pk, "subject": "I was charged twice"}


def test_the_canvas_works_from_the_keyboard(live_server, new_page, admin_user, bot):
    base = live_server.url
    page = new_page()
    open_new_flow(page, base, bot, "Keyboard flow")
    # Palette items are buttons: Enter adds the node and focuses it.
    page.locator('.fb-palette-item[data-type="start"]').focus()
    page.keyboard.press("Enter")
    page.locator('.fb-palette-item[data-type="send_message"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#fb-canvas .drawflow-node")).to_have_count(2)
    # Tab from the last palette item reaches the nodes, and selecting one opens its form.
    page.locator(".fb-palette-item").last.focus()
    page.keyboard.press("Tab")
    expect(node(page, "start")).to_be_focused()
    page.keyboard.press("Tab")
    expect(node(page, "send_message_1")).to_be_focused()
    expect(page.get_by_label("Text", exact=True)).to_be_visible()
    expect(page.locator('.fb-field[data-field="text"] .fb-required')).to_have_count(1)
    # Every control of the panel has a label.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#fb-node-panel input, #fb-node-panel select, #fb-node-panel textarea')]
             .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')).map(c => c.id)"""
    )
    assert unlabelled == []
    box = node(page, "send_message_1").bounding_box()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    moved = node(page, "send_message_1").bounding_box()
    assert (round(moved["x"] - box["x"]), round(moved["y"] - box["y"])) == (10, 50)
    page.keyboard.press("Delete")
    expect(page.locator("#fb-canvas .drawflow-node")).to_have_count(1)
    expect(node(page, "start")).to_be_focused()


@needs_drafts
def test_unsaved_work_comes_back_after_a_reload(live_server, new_page, admin_user, bot):
    base = live_server.url
    page = new_page()
    flow = open_new_flow(page, base, bot, "Offline flow")
    # The server refuses saves (as when the network is down): the work stays in the browser.
    page.route(
        re.compile(r".*/api/flows/\d+/(draft/)?$"),
        lambda route: route.abort() if route.request.method == "PUT" else route.continue_(),
    )
    canvas_top = page.locator("#fb-canvas").bounding_box()["y"]
    drop(page, "start", 80, 120)
    drop(page, "end", 360, 120)
    expect(page.locator("#fb-save-state")).to_have_attribute("data-state", "error")
    # The long error text keeps to the toolbar's line: nothing under the pointer moved.
    assert page.locator("#fb-canvas").bounding_box()["y"] == canvas_top
    page.unroute(re.compile(r".*/api/flows/\d+/(draft/)?$"))
    page.reload()
    expect(page.locator("#flow-builder")).to_have_attribute("data-ready", "true")
    expect(page.locator("#fb-canvas .drawflow-node")).to_have_count(2)
    expect(page.locator("#fb-save-state")).to_have_attribute("data-state", re.compile("saved|invalid"))
    draft = page.evaluate("fetch('/api/flows/%d/draft/').then(r => r.json())" % flow.pk)
    assert sorted(n["key"] for n in draft["nodes"]) == ["end_1", "start"]


def test_the_builder_runs_under_a_strict_content_security_policy(live_server, new_page, admin_user, bot):
    """No inline script or style: with `default-src 'self'` the page draws and nothing is refused."""
    flow = ticket_closed_flow(bot)
    page = new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, live_server.url, "admin", admin=True)

    def with_csp(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": "default-src 'self'"}
        route.fulfill(response=response, headers=headers)

    page.route(re.compile(r".*/admin/flows/flow/\d+/change/$"), with_csp)
    page.goto(f"{live_server.url}/admin/flows/flow/{flow.pk}/change/")
    expect(page.locator("#flow-builder")).to_have_attribute("data-ready", "true")
    expect(page.locator("#fb-canvas .drawflow-node")).to_have_count(5)
    page.get_by_role("tab", name="Stats").click()
    expect(page.locator("#fb-stats-summary")).to_contain_text("runs in 14 days")
    assert refused == []
