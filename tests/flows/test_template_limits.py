"""Hostile templates that walked around the per-operation checks: each is refused now, and a
worker rendering all of them stays small (the memory ceiling and CPU deadline of a rendering).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from flows.templating import TemplateFailed, render_value, syntax_errors

CTX = {"event": {}, "vars": {}, "ticket": None, "customer": None, "conversation": None}

HOSTILE = [
    # format() widths taken from nested fields: the spec is checked once substituted
    ("{{ '{:>{w}}'.format('a', w=2*10**9) }}", "format width"),
    ("{{ '{a:>{w}}'.format_map({'a': 'a', 'w': 2*10**9}) }}", "format width"),
    # %-format widths and precisions taken from the arguments
    ("{{ '%*d' % (2000000000, 1) }}", "`*` width or precision"),
    ("{{ '%.*f' % (2000000000, 1.0) }}", "`*` width or precision"),
    ("{{ '%(a)0999999999d' % {'a': 1} }}", "format width"),
    ("{{ '%*d' | format(2000000000, 1) }}", "`*` width or precision"),
    ("{{ '%.*f' | format(2000000000, 1.0) }}", "`*` width or precision"),
    # str methods are an allow-list
    ("{{ ('a' * 20000).translate({97: 'x' * 60000}) }}", "'translate' of 'str' object is unsafe"),
    ("{{ 'a'.encode() }}", "unsafe"),
    # filters that multiply their input have capped arguments
    ("{{ [1] | slice(10**8) | max }}", "slice() is limited"),
    ("{{ [1] | batch(10**9, 'x') | list }}", "batch() is limited"),
    # a namespace grown through dict() in a loop
    (
        "{% set ns = namespace(d={}) %}{% for i in range(100) %}{% for j in range(100) %}"
        "{% set ns.d = dict(ns.d, **{(i * 100 + j) | string: 'x' * 60000 ~ i}) %}{% endfor %}{% endfor %}",
        "a dict may not hold more than",
    ),
]

# Only the two limits of the rendering itself stop these.
MEMORY_BOMB = "{{ ('x' * 60000) | list | map('center', 60000) | list | length }}"
CPU_BOMB = "{{ ('x' * 60000) | list" + " | map('lower')" * 40 + " | list | length }}"  # ~5 s of CPU


@pytest.mark.parametrize("template, message", HOSTILE)
def test_hostile_templates_are_refused_before_they_allocate(template, message):
    with pytest.raises(TemplateFailed) as info:
        render_value(template, CTX)
    assert message in str(info.value)


def test_a_value_built_step_by_step_past_the_memory_ceiling_is_stopped():
    with pytest.raises(TemplateFailed, match="needed more than 64 MB"):
        render_value(MEMORY_BOMB, CTX)


def test_time_spent_inside_filters_counts_against_the_deadline():
    # No template line runs while 40 chained map() generators turn: only the signal stops it.
    with pytest.raises(TemplateFailed, match="ran longer than"):
        render_value(CPU_BOMB, CTX)


def test_outside_the_main_thread_the_deadline_still_holds():
    errors: list[str] = []

    def render() -> None:
        try:
            render_value(CPU_BOMB, CTX)
        except TemplateFailed as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=render)
    thread.start()
    thread.join()
    assert errors and "ran longer than" in errors[0]


def test_a_template_nesting_thousands_of_levels_is_a_save_error_not_a_crash():
    deep = "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}"
    assert syntax_errors(deep) == ["the template nests too deeply"]
    assert syntax_errors("{% if 1 %}" * 600 + "x" + "{% endif %}" * 600) == ["the template nests too deeply"]
    with pytest.raises(TemplateFailed):
        render_value(deep, CTX)


def test_an_undefined_inside_a_json_value_is_a_template_error():
    with pytest.raises(TemplateFailed, match="has no attribute 'nope'"):
        render_value("{{ [vars.nope] }}", CTX)
    with pytest.raises(TemplateFailed, match="has no attribute 'nope'"):
        render_value({"a": "{{ {'k': vars.nope} }}"}, CTX)


def test_ordinary_formatting_still_works():
    assert render_value("{{ '%5.2f' % 3.14159 }}|{{ '%s-%d' | format('x', 2) }}", CTX) == " 3.14|x-2"
    assert render_value("{{ '{:>5}|{:.1f}'.format('a', 2.25) }}", CTX) == "    a|2.2"
    assert render_value("{{ 'Ab'.lower() }} {{ 'a,b'.split(',') | join('+') }}", CTX) == "ab a+b"
    assert render_value("{{ dict(a=1, b='x') }}", CTX) == {"a": 1, "b": "x"}
    assert render_value("{{ [1, 2, 3, 4] | slice(2) | list }}", CTX) == [[1, 2], [3, 4]]


def test_a_worker_rendering_every_hostile_template_stays_under_256_mb():
    """A fresh process renders every template above three times (bench/templates.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.templates", "--json"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(r["outcome"] != "rendered" for r in report["results"].values()), report
    assert report["peak_mb"] < 256, report
