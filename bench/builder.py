"""The flow builder in a browser: open a 150-node flow and save it.

A studio server (`manage.py runserver --insecure`, which also serves the static files) on
loopback, a fresh database with one flow of N nodes, and Debian's chromium driven by
Playwright. "open" is from the navigation's start to the builder being ready (the draft
loaded and drawn, `data-ready`), read from the page's own clock; "draw" is the canvas alone
(Drawflow importing the graph, port labels, fit). "save" is one autosave of the whole graph:
from the save's start to the server's answer being applied. The first load is a warm-up
(browser cache, server imports) and is not counted.

    .venv/bin/python -m bench.builder --nodes 150 --repeat 5
    .venv/bin/python -m bench.builder --nodes 150 --unplaced   # no positions: dagre lays it out
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from bench.common import WebServer, configure, machine

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "bench-password-1"
KINDS = ("set_variable", "condition", "api_call", "send_message", "database")


def flow_data(nodes: int, placed: bool) -> dict:
    """start -> a chain of nodes of mixed types -> end; conditions' false and calls' failure
    also lead to the end, so the graph is valid and has more edges than nodes."""
    items = [{"key": "start", "type": "start", "config": {}}]
    edges = []
    configs = {
        "set_variable": lambda i: {"name": f"v{i}", "value": "{{ event.ticket.id }}"},
        "condition": lambda i: {"expression": f"vars.v{i - 1} != {i}"},
        "api_call": lambda i: {"method": "POST", "url": "http://127.0.0.1:9/hook", "body": {"n": i}},
        "send_message": lambda i: {"text": f"Step {i} for {{{{ customer.name }}}}"},
        "database": lambda i: {
            "table": "crm",
            "operation": "upsert",
            "key": {"n": str(i)},
            "values": {"i": str(i)},
        },
    }
    for i in range(1, nodes - 1):
        kind = KINDS[i % len(KINDS)]
        items.append({"key": f"n{i}", "type": kind, "config": configs[kind](i)})
    items.append({"key": "done", "type": "end", "config": {}})
    first_port = {
        "set_variable": "next",
        "condition": "true",
        "api_call": "success",
        "send_message": "next",
        "database": "success",
        "start": "next",
    }
    for a, b in zip(items, items[1:], strict=False):
        edges.append({"source": a["key"], "port": first_port[a["type"]], "target": b["key"]})
        if a["type"] == "condition":
            edges.append({"source": a["key"], "port": "false", "target": "done"})
        if a["type"] in ("api_call", "database"):
            edges.append({"source": a["key"], "port": "failure", "target": "done"})
    if placed:
        for i, item in enumerate(items):
            item["position"] = {"x": 40 + (i % 10) * 260, "y": 40 + (i // 10) * 160}
    return {
        "name": f"Builder bench {nodes}",
        "trigger": {"type": "event", "event": "ticket-closed"},
        "nodes": items,
        "edges": edges,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--unplaced", action="store_true", help="save the flow without positions")
    parser.add_argument("--backend", choices=("sqlite", "pg"), default="sqlite")
    args = parser.parse_args()
    print(f"bench.builder: {args.nodes} nodes, {args.repeat} loads and saves, {args.backend}; {machine()}")
    env = configure(args.backend, "builder", DEBUG="0")

    from django.contrib.auth import get_user_model
    from django.db import connection

    from flows import graph
    from studio import services as studio

    bot = studio.create_bot("Bench builder")
    flow = graph.save_flow(bot=bot, data=flow_data(args.nodes, placed=not args.unplaced))
    edges = flow.edges.count()
    get_user_model().objects.create_superuser("bench", "bench@example.com", PASSWORD)
    connection.close()
    # runserver serves the static files too (--insecure: with DEBUG off), as one process.
    server = WebServer(
        env,
        "runserver",
        [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", "127.0.0.1:{port}"],
    )
    from playwright.sync_api import sync_playwright

    opens, draws, saves = [], [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            base = f"http://127.0.0.1:{server.port}"
            page.goto(f"{base}/admin/login/")
            page.get_by_label("Username").fill("bench")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base}/admin/")
            url = f"{base}/admin/flows/flow/{flow.pk}/change/"
            for attempt in range(args.repeat + 1):
                page.goto(url)
                page.wait_for_selector("#flow-builder[data-ready=true]", timeout=60_000)
                timing = page.evaluate(
                    """() => ({open: performance.getEntriesByName('flow-builder-ready')[0].startTime,
                              draw: performance.getEntriesByName('flow-builder-draw')[0].duration})"""
                )
                save = page.evaluate(
                    """async () => {
                         const b = window.FlowBuilder.instance, t = performance.now();
                         b.state.changeCount += 1;
                         const result = await b.save();
                         if (!result.ok) throw new Error('save refused: ' + result.status);
                         return performance.now() - t;
                       }"""
                )
                drawn = page.locator("#fb-canvas .drawflow-node").count()
                assert drawn == args.nodes, f"{drawn} nodes drawn of {args.nodes}"
                if attempt:  # the first load warms the cache and the server up
                    opens.append(timing["open"])
                    draws.append(timing["draw"])
                    saves.append(save)
            browser.close()
    finally:
        server.stop()

    def line(name: str, values: list[float]) -> str:
        return f"{name:5} median {statistics.median(values):7.0f} ms   max {max(values):7.0f} ms   ({len(values)} runs)"

    print(
        f"flow: {args.nodes} nodes, {edges} edges, {'no positions (auto layout)' if args.unplaced else 'placed'}"
    )
    print(line("open", opens))
    print(line("draw", draws))
    print(line("save", saves))


if __name__ == "__main__":
    main()
