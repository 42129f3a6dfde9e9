from django.apps import AppConfig
from django.db.models.signals import post_migrate


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Event hub"

    def ready(self) -> None:
        from events import receivers

        # The catalogue is data: after every migrate each existing bot gets the system events
        # it lacks, inactive, so a new event reaches bots created before it.
        post_migrate.connect(receivers.install_catalogues, sender=self, dispatch_uid="events.catalogues")
