from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from inbox.services.agents import agent_status_on_logout

        def went_offline(sender, request, user, **kwargs) -> None:
            if user is not None:
                agent_status_on_logout(user)

        # Logging out makes an agent offline (hand-off only).
        user_logged_out.connect(went_offline, dispatch_uid="inbox.logout_offline", weak=False)
