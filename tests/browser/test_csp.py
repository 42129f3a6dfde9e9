"""Every page is served with a Content-Security-Policy that allows no inline script, and every
page still works under it: the chat, the agent console, the admin with the flow graph, the
run page, the dashboard and the API docs, with no CSP violation reported by the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from flows import graph
from flows.models import FlowRun
from tests.browser.test_mission import customer_ticket, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page) -> list[str]:
    problems: list[str] = []
    # CSP violations, script errors and missing files (the browser's own favicon.ico aside).
    page.on(
        "console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status == 404 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


def small_flow(bot):
    return graph.save_flow(
        bot=bot,
        data={
            "name": "Greeting",
            "trigger": {"type": "manual"},
            "nodes": [
                {"key": "start", "type": "start", "config": {}},
                {"key": "hello", "type": "set_variable", "config": {"name": "x", "value": 1}},
            ],
            "edges": [{"source": "start", "port": "next", "target": "hello"}],
        },
    )


def test_every_page_works_under_the_policy(live_server, new_page, admin_user, agent, bot):
    base = live_server.url
    ticket = customer_ticket(bot)
    flow = small_flow(bot)
    run = FlowRun.objects.create(flow=flow, trigger="manual", status="succeeded")

    chat = new_page()
    chat_problems = watch(chat)
    response = chat.goto(f"{base}/chat/c/{ticket.conversation.access_token}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    chat.get_by_label("Your message").fill("Sent under CSP")
    chat.get_by_role("button", name="Send").click()
    expect(chat.locator("#transcript")).to_contain_text("Sent under CSP")
    assert chat_problems == []

    desk = new_page()
    desk_problems = watch(desk)
    log_in(desk, base, "alice")
    desk.goto(f"{base}/inbox/tickets/{ticket.pk}/")
    expect(desk.locator("#transcript")).to_contain_text("Sent under CSP", timeout=8_000)
    assert desk_problems == []

    admin = new_page()
    admin_problems = watch(admin)
    log_in(admin, base, "admin", admin=True)
    for path in ("/admin/", f"/admin/flows/flowrun/{run.pk}/change/", "/admin/events/event/"):
        assert "default-src 'self'" in admin.goto(f"{base}{path}").headers["content-security-policy"]
    admin.goto(f"{base}/admin/flows/flow/{flow.pk}/change/")
    expect(admin.locator("#flow-builder")).to_have_attribute("data-ready", "true")
    expect(admin.locator("#fb-canvas .drawflow-node")).to_have_count(2)
    expect(admin.locator("#fb-canvas")).to_contain_text("hello")
    admin.goto(f"{base}/api/docs/")
    expect(admin.locator(".swagger-ui .opblock").first).to_be_visible(timeout=10_000)
    assert admin_problems == []


def test_an_injected_inline_script_does_not_run(live_server, new_page, bot):
    page = new_page()
    problems = watch(page)
    page.goto(f"{live_server.url}/chat/{bot.pk}/")
    ran = page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__injected = true';
            document.body.appendChild(s);
            const b = document.createElement('button');
            b.setAttribute('onclick', 'window.__clicked = true');
            document.body.appendChild(b);
            b.click();
            return [window.__injected === true, window.__clicked === true];
        }"""
    )
    assert ran == [False, False]
    assert any("Content Security Policy" in p for p in problems)
