from __future__ import annotations

from django.contrib import admin

from studio import services
from studio.errors import ServiceError
from studio.models import Bot


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["name", "csat_enabled", "csat_scale", "created_at"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name"]}),
        ("CSAT", {"fields": ["csat_enabled", "csat_question", "csat_scale", "csat_expires_after_minutes"]}),
    ]

    def save_model(self, request, obj, form, change):
        """Through the services: a new bot gets its event catalogue, settings their checks."""
        csat = {api: form.cleaned_data[field] for api, field in services.CSAT_FIELDS.items()}
        try:
            if change:
                services.update_bot(obj, name=form.cleaned_data["name"], csat=csat)
            else:
                created = services.create_bot(form.cleaned_data["name"], csat=csat)
                obj.pk = created.pk
        except ServiceError as exc:
            # The form was valid; a service refusal is shown like a field error would be.
            self.message_user(request, str(exc), level="error")
