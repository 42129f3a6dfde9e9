from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event hub"

    def ready(self) -> None:
        from events import receivers  # noqa: F401
