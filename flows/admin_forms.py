"""Forms of the flows admin: JSON import (the builder edits graphs through the API)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from flows import graph
from flows.models import Flow
from studio.models import Bot


class ImportFlowForm(forms.Form):
    bot = forms.ModelChoiceField(queryset=Bot.objects.all())
    data = forms.CharField(
        label="Flow JSON",
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100}),
        help_text='The shape of GET /api/flows/{id}/: {"name", "trigger", "nodes", "edges"}.',
    )
    replace = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Replace flow",
        help_text="Leave empty to create a new flow.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replace"].queryset = Flow.objects.select_related("bot")
        self.flow = None

    def clean_data(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["data"])
        except ValueError as exc:
            raise ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise ValidationError("The JSON must be an object with name, trigger, nodes and edges.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        bot, replace = cleaned.get("bot"), cleaned.get("replace")
        if replace is not None and bot is not None and replace.bot_id != bot.pk:
            self.add_error("replace", "That flow belongs to another bot.")
        return cleaned

    def save(self):
        """graph.save_flow, with its refusals turned into form errors."""
        try:
            self.flow = graph.save_flow(
                bot=self.cleaned_data["bot"],
                data=self.cleaned_data["data"],
                flow=self.cleaned_data.get("replace"),
            )
        except graph.FlowInvalid as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    self.add_error("data", f"{field}: {message}")
            return None
        return self.flow
