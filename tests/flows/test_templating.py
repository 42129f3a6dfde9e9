from __future__ import annotations

import pytest

from flows import templating
from flows.templating import TemplateFailed, evaluate, render_value

CTX = {
    "event": {"ticket": {"id": 7, "category": "billing"}},
    "vars": {"n": 2, "names": ["a", "b"]},
    "ticket": None,
    "customer": {"name": "Dana"},
    "conversation": None,
}


def test_strings_in_json_values_are_rendered_and_lone_expressions_keep_their_type():
    value = {
        "id": "{{ event.ticket.id }}",
        "text": "Ticket #{{ event.ticket.id }}",
        "list": ["{{ vars.names }}"],
        "plain": "no template",
        "number": 3,
        "nested": {"who": "{{ customer.name | upper }}"},
    }
    assert render_value(value, CTX) == {
        "id": 7,
        "text": "Ticket #7",
        "list": [["a", "b"]],
        "plain": "no template",
        "number": 3,
        "nested": {"who": "DANA"},
    }


def test_expressions_evaluate_in_the_sandbox():
    assert evaluate("event.ticket.category == 'billing' and vars.n > 1", CTX) is True
    assert evaluate("'b' in vars.names", CTX) is True


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{ vars.missing }}", "has no attribute 'missing'"),
        ("Hello {{ customer.nickname }}", "has no attribute 'nickname'"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
        ("{{ vars.names.append('x') }}", "unsafe"),
        ("{{ 'ab' * 100000 }}", "may not exceed"),
        ("{% for i in range(5000) %}{% endfor %}", "range() is limited"),
        ("{% for i in range(900) %}{{ 'x' * 100 }}{% endfor %}", "longer than 65536"),
        ("{{ 2 ** 1000 }}", "exponent"),
        ("{{ 'x'.center(100000000) }}", "center() would exceed"),
        ("{{ 'x' | center(100000000) }}", "center() would exceed"),
        ("{{ ('x' * 60000).replace('x', 'y' * 60000) }}", "replace() would exceed"),
        ("{{ ('x' * 60000) | replace('x', 'yy') }}", "replace() would exceed"),
        ("{{ '%0999999999d' % 1 }}", "format width"),
        ("{{ '{:>999999999}'.format(1) }}", "format width"),
        ("{{ '%0999999999d' | format(1) }}", "format width"),
        # Memory bombs refused before the string is built (each allocated 60 MB to 3.6 GB before).
        ("{{ range(1000) | join('x' * 60000) }}", "join() would exceed"),
        ("{{ ('x' * 60000) | list | join('x' * 60000) }}", "join() would exceed"),
        ("{{ 'y'.join(('x' * 60000) | list) }}", "join() would exceed"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "a ~ concatenation would exceed",
        ),
        (
            "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = ns.l + ['x' * 6000] %}{% endfor %}",
            "a + concatenation would exceed",
        ),
        ("{{ [('x' * 60000)] * 1000 }}", "may not exceed"),
        ("{{ ('x' * 60000) ~ ('x' * 60000) }}", "a ~ concatenation would exceed"),
        ("{% macro f(s) %}{{ f(s ~ 'x') }}{% endmacro %}{{ f('x') }}", "RecursionError"),
        ("{{ event | attr('__class__') }}", "unsafe"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
        ("{{ '{0.__class__}'.format(event) }}", "unsafe"),
        ("{{ self._TemplateReference__context }}", "unsafe"),
        ("{{ cycler.__init__.__globals__ }}", "unsafe"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{% if %}", "Expected an expression"),
        ("x" * 20001, "limited to 20000 characters"),
    ],
)
def test_unsafe_or_broken_templates_raise_a_clear_error(template, message, monkeypatch):
    # Each case's own error, not the time limit (tested below), even on a loaded machine.
    monkeypatch.setattr(templating, "MAX_SECONDS", 60.0)
    with pytest.raises(TemplateFailed) as info:
        render_value({"field": template}, CTX)
    assert message in str(info.value)


def test_a_template_running_too_long_is_stopped():
    ctx = {**CTX, "vars": {"l": list(range(500))}}
    with pytest.raises(TemplateFailed, match="ran longer than"):
        render_value(
            "{% for a in vars.l %}{% for b in vars.l %}{% for c in vars.l %}{% endfor %}{% endfor %}{% endfor %}",
            ctx,
        )


def test_the_sandbox_never_sees_the_templating_modules_globals():
    with pytest.raises(TemplateFailed):
        render_value("{{ lipsum.__globals__ }}", CTX)
    with pytest.raises(TemplateFailed):
        render_value("{{ self.__init__.__globals__ }}", CTX)


def test_ordinary_joins_and_concatenations_still_work():
    assert (
        render_value("{{ vars.names | join(', ') }} {{ 'a' ~ vars.n }} {{ 'x' + 'y' }}", CTX) == "a, b a2 xy"
    )
    assert render_value("{{ vars.names + ['c'] }}", CTX) == ["a", "b", "c"]
    assert render_value("{{ '-'.join(vars.names) }}", CTX) == "a-b"


@pytest.mark.parametrize(
    "source, expression, limited",
    [
        ("event.ticket.id", True, False),
        ("event.ticket.category == 'billing' and not vars.n > 1", True, False),
        ("vars['n'] if 'b' in vars.names else [1, (2, 3)]", True, False),
        ("Ticket #{{ event.ticket.id }} for {{ customer['name'] }}", False, False),
        # anything that calls, filters, tests, computes, slices or loops keeps the limits
        ("vars.names.append('x')", True, True),
        ("vars.names | length", True, True),
        ("vars.n is defined", True, True),
        ("vars.n * 2", True, True),
        ("'a' ~ 'b'", True, True),
        ("vars.names[1:]", True, True),
        ("{% for a in vars.names %}{{ a }}{% endfor %}", False, True),
        ("{% set x = 1 %}{{ x }}", False, True),
        ("{{ broken", False, True),
    ],
)
def test_only_templates_that_just_read_skip_the_deadline_and_memory_ceiling(source, expression, limited):
    assert templating._needs_limits(source, expression) is limited


def test_a_template_that_just_reads_still_answers_as_the_sandbox_does():
    assert render_value({"id": "{{ event.ticket.id }}", "t": "#{{ event.ticket.id }}"}, CTX) == {
        "id": 7,
        "t": "#7",
    }
    assert evaluate("vars.names[0] == 'a' and vars.n in [1, 2]", CTX) is True
    for template, message in [
        ("{{ vars.missing }}", "has no attribute 'missing'"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
        ("{{ vars.names < 1 }}", "TypeError"),
        ("{{ vars.names[5] }}", "no element 5"),
    ]:
        with pytest.raises(TemplateFailed, match=message.replace("[", r"\[")):
            render_value(template, CTX)
