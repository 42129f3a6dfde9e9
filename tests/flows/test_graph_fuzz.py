"""Junk in every field of a flow: validation refuses it with FlowInvalid, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import graph, nodes
from flows.graph import FlowInvalid

pytestmark = pytest.mark.fuzz

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
node_types = st.sampled_from(sorted(nodes.registry()) + ["teleport"])
keys = st.sampled_from(["start", "a", "b", "end"]) | json_values


def maybe(value_strategy):
    return value_strategy | json_values


node = st.fixed_dictionaries(
    {},
    optional={
        "key": maybe(keys),
        "type": maybe(node_types),
        "position": maybe(
            st.fixed_dictionaries({}, optional={"x": maybe(st.integers()), "y": maybe(st.floats())})
        ),
        "config": maybe(
            st.dictionaries(
                st.sampled_from(
                    [
                        "url",
                        "method",
                        "text",
                        "expression",
                        "name",
                        "value",
                        "headers",
                        "body",
                        "retries",
                        "timeout_seconds",
                        "seconds",
                        "until",
                        "table",
                        "operation",
                        "key",
                        "values",
                        "status",
                        "flow",
                        "to",
                        "subject",
                    ]
                ),
                json_values,
                max_size=5,
            )
        ),
    },
)
edge = st.fixed_dictionaries(
    {},
    optional={
        "source": maybe(keys),
        "port": maybe(st.sampled_from(["next", "success", "failure", "true"])),
        "target": maybe(keys),
    },
)
flow_data = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe(st.text(max_size=130)),
        "trigger": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "type": maybe(st.sampled_from(["event", "conversation", "manual"])),
                    "event": json_values,
                    "keywords": json_values,
                },
            )
        ),
        "nodes": maybe(st.lists(maybe(node), max_size=6)),
        "edges": maybe(st.lists(maybe(edge), max_size=6)),
        "is_active": json_values,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=flow_data)
def test_validation_of_junk_raises_only_flow_invalid(data):
    try:
        graph.validate(data)
    except FlowInvalid as exc:
        assert exc.errors and all(isinstance(m, str) for ms in exc.errors.values() for m in ms)


@settings(max_examples=100, deadline=None)
@given(data=json_values)
def test_a_flow_that_is_not_an_object_is_refused(data):
    try:
        graph.validate(data)
    except FlowInvalid:
        pass
