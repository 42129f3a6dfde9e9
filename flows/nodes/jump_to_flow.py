"""Starts another flow of the bot as a child run (with this run's context and vars)."""

from __future__ import annotations

from flows import services
from flows.models import Flow, FlowRun
from flows.nodes.base import Context, NodeError, NodeType, Outcome, template_check
from studio.numbers import whole_number

MAX_DEPTH = 10


def _depth(run) -> int:
    depth, parent_id = 0, run.parent_id
    while parent_id and depth <= MAX_DEPTH:
        depth += 1
        parent_id = FlowRun.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return depth


def _target(ctx: Context, ref):
    flows = Flow.objects.filter(bot=ctx.bot)
    ref = ctx.render(ref)
    flow = None
    number = int(ref) if isinstance(ref, int) else whole_number(ref.strip()) if isinstance(ref, str) else None
    if number is not None:
        flow = flows.filter(pk=number).first()
    if flow is None:
        flow = flows.filter(name=str(ref).strip()).order_by("id").first()
    if flow is None:
        raise NodeError(f"the bot has no flow {ref!r}")
    if not flow.is_active:
        raise NodeError(f"flow {flow.name!r} is inactive")
    if flow.published_version_id is None:
        raise NodeError(f"flow {flow.name!r} has no published version")
    return flow


def execute(ctx: Context, config: dict) -> Outcome:
    if _depth(ctx.run) >= MAX_DEPTH:
        raise NodeError(f"flows jump into each other more than {MAX_DEPTH} levels deep")
    flow = _target(ctx, config["flow"])
    run = ctx.run
    trigger = run.trigger
    child = services.start_run(
        flow,
        trigger=trigger,
        context=run.context,
        parent=run,
        vars=dict(ctx.vars),
        ticket_id=run.ticket_id,
        conversation_id=run.conversation_id,
    )
    return Outcome(port="next", outputs={"flow": flow.pk, "flow_name": flow.name, "child_run": child.pk})


def preview(ctx: Context, config: dict) -> Outcome:
    flow = _target(ctx, config["flow"])
    return Outcome(outputs={"flow": flow.pk, "flow_name": flow.name, "child_run": None})


NODE = NodeType(
    name="jump_to_flow",
    label="Jump to flow",
    family="actions",
    ports=("next",),
    config_schema={
        "type": "object",
        "properties": {
            "flow": {
                "oneOf": [
                    {"type": "string", "minLength": 1, "maxLength": 120},
                    {"type": "integer", "minimum": 1},
                ]
            }
        },
        "required": ["flow"],
        "additionalProperties": False,
    },
    execute=execute,
    preview=preview,
    check=template_check("flow"),
    description="Starts another flow of the bot in the background and goes on.",
)
