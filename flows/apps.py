from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = "Flows"

    def ready(self) -> None:
        from flows import receivers  # noqa: F401
        from flows.templating import render_text, syntax_errors
        from inbox import rendering

        # Canned responses render in the same sandbox as node templates (inbox.rendering).
        rendering.install(render_text, syntax_errors)
