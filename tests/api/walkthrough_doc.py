"""Reads docs/api.md into steps: each ```sh block, its `# save` lines and its expected ```json."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SAVE = re.compile(r"^# save (\w+) = (\.[\w.]+)$", re.M)
VAR = re.compile(r"\$([A-Z_]+)")


@dataclass
class Step:
    script: str
    saves: dict[str, str] = field(default_factory=dict)
    expected: str | None = None  # JSON text with $VARS


def steps(text: str | None = None) -> list[Step]:
    found: list[Step] = []
    for lang, body in FENCE.findall(text if text is not None else DOC.read_text()):
        if lang == "sh":
            found.append(Step(script=body, saves=dict(SAVE.findall(body))))
        elif lang == "json" and found and found[-1].expected is None:
            found[-1].expected = body
    return found


def expected_value(step: Step, env: dict[str, str]):
    text = VAR.sub(lambda m: env[m.group(1)], step.expected)
    return json.loads(text)


def pick(data, path: str):
    for part in path.strip(".").split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def matches(actual, expected, *, ignore: frozenset[str] = frozenset()) -> bool:
    """Fields shown must match; lists match when the expected items appear in order."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in ignore or (k in actual and matches(actual[k], v, ignore=ignore)) for k, v in expected.items()
        )
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        items = iter(actual)
        return all(any(matches(a, e, ignore=ignore) for a in items) for e in expected)
    return actual == expected
