"""Routing in a real browser: one agent available with room for one chat, one away; three
customers raise tickets; resolving moves the queue; transfer, an internal note and a canned
reply by #shortcut."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inbox import services as inbox
from inbox.models import Ticket
from tests.browser.conftest import screenshot
from tests.browser.test_mission import log_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_queue_moves_and_the_console_tools_work(live_server, new_page, bot):
    base = live_server.url
    carol = inbox.create_agent(
        username="carol", password=PASSWORD, name="Carol Agent", bots=[bot], max_concurrent=1
    )
    inbox.create_agent(username="dave", password=PASSWORD, name="Dave Agent", bots=[bot], status="away")
    inbox.save_canned_response(
        bot, shortcut="thanks", text="Thanks {{ customer.name }}, {{ agent.name }} here!"
    )

    tickets = []
    for name in ("Ann", "Ben", "Cat"):
        conversation = inbox.start_conversation(bot, customer={"name": name})
        inbox.post_customer_message(conversation, f"Hello, this is {name}.")
        tickets.append(inbox.raise_ticket(conversation, subject=f"Help for {name}"))
    first, second, third = (Ticket.objects.get(pk=t.pk) for t in tickets)
    assert (first.status, first.assignee_id) == ("assigned", carol.pk)
    assert (second.status, second.queue_position, third.status, third.queue_position) == (
        "queued",
        1,
        "queued",
        2,
    )

    # The waiting customers see their places in the queue.
    ben = new_page()
    ben.goto(f"{base}/chat/c/{second.conversation.access_token}/")
    expect(ben.locator("#queue-position")).to_have_text("You are number 1 in the queue.")
    cat = new_page()
    cat.goto(f"{base}/chat/c/{third.conversation.access_token}/")
    expect(cat.locator("#queue-position")).to_have_text("You are number 2 in the queue.")

    # Carol sees the queue, then resolves her chat: Ben's ticket is hers at once.
    desk = new_page()
    log_in(desk, base, "carol")
    desk.goto(f"{base}/inbox/?tab=queued")
    expect(desk.locator(f"#ticket-row-{second.pk}")).to_contain_text("#1 in queue")
    screenshot(desk, "queue-tabs.png")
    desk.goto(f"{base}/inbox/tickets/{first.pk}/")
    desk.get_by_role("button", name="Resolve").click()
    expect(desk.locator("#ticket-status")).to_have_text("Closed")
    assert Ticket.objects.get(pk=second.pk).assignee_id == carol.pk
    expect(ben.locator("#transcript")).to_contain_text("Carol Agent joined the chat.", timeout=8_000)
    expect(ben.locator("#queue-position")).to_be_hidden()
    expect(cat.locator("#queue-number")).to_have_text("1", timeout=8_000)

    # On Ben's ticket: an internal note, a canned reply by #shortcut.
    desk.goto(f"{base}/inbox/tickets/{second.pk}/")
    desk.locator("#note-text").fill("Ben is a VIP - be nice")
    desk.get_by_role("button", name="Add note").click()
    expect(desk.locator("#notes-list")).to_contain_text("Ben is a VIP - be nice")
    reply = desk.locator("#reply-text")
    reply.click()
    reply.press_sequentially("#tha")
    expect(desk.locator("#canned-list").get_by_role("option")).to_contain_text(
        "Thanks Ben, Carol Agent here!"
    )
    reply.press("Enter")
    expect(reply).to_have_value("Thanks Ben, Carol Agent here!")
    desk.get_by_role("button", name="Send reply").click()
    expect(ben.locator("#transcript")).to_contain_text("Thanks Ben, Carol Agent here!", timeout=8_000)
    screenshot(desk, "ticket-tools.png")

    # Transfer to Dave with a note; Ben is told who joined, and never sees the notes.
    desk.locator("#transfer-agent").select_option(label="Dave Agent (away)")
    desk.locator("#transfer-note").fill("Dave handles VIPs")
    desk.get_by_role("button", name="Transfer").click()
    expect(desk.locator("#ticket-assignee")).to_have_text("Dave Agent")
    expect(desk.locator("#notes-list")).to_contain_text("Transferred to Dave Agent: Dave handles VIPs")
    expect(ben.locator("#transcript")).to_contain_text("Dave Agent joined the chat.", timeout=8_000)
    ben.reload()
    expect(ben.locator("#transcript")).to_contain_text("Thanks Ben")
    assert "VIP" not in ben.content()
    screenshot(ben, "chat-queue.png")

    # Carol's slot freed by the transfer: Cat's ticket is hers now.
    expect(cat.locator("#transcript")).to_contain_text("Carol Agent joined the chat.", timeout=8_000)
