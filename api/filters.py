"""Query-string filters of the list endpoints (django-filter)."""

from __future__ import annotations

import django_filters as filters
from django import forms

from events.models import Event, EventOccurrence
from flows.models import Flow, FlowRun
from inbox.models import Ticket

MAX_ID = 2**63 - 1


class IdFilter(filters.Filter):
    """An id: a positive whole number (anything else is a 400, never a database error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class EventFilter(filters.FilterSet):
    bot = IdFilter(field_name="bot_id")
    key = filters.CharFilter(max_length=80)

    class Meta:
        model = Event
        fields = ["bot", "category", "is_active", "key"]


class EventOccurrenceFilter(filters.FilterSet):
    event = IdFilter(field_name="event_id")
    bot = IdFilter(field_name="bot_id")

    class Meta:
        model = EventOccurrence
        fields = ["event", "bot", "status"]


class FlowFilter(filters.FilterSet):
    bot = IdFilter(field_name="bot_id")

    class Meta:
        model = Flow
        fields = ["bot", "is_active", "trigger_type"]


class RunFilter(filters.FilterSet):
    flow = IdFilter(field_name="flow_id")
    version = IdFilter(field_name="version__number", max_value=2_147_483_647)
    bot = IdFilter(field_name="flow__bot_id")
    ticket = IdFilter(field_name="ticket_id")

    class Meta:
        model = FlowRun
        fields = ["flow", "bot", "status", "trigger", "ticket"]


class TicketFilter(filters.FilterSet):
    bot = IdFilter(field_name="bot_id")
    assignee = IdFilter(field_name="assignee_id")
    unassigned = filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    tag = filters.CharFilter(field_name="tag_rows__name", lookup_expr="iexact", max_length=40, distinct=True)

    class Meta:
        model = Ticket
        fields = ["bot", "status", "assignee", "priority", "category"]
