"""Engine overhead: a 50-node flow (set_variable, condition, database find) run in-process.

Prints the per-node cost of the engine (median and p99 over runs) next to the same work
written as plain Python, and their ratio.

    .venv/bin/python -m bench.engine --runs 200 --backend sqlite
"""

from __future__ import annotations

import argparse
import time

from bench.common import BACKENDS, configure, machine, percentiles

NODES = 50


def flow_definition() -> dict:
    nodes = [{"key": "start", "type": "start", "config": {}}]
    edges = []
    previous, port = "start", "next"
    kinds = ("set_variable", "condition", "database")
    for i in range(NODES - 2):
        kind = kinds[i % 3]
        key = f"n{i}"
        if kind == "set_variable":
            config = {"name": f"v{i}", "value": "{{ event.ticket.id }}"}
            out = "next"
        elif kind == "condition":
            config = {"expression": "event.ticket.category == 'billing'"}
            out = "true"
        else:
            config = {
                "table": "customers",
                "operation": "find",
                "key": {"email": "{{ event.customer.email }}"},
                "save_as": f"row{i}",
            }
            out = "success"
        nodes.append({"key": key, "type": kind, "config": config})
        edges.append({"source": previous, "port": port, "target": key})
        previous, port = key, out
    nodes.append({"key": "end", "type": "end", "config": {}})
    edges.append({"source": previous, "port": port, "target": "end"})
    return {"name": "engine bench", "trigger": {"type": "manual"}, "nodes": nodes, "edges": edges}


PAYLOAD = {"ticket": {"id": 7, "category": "billing"}, "customer": {"email": "dana@example.com"}}


def plain_python(bot) -> None:
    """The same 48 pieces of work, without the engine."""
    from tables.models import Row

    variables: dict = {}
    for i in range(NODES - 2):
        kind = i % 3
        if kind == 0:
            variables[f"v{i}"] = str(PAYLOAD["ticket"]["id"])
        elif kind == 1:
            assert PAYLOAD["ticket"]["category"] == "billing"
        else:
            rows = list(
                Row.objects.filter(
                    table__bot=bot, table__name="customers", data__email=PAYLOAD["customer"]["email"]
                ).order_by("id")[:100]
            )
            variables[f"row{i}"] = rows[0].data if rows else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    args = parser.parse_args()
    configure(args.backend, f"engine_{args.backend.replace('-', '_')}")

    from flows import engine, graph, services
    from flows.models import FlowRun
    from studio import services as studio
    from tables import services as tables

    bot = studio.create_bot("engine bench")
    tables.insert(bot, "customers", {"email": "dana@example.com", "plan": "pro"})
    flow = graph.save_flow(bot=bot, data=flow_definition())

    engine_us, plain_us = [], []
    for i in range(args.runs + 5):
        run = FlowRun.objects.create(flow=flow, trigger="manual", context={"event": PAYLOAD})
        services.claim(run.pk)
        start = time.perf_counter()
        engine.run(run.pk)
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        plain_python(bot)
        plain = time.perf_counter() - start
        if i >= 5:  # warm-up
            engine_us.append(elapsed / NODES * 1e6)
            plain_us.append(plain / NODES * 1e6)
    status = FlowRun.objects.filter(flow=flow).order_by().values_list("status", flat=True).distinct()
    e, p = percentiles(engine_us), percentiles(plain_us)
    overhead = percentiles([a - b for a, b in zip(engine_us, plain_us)])
    print(
        f"engine, {NODES}-node flow, {args.runs} runs on {args.backend}; {machine()}; run statuses: {list(status)}"
    )
    print(f"per node, engine:       median {e['p50']:8.1f} us   p99 {e['p99']:8.1f} us")
    print(f"per node, plain Python: median {p['p50']:8.1f} us   p99 {p['p99']:8.1f} us")
    print(f"per node, overhead:     median {overhead['p50']:8.1f} us   p99 {overhead['p99']:8.1f} us")
    print(f"ratio engine / plain:   {e['p50'] / p['p50']:.2f}")


if __name__ == "__main__":
    main()
