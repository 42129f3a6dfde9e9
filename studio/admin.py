from django.contrib import admin

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
        from events import services as events

        super().save_model(request, obj, form, change)
        if not change:
            events.install_catalogue(obj)
