"""Pauses the run for a duration or until a time, then continues at `next`.

The wake-up is a django-q2 Schedule (ONCE at wait_until) calling flows.tasks.resume_run; the
sweeper also resumes due delays, so a lost schedule only makes a run late, never stuck.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from flows.nodes.base import Context, NodeError, NodeType, Outcome, template_check

UNITS = ("seconds", "minutes", "hours", "days")
MAX_DELAY = timedelta(days=366)
RESUME_TASK = "flows.tasks.resume_run"


def _number(ctx: Context, value, unit: str) -> float:
    value = ctx.render(value)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise NodeError(f"{unit} must be a number, got {value!r}") from exc
    if not number >= 0:
        raise NodeError(f"{unit} must not be negative")
    return number


def _until(ctx: Context, config: dict) -> datetime:
    if "until" in config:
        text = str(ctx.render(config["until"])).strip()
        moment = parse_datetime(text)
        if moment is None:
            raise NodeError(f"until must be an ISO date and time, got {text!r}")
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.utc)
    unit = next(u for u in UNITS if u in config)
    delta = timedelta(**{unit: _number(ctx, config[unit], unit)})
    if delta > MAX_DELAY:
        raise NodeError("a delay is at most 366 days")
    return timezone.now() + delta


def execute(ctx: Context, config: dict) -> Outcome:
    from django_q.models import Schedule

    until = _until(ctx, config)
    if until <= timezone.now():
        return Outcome(port="next", outputs={"until": until.isoformat(), "waited": False})
    # Named after the step, so a worker that redoes this step updates the same schedule.
    Schedule.objects.update_or_create(
        name=f"flow-delay-{ctx.step_id}"[:100],
        defaults={
            "func": RESUME_TASK,
            "args": str(ctx.run.pk),
            "schedule_type": Schedule.ONCE,
            "repeats": 1,
            "next_run": until,
        },
    )
    return Outcome(wait="delay", wait_until=until, outputs={"until": until.isoformat()})


def preview(ctx: Context, config: dict) -> Outcome:
    until = _until(ctx, config)
    return Outcome(outputs={"until": until.isoformat(), "waited": False})


_amount = {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "minLength": 1, "maxLength": 200}]}

NODE = NodeType(
    name="delay",
    label="Delay",
    family="logic",
    ports=("next",),
    config_schema={
        "type": "object",
        "properties": {
            **dict.fromkeys(UNITS, _amount),
            "until": {"type": "string", "minLength": 1, "maxLength": 200},
        },
        "oneOf": [{"required": [u]} for u in (*UNITS, "until")],
        "additionalProperties": False,
    },
    execute=execute,
    preview=preview,
    check=template_check(*UNITS, "until"),
    description="Waits for seconds, minutes, hours or days, or until a date and time.",
)
