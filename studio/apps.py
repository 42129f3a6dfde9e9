from django.apps import AppConfig


class StudioConfig(AppConfig):
    """The core layer: Bot, errors, the queue helper and settings. It imports no other app."""

    name = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        from studio import checks  # noqa: F401  (registers the system checks)
