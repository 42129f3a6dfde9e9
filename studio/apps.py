from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        from studio.setup import after_migrate

        # Runs once, after the last app (flows) has migrated: roles and the sweeper schedule.
        post_migrate.connect(after_migrate, dispatch_uid="studio.after_migrate")
