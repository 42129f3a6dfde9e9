from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HomeConfig(AppConfig):
    """The top layer: the project's URLs, the home page and dashboard, the demo and the roles.

    It may import every other app; nothing imports it.
    """

    name = "home"
    verbose_name = "Home"

    def ready(self) -> None:
        from home.setup import after_migrate

        # Runs after each app's migrate; idempotent: roles and the sweeper schedule.
        post_migrate.connect(after_migrate, dispatch_uid="home.after_migrate")
